"""Fulfilment: the business's own data systems (CRM, e-commerce, marketing, support desk, data
warehouse) and, for each verified request to know, delete or correct, a task per relevant system
with its own state, due date and reminders (issue 16 item 0).

Layer 5, beside recordkeeping and independent of it. It may import core, tenants, outbox, audit,
requests_app, verification, optout and notices; nothing imports it but demo and privacyportal
(and the settings' hook lists: requests_app reaches it only through them).
"""
