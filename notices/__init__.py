"""Notices (§7010–§7016): the privacy policy, the notice at collection and the other notices.

It owns the data inventory the notices are built from (``categories``, ``models``,
``inventory``), the rendering of the privacy policy and the notice at collection (``documents``,
templates under ``templates/notices``), their versions (``versions``), the write path
(``services``: text, practices, publish with the checker's override, unpublish), the public pages
(``portal_urls``, ``views``), the footer's "Privacy Policy" link (``footer``) and the admin.
It may import ``core``, ``tenants``, ``outbox`` and ``requests_app``, never ``optout`` or
``verification`` (import-linter's layers and independence contracts).
"""
