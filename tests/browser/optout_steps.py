"""How many things a consumer does to opt out, counted in a real browser (§7004(a)(2)(A),
§7026(b)): the opt-in path (branch ``optin``) must never take fewer than this.

Counted as a person would: every link clicked, every field filled and every button pressed,
from the footer link of a portal page to the page confirming "Opt-Out Request Honored".
Reading is not an action. The optional identifier is left empty unless given: the shortest
path is what §7004(a)(2)(A) compares.
"""

from __future__ import annotations

import re

DNSS = "Do Not Sell or Share My Personal Information"
CHOICES = "Your Privacy Choices"
HONORED = "Opt-Out Request Honored"


def opt_out_steps(
    page, base_url: str, *, email: str | None = None, phone: str | None = None
) -> int:
    """Opt out from the portal page at ``base_url`` (e.g. ``live_server.url + "/acme/"``), as a
    visitor would, and return the number of actions it took. Fails if the confirmation does not
    show."""
    page.goto(base_url)
    steps = 0
    footer = page.locator("footer")
    link = footer.get_by_role("link", name=DNSS, exact=True)
    if link.count() == 0:  # the business shows the alternative link instead (§7015)
        link = footer.get_by_role("link", name=re.compile(CHOICES))
    link.click()
    page.wait_for_load_state()
    steps += 1
    form = page.locator("main form")
    for selector, value in (("#id_email", email), ("#id_phone", phone)):
        if value is not None:
            form.locator(selector).fill(value)
            steps += 1
    # The first button is the opt-out (on "Your Privacy Choices", "opt out of all").
    form.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    steps += 1
    assert page.get_by_role("heading", name=re.compile(HONORED)).is_visible(), page.url
    return steps
