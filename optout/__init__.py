"""Opt-out of sale/sharing, limit, opt-in, consent state and GPC (§7025–§7028).

Today it owns the opt-out and limit links of the portal footer (``footer``); the opt-out issue
builds the pages, consent state and notifications. It may import ``core``, ``tenants``, ``outbox``
and ``requests_app``, never ``notices`` or ``verification`` (import-linter's contracts).
"""
