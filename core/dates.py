"""Dates as consumers read them: written in full, in the language of the page or email.

Django's locale formats abbreviate English months the newspaper way (``DATE_FORMAT`` for en is
"N j, Y": "Dec. 18, 2025", "Sept. 2, 2025"); a legal notice writes them out. Every date a
consumer sees (portal pages and emails) goes through ``long_date`` here, or the ``long_date``
template filter (``tenants.templatetags.portal``), which calls it. Month and weekday names come
from Django's translations of the active language ("diciembre", "jueves").
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.utils import dateformat, translation

# Per language: (date, date with its weekday), in Django's date format syntax.
LONG_DATE_FORMATS: dict[str, tuple[str, str]] = {
    "en": ("F j, Y", "l, F j, Y"),  # December 18, 2025 / Thursday, December 18, 2025
    "es": (r"j \d\e F \d\e Y", r"l, j \d\e F \d\e Y"),  # 18 de diciembre de 2025 / jueves, ...
}


def long_date(value: date | datetime | None, *, weekday: bool = False) -> str:
    """``value`` written in full in the active language; "" for no date.

    A datetime is written in its own time zone (templates convert to the current one first).
    """
    if value is None or value == "":
        return ""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    plain, with_weekday = LONG_DATE_FORMATS.get(language, LONG_DATE_FORMATS["en"])
    return dateformat.format(value, with_weekday if weekday else plain)
