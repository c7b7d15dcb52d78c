"""The admin's additions, changes and deletions, written to the audit trail (issue 14 item 3).

``tenants.admin_base`` calls ``admin_change_record`` (named in ``settings.ADMIN_CHANGE_RECORDERS``:
tenants sits below audit and cannot import it) from ``log_addition``, ``log_change`` and
``log_deletions`` of every tenant-scoped admin and of the business settings page. Django calls
those inside the save's transaction, after the save: a save that fails writes no entry. An act
whose service already wrote its entry (a timeline entry by the staff member) is not written twice.

The entry names the record and the fields changed, never their values: those may be a
consumer's personal information, and the record itself keeps them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.models import Tenant

from .models import AuditAction
from .services import audit_record, audited_in_request

VERBS = {"added": "Added", "changed": "Changed", "deleted": "Deleted"}


def audit_target(obj: Any) -> str:
    """How an entry names a record: a request by its reference, others by model and id."""
    opts = obj._meta
    if opts.label_lower == "requests_app.privacyrequest":
        return f"privacy_request:{obj.reference}"
    return f"{opts.label_lower}:{obj.pk}"


def _tenant_of(obj: Any) -> Tenant | None:
    if isinstance(obj, Tenant):
        return obj
    if getattr(obj, "tenant_id", None) is None:
        return None
    return obj.tenant


def admin_change_record(request: HttpRequest, obj: Any, *, change: str, message: Any) -> None:
    """One "change" entry for ``obj`` (``change``: added, changed or deleted)."""
    tenant = _tenant_of(obj)
    if tenant is None:  # platform rows (users without a business): not a business's record
        return
    target = audit_target(obj)
    if change != "deleted" and audited_in_request(request, target):
        return
    opts = obj._meta
    audit_record(
        tenant,
        action=AuditAction.CHANGE,
        target=target,
        summary=f"{VERBS[change]} {opts.verbose_name} {obj.pk} in the admin",
        actor=request.user,
        request=request,
        detail={"model": opts.label_lower, "id": obj.pk, "change": change, "fields": message},
    )
