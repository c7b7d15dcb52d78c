"""Browser tests: Playwright (sync API) driving Debian's Chromium, against pytest-django's
live server, with axe-core checking every page visited (WCAG 2.1 A/AA, zero violations).

Playwright's own browser download does not work here: install Chromium with
``apt-get install -y chromium``. Without /usr/bin/chromium these tests are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django's async-safety check would
# otherwise refuse the ORM calls the tests make (fixtures, outbox look-ups) while it runs.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def _fresh_rate_limits(settings) -> None:
    # A key prefix of its own rather than cache.clear(): the cache may be the Redis that also
    # carries Celery's queues.
    settings.PORTAL_RATE_LIMIT_PREFIX = f"portal-rate-test-{uuid.uuid4().hex}"


@pytest.fixture
def context(browser, live_server, _fresh_rate_limits) -> Iterator[object]:
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Iterator[object]:
    page = context.new_page()
    yield page
    page.close()
