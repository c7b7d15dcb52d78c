"""The audit trail's writer: who read, changed, exported or downloaded what, when and from where.

Every app calls ``audit.services.audit_record`` where a staff member or an API key reads a
request's personal information, changes something, exports or downloads (issue 14 item 3;
§7101(a): records are secured and every view and export is logged, R-7101-a-2). Entries are
append-only and chained by hash per business (``audit.chain``), so a changed or removed entry is
found by the verification. Reading, verifying and exporting the trail belong to
``recordkeeping``.

It sits beside the outbox, low enough for every app to call it: it may import ``core`` and
``tenants`` only (import-linter's layers contract). What an entry is *about* is a text target
("privacy_request:LL-7KQ3-9XW2"), not a foreign key, so it knows nothing of the apps above it.
"""
