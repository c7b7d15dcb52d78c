"""Notices (§7010–§7016): the privacy policy, the notice at collection and the other notices.

Today it owns the privacy policy's footer link (``footer``) and the data inventory the notices
are built from (``categories``, ``models``, ``inventory``); the notices issue builds the rest.
It may import ``core``, ``tenants``, ``outbox`` and ``requests_app``, never ``optout`` or
``verification`` (import-linter's layers and independence contracts).
"""
