"""The audit trail's rows: ``AuditEntry`` (one per audited act, append-only) and
``AuditChainHead`` (each business's last entry number and hash, locked by every writer)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from tenants.models import TenantManager, TenantOwnedModel


class AppendOnlyError(RuntimeError):
    """An audit entry was about to be changed or deleted: the trail is append-only."""


class AuditAction(models.TextChoices):
    """What was done."""

    READ = "read", "Read"
    CHANGE = "change", "Change"
    EXPORT = "export", "Export"
    DOWNLOAD = "download", "Download"
    IMPORT = "import", "Import"
    PURGE = "purge", "Purge"
    VERIFY = "verify", "Verify"


class ActorKind(models.TextChoices):
    """Who did it: a staff member signed in, an API key, the portal itself, a consumer."""

    STAFF = "staff", "Staff member"
    API_KEY = "api_key", "API key"
    SYSTEM = "system", "Privacy portal"
    CONSUMER = "consumer", "Consumer"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self) -> Any:
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditEntry(TenantOwnedModel):
    """One audited act: who (``actor``/``actor_label``/``actor_kind``), when (``occurred_at``),
    from where (``ip_address``, ``user_agent``), what (``action`` on ``target``, a ``summary``
    and a JSON ``detail``). Written only by ``audit.services.audit_record``; never changed or
    deleted (``save``/``delete`` raise, and on PostgreSQL a trigger refuses UPDATE and DELETE).

    ``seq`` numbers a business's entries 1, 2, 3, …; ``prev_hash``/``entry_hash`` chain each
    to the one before (``audit.chain``). A summary names records by reference, never a
    consumer's personal information, so the retention purge has nothing to remove here.
    """

    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    # PROTECT: the hash covers actor_id, so SET_NULL would break the chain (and the trigger
    # refuses the UPDATE); staff who left are deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # How the actor reads, kept so the entry says the same after the account is renamed.
    actor_label = models.CharField(max_length=200)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    target = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    detail = models.TextField(default="{}", help_text="Canonical JSON (audit.chain).")
    # Text, not GenericIPAddressField: PostgreSQL's inet type may print an address differently
    # from how it was written, and the hash covers the text (the writer normalises it).
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    # The scoped and the unscoped manager both refuse bulk UPDATE and DELETE.
    all_tenants = models.Manager.from_queryset(AuditEntryQuerySet)()
    objects = TenantManager.from_queryset(AuditEntryQuerySet)()

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        constraints = [
            # The backstop of the head's lock: two writers can never both write entry n.
            models.UniqueConstraint(fields=["tenant", "seq"], name="audit_entry_seq_unique"),
        ]
        indexes = [
            # The trail page filters by these, newest first (recordkeeping.audit_admin).
            models.Index(fields=["tenant", "actor_label", "seq"], name="audit_entry_actor"),
            models.Index(fields=["tenant", "action", "seq"], name="audit_entry_action"),
            models.Index(fields=["tenant", "target", "seq"], name="audit_entry_target"),
            models.Index(fields=["tenant", "occurred_at"], name="audit_entry_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditChainHead(TenantOwnedModel):
    """Each business's chain head: the last entry's number and hash. Every writer locks it
    (``select_for_update``) before numbering its entry, so concurrent writers take turns and
    the chain never forks."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = "audit chain head"

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.last_seq}"
