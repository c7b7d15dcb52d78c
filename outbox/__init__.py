"""The outbox: messages written in the caller's transaction and sent after commit.

Its job is "nothing lost, nothing twice". A service that must tell someone something (an email to
a consumer, a digest to staff, a signed webhook to a tenant's system or a recipient) adds an
``OutboxMessage`` in the same transaction as the change it reports; after commit a worker is poked
and the relay sends what is due. Each message is claimed exclusively before it is sent, retried
with backoff when sending fails, and shown as failed once it gives up. A secret a message carries
(a one-time sign-in or download link) is sent but never shown: readers of the outbox see a
redaction, the relay alone opens the encrypted body (``sealing``).

It may import ``core`` and ``tenants`` only (import-linter's layers contract). What a message is
*about* (a privacy request, a recipient) is a key and a label, not a foreign key, so the outbox
knows nothing of the apps above it.
"""
