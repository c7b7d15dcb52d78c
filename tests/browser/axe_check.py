"""axe-core (bundled by axe-playwright-python, so it works offline) on the page as it is now."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_AXE = Axe()


def assert_no_axe_violations(page, visited: list[str] | None = None) -> None:
    """Zero WCAG 2.1 A/AA violations on the current page; ``visited`` collects checked URLs."""
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    details = [
        f"{violation['id']}: {violation['help']} -> "
        + "; ".join(node["html"][:160] for node in violation["nodes"][:3])
        for violation in violations
    ]
    assert not violations, f"axe found violations on {page.url}:\n" + "\n".join(details)
    if visited is not None:
        visited.append(page.url)
