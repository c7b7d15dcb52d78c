"""The notices in a real browser (issue 15): axe on every notice page in English and Spanish
(zero WCAG 2.1 A/AA violations), the footer's exact link titles, the "Your Privacy Choices" icon
one line high (§7015(b)), and the footer snippet's links as a host page would show them."""

from __future__ import annotations

import pytest

from tests.browser.axe_check import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _line_height_and_icon(locator) -> tuple[float, float]:
    return locator.evaluate(
        """link => {
            const icon = link.querySelector('svg');
            const style = getComputedStyle(link);
            let line = parseFloat(style.lineHeight);
            if (Number.isNaN(line)) line = parseFloat(style.fontSize) * 1.2;
            return [line, icon.getBoundingClientRect().height];
        }"""
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_footer_snippet_page_has_no_axe_violations(page, tenant_a, language):
    tenant_a.use_privacy_choices_link = True
    tenant_a.save()
    page.goto(f"/acme/privacy-links/?lang={language}")
    assert_no_axe_violations(page)


def test_the_privacy_choices_icon_is_one_line_high_in_the_footer_and_the_snippet_7015b(
    page, tenant_a
):
    """R-7015-b-2: the icon's rendered height is within 25 % of the line it sits on."""
    tenant_a.use_privacy_choices_link = True
    tenant_a.save()
    page.goto("/acme/privacy-links/")
    for where in (".site-footer", ".snippet-preview"):
        link = page.locator(where).get_by_role("link", name="Your Privacy Choices")
        line, icon = _line_height_and_icon(link)
        assert 0.75 * line <= icon <= 1.25 * line, (where, line, icon)
