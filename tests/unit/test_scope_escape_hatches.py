"""Every use of the all-tenants escape hatch is on a reviewed list (house-style, backstop 2).

Tenant-owned rows are read through ``Model.objects.for_tenant(tenant)``. ``Model.all_tenants``
reads every business's rows, and ``get_object_or_404(Model, ...)`` bypasses the scope (it uses
the default manager). A new use fails this test until someone has checked it and added it here
with the reason it is safe: that review is the point.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "core",
    "tenants",
    "outbox",
    "requests_app",
    "verification",
    "optout",
    "notices",
    "recordkeeping",
    "demo",
    "privacyportal",
)

# (file, function) -> how many uses, and why each is safe.
REVIEWED: dict[tuple[str, str], tuple[int, str]] = {
    ("tenants/admin_base.py", "platform_queryset"): (
        1,
        "platform superusers who chose no business: the explicit, read-only platform view",
    ),
    ("tenants/admin_base.py", "get_queryset"): (
        1,
        "inlines of the platform view (superusers with no business chosen), read-only",
    ),
    ("outbox/services.py", "outbox_emails_add"): (
        1,
        "bulk insert: every row carries its own email's business (the sweep's digests)",
    ),
    ("outbox/services.py", "outbox_due_ids"): (
        1,
        "the relay serves every business and hands each message on with its business id",
    ),
    ("requests_app/services/sweep.py", "sweep_deadlines"): (
        1,
        "the deadline sweep reads what is due across businesses; writes carry each row's id",
    ),
    ("requests_app/services/sweep.py", "_sweep_batch"): (
        1,
        "updates rows by the primary keys the sweep just read",
    ),
    ("verification/services/webhook.py", "webhook_match_catch_up"): (
        1,
        "the catch-up reads the overdue questions to businesses' systems across businesses; each "
        "is then queued, or cleared, through Verification.objects.for_tenant(its business)",
    ),
    ("verification/services/outcomes.py", "verification_sweep"): (
        1,
        "the verification sweep reads what is due across businesses; each row is then locked "
        "and handled through Verification.objects.for_tenant(its business)",
    ),
    ("requests_app/services/timeline.py", "timeline_milestone_add"): (
        1,
        "SQLite without RETURNING: reads back the events this statement wrote, by dedupe key",
    ),
    ("optout/services.py", "_publish"): (
        1,
        "marks published the consent state row it just wrote to the cache, by its primary key, "
        "read through its business by the caller",
    ),
    ("optout/services.py", "consent_cache_repair"): (
        1,
        "the cache repair reads the unpublished states across businesses (a partial index); "
        "each write is keyed by the row's own business and primary key",
    ),
    ("requests_app/selectors.py", "with_delivery"): (
        1,
        "a subquery bound to each communication's own business by OuterRef('tenant_id')",
    ),
}


def _uses(path: Path) -> Counter[tuple[str, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: Counter[tuple[str, str]] = Counter()
    relative = path.relative_to(ROOT).as_posix()

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
            if isinstance(child, ast.Attribute) and child.attr == "all_tenants":
                found[(relative, name)] += 1
            if (
                isinstance(child, ast.Call)
                and getattr(child.func, "id", getattr(child.func, "attr", ""))
                == "get_object_or_404"
                and child.args
                and isinstance(child.args[0], (ast.Name, ast.Attribute))
            ):
                found[(relative, f"{name} (get_object_or_404)")] += 1
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_every_use_of_the_all_tenants_escape_hatch_is_reviewed():
    uses: Counter[tuple[str, str]] = Counter()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                uses += _uses(path)
    # The manager's own declaration is not a use.
    uses.pop(("tenants/models.py", "<module>"), None)
    reviewed = {place: count for place, (count, _why) in REVIEWED.items()}
    assert dict(uses) == reviewed, (
        "The all-tenants escape hatch (all_tenants, get_object_or_404 with a model) is used "
        "somewhere not reviewed, or a reviewed use is gone. Check that the new use cannot leak "
        "another business's rows, then update REVIEWED with the reason."
    )
