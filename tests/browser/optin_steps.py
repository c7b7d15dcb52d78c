"""The shortest path to opt back in (§7028(a)), driven in a browser and counted: every click and
every field filled, from the opt-in link to the confirmed page.

``opt_in_steps(page, base_url)`` pairs with ``optout_steps.opt_out_steps(page, base_url)``:
§7004(a)(2)(A) wants the path to opt in never shorter than the path to opt out, and the browser
test compares the two counts. ``base_url`` is the business's portal, with its trailing slash
(``http://127.0.0.1:8081/acme/``); the browser must be one that has opted out (its device cookie).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Steps:
    clicks: int  # buttons pressed, submits included
    fields: int  # fields filled or boxes ticked
    submits: int  # forms sent

    @property
    def total(self) -> int:
        return self.clicks + self.fields


def opt_in_journey(page, base_url: str, on_page: Callable[[object], None] | None = None) -> Steps:
    """Opt back in the fewest way the pages allow: tick one box (the least a request needs),
    send it, then confirm. ``on_page`` is called on each page shown (e.g. an axe check)."""

    def shown() -> None:
        page.wait_for_load_state()
        if on_page is not None:
            on_page(page)

    clicks = fields = submits = 0
    page.goto(base_url + "opt-in/")
    shown()
    page.locator('input[name="rights"]').first.check()
    fields += 1
    page.click('main form button[type="submit"]')  # "Continue": the request (step 1)
    clicks += 1
    submits += 1
    shown()
    assert page.url.endswith("/opt-in/confirm/"), page.url
    page.click('main form button[value="yes"]')  # "Yes, opt me back in" (step 2)
    clicks += 1
    submits += 1
    shown()
    assert page.url.endswith("/opt-in/done/"), page.url
    return Steps(clicks=clicks, fields=fields, submits=submits)


def opt_in_steps(page, base_url: str) -> int:
    """Clicks plus fields filled, from the opt-in link to the confirmed state."""
    return opt_in_journey(page, base_url).total
