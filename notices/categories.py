"""The statutory categories of personal information a business names in its notices.

Pure (no Django): the categories of Civil Code §1798.140(v)(1)(A)-(K) and the sensitive personal
information of §1798.140(ae). §7011(e)(1)(A) and §7024(l) (R-7024-l-1) require notices and
categories responses to use these terms, with plain examples a consumer understands (§7003(a)).

Codes are stable identifiers stored in the inventory: "A".."K" for §1798.140(v)(1)(A)-(K) and
"SPI-1A".."SPI-2C" for §1798.140(ae)(1)(A)-(G) and (ae)(2)(A)-(C). §1798.140(v)(1)(L) ("sensitive
personal information") is not a code of its own: a business lists the sensitive categories it
collects one by one, because §7012(e)(1) and §7027 treat each of them separately.

Names and descriptions are English, and they are also the message ids of their translations
(context ``TRANSLATION_CONTEXT``, in locale/*/LC_MESSAGES/django.po): the notices translate them
where they render them, ``{% translate category.name context "statutory category" %}``, so a
notice in Spanish names the categories in Spanish (§7003(b)(2)). Changing a name or a
description here means changing its msgid in every catalogue too (tests/db/notices/
test_category_translations.py fails until then). The admin and the API keep the English.
"""

from __future__ import annotations

from dataclasses import dataclass

# The gettext context of every name and description: keeps them apart from other messages with
# the same English words (requests_app's deletion choice "Education information", for one).
TRANSLATION_CONTEXT = "statutory category"


@dataclass(frozen=True)
class Category:
    """One statutory category: its code, where the statute defines it, its official name and
    a short plain-language description."""

    code: str
    citation: str  # e.g. "§1798.140(v)(1)(A)"
    name: str  # the statute's term, e.g. "Identifiers"
    description: str  # plain-language examples for consumers (§7003(a))
    sensitive: bool

    @property
    def label(self) -> str:
        """The name with the statute's letter, as shown to a business's admins."""
        if self.sensitive:
            return f"Sensitive {self.citation.removeprefix('§1798.140')}: {self.name}"
        return f"{self.code}. {self.name}"


def _pi(letter: str, name: str, description: str) -> Category:
    return Category(letter, f"§1798.140(v)(1)({letter})", name, description, sensitive=False)


def _spi(paragraph: str, letter: str, name: str, description: str) -> Category:
    return Category(
        f"SPI-{paragraph}{letter}",
        f"§1798.140(ae)({paragraph})({letter})",
        name,
        description,
        sensitive=True,
    )


# Civil Code §1798.140(v)(1)(A)-(K), in the statute's order.
PERSONAL_INFORMATION: tuple[Category, ...] = (
    _pi(
        "A",
        "Identifiers",
        "Such as your name, alias, postal address, email address, IP address, account name, "
        "online identifier, Social Security, driver's license or passport number.",
    ),
    _pi(
        "B",
        "Personal information categories listed in the California Customer Records statute "
        "(Cal. Civ. Code §1798.80(e))",
        "Such as your name, signature, address, telephone number, education, employment, "
        "bank account, credit card or insurance policy number.",
    ),
    _pi(
        "C",
        "Characteristics of protected classifications under California or federal law",
        "Such as your age, sex, gender, race, religion, national origin, marital status, "
        "disability or veteran status.",
    ),
    _pi(
        "D",
        "Commercial information",
        "Such as records of property, products or services you bought, obtained or "
        "considered, and your purchasing habits.",
    ),
    _pi(
        "E",
        "Biometric information",
        "Such as fingerprints, face or voice prints, iris scans, keystroke patterns, and sleep, "
        "health or exercise data.",
    ),
    _pi(
        "F",
        "Internet or other electronic network activity information",
        "Such as your browsing and search history and how you use a website, app or advertisement.",
    ),
    _pi("G", "Geolocation data", "Such as where your device or you are located."),
    _pi(
        "H",
        "Audio, electronic, visual, thermal, olfactory, or similar information",
        "Such as call recordings, photos and video.",
    ),
    _pi(
        "I",
        "Professional or employment-related information",
        "Such as your job title, employer, work history and performance records.",
    ),
    _pi(
        "J",
        "Education information",
        "Non-public student records as defined by the Family Educational Rights and Privacy "
        "Act, such as grades, transcripts and class schedules.",
    ),
    _pi(
        "K",
        "Inferences drawn from other personal information",
        "A profile about you reflecting your preferences, characteristics, behavior, "
        "attitudes, abilities or aptitudes.",
    ),
)

# Civil Code §1798.140(ae): sensitive personal information, as amended through 2024 (AB 947
# added citizenship or immigration status to (ae)(1)(D); SB 1223 added neural data as (1)(G)).
SENSITIVE_PERSONAL_INFORMATION: tuple[Category, ...] = (
    _spi(
        "1",
        "A",
        "Social security, driver's license, state identification card, or passport number",
        "Your government-issued identification numbers.",
    ),
    _spi(
        "1",
        "B",
        "Account log-in, financial account, debit card, or credit card number with any "
        "required security or access code, password, or credentials",
        "What lets someone get into your accounts or use your cards.",
    ),
    _spi("1", "C", "Precise geolocation", "Your location to within about 1,850 feet."),
    _spi(
        "1",
        "D",
        "Racial or ethnic origin, citizenship or immigration status, religious or philosophical "
        "beliefs, or union membership",
        "Your race or ethnicity, citizenship or immigration status, religion or beliefs, "
        "and union membership.",
    ),
    _spi(
        "1",
        "E",
        "Contents of mail, email, and text messages",
        "What your letters, emails and texts say, unless they were sent to us.",
    ),
    _spi("1", "F", "Genetic data", "Information about your genes or DNA."),
    _spi(
        "1",
        "G",
        "Neural data",
        "Information from measuring the activity of your nervous system.",
    ),
    _spi(
        "2",
        "A",
        "Biometric information processed to uniquely identify a consumer",
        "Such as using your fingerprint or face scan to identify you.",
    ),
    _spi(
        "2",
        "B",
        "Personal information collected and analyzed concerning a consumer's health",
        "Information about your physical or mental health.",
    ),
    _spi(
        "2",
        "C",
        "Personal information collected and analyzed concerning a consumer's sex life or "
        "sexual orientation",
        "Information about your sex life or sexual orientation.",
    ),
)

ALL: tuple[Category, ...] = PERSONAL_INFORMATION + SENSITIVE_PERSONAL_INFORMATION
BY_CODE: dict[str, Category] = {category.code: category for category in ALL}
CODE_MAX_LENGTH = max(len(category.code) for category in ALL)


def category(code: str) -> Category:
    """The statutory category ``code`` names; KeyError for an unknown code."""
    return BY_CODE[code]


def is_sensitive(code: str) -> bool:
    """True for the sensitive categories of §1798.140(ae)."""
    return BY_CODE[code].sensitive


def choices() -> list[tuple[str, str]]:
    """(code, label) pairs in the statute's order: §1798.140(v)(1)(A)-(K), then (ae)."""
    return [(category.code, category.label) for category in ALL]


def statute_order(code: str) -> int:
    """Where ``code`` stands in the statute, for listing an inventory in that order."""
    return list(BY_CODE).index(code)
