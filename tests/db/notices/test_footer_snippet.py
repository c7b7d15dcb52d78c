"""The embeddable footer snippet (issue 15 item 4): the portal's footer links, as HTML a business
pastes into its own site, with the exact titles (§7013(c), §7014(c), §7015(b)) and no style of its
own (§7003(c))."""

from __future__ import annotations

import re

import pytest

PAGE = "/acme/privacy-links/"


def _snippet(client, path: str = PAGE) -> str:
    """The snippet as the page previews it (its live HTML, not the escaped code)."""
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    return page.split('class="snippet-preview">', 1)[1].split("</div>", 1)[0]


def test_a_business_that_sells_and_uses_sensitive_data_gets_both_exact_links_7013c_7014c(
    client, tenant_a
):
    tenant_a.sells_or_shares = True
    tenant_a.uses_sensitive_beyond_7027m = True
    tenant_a.save()
    snippet = _snippet(client)
    links = {
        text.strip(): href for href, text in re.findall(r'<a href="([^"]+)">([^<]*)</a>', snippet)
    }
    assert links["Do Not Sell or Share My Personal Information"] == (
        "http://testserver/acme/do-not-sell-or-share/"
    )
    assert links["Limit the Use of My Sensitive Personal Information"] == (
        "http://testserver/acme/limit-sensitive/"
    )
    assert links["Notice at Collection"] == "http://testserver/acme/notice-at-collection/"


def test_a_business_that_neither_sells_nor_uses_sensitive_data_gets_no_opt_out_link_7013g(
    client, tenant_a
):
    tenant_a.sells_or_shares = False
    tenant_a.uses_sensitive_beyond_7027m = False
    tenant_a.save()
    snippet = _snippet(client)
    assert "Do Not Sell" not in snippet
    assert "Limit the Use" not in snippet


def test_the_alternative_link_carries_the_icon_one_line_high_with_a_text_alternative_7015b(
    client, tenant_a
):
    tenant_a.sells_or_shares = True
    tenant_a.use_privacy_choices_link = True
    tenant_a.save()
    snippet = _snippet(client)
    link = re.search(r'<a href="http://testserver/acme/privacy-choices/">(.*?)</a>', snippet, re.S)
    assert link is not None
    assert link.group(1).strip().endswith("Your Privacy Choices")
    svg = re.search(r"<svg[^>]*>", link.group(1)).group(0)
    assert 'height="1.25em"' in svg  # one line of the host's text, like the icons beside it
    assert 'aria-label="California Consumer Privacy Act (CCPA) Opt-Out Icon"' in svg
    assert "Do Not Sell" not in snippet  # the alternative link replaces the two


def test_the_snippet_sets_no_class_style_size_or_colour_so_the_host_styles_its_links_7003c(
    client, tenant_a
):
    tenant_a.sells_or_shares = True
    tenant_a.use_privacy_choices_link = True
    tenant_a.save()
    snippet = _snippet(client)
    for styling in ("style=", "class=", "font", "color", "<link", "<script"):
        assert styling not in snippet


def test_the_page_shows_the_code_to_copy_escaped(client, tenant_a):
    tenant_a.sells_or_shares = True
    tenant_a.save()
    page = client.get(PAGE).content.decode()
    code = page.split('class="snippet-code"><code>', 1)[1].split("</code>", 1)[0]
    assert code.startswith("&lt;!--")
    assert "&lt;a href=&quot;http://testserver/acme/do-not-sell-or-share/&quot;&gt;" in code


def test_the_spanish_snippet_has_the_spanish_titles_7003b2(client, tenant_a):
    tenant_a.sells_or_shares = True
    tenant_a.save()
    snippet = _snippet(client, PAGE + "?lang=es")
    assert "No vender ni compartir mi información personal" in snippet
    assert 'lang="es"' in snippet


@pytest.mark.parametrize(
    "name",
    ["Acme --><script>alert(1)</script>", 'Acme" onmouseover="alert(1)'],
)
def test_a_business_name_never_breaks_out_of_the_snippet(client, tenant_a, name):
    tenant_a.legal_name = name
    tenant_a.save()
    page = client.get(PAGE).content.decode()
    assert "<script>alert" not in page
    assert 'onmouseover="alert' not in page


def test_the_page_explains_the_snippet_in_spanish_7003b2(client, tenant_a):
    page = client.get(PAGE + "?lang=es").content.decode()
    assert "Enlaces de privacidad para su sitio web" in page
    assert "Enlaces de privacidad de ACME Corp." in page
