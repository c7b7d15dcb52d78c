"""Admin pages that show a request's personal information write a "read" to the audit trail
(issue 14 item 3; §7101(a), R-7101-a-2: every view is logged).

``render_change_form`` is where the admin renders an object's page (the read-only detail page
included), after the object was found in the business: one entry per page shown, in the page's
transaction.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from audit.models import AuditAction
from audit.services import audit_record


class AuditedReadMixin:
    """Writes one audit entry each time an object's page is shown; subclasses name it."""

    def audit_read(self, obj: Any) -> tuple[str, str]:
        """(target, summary) of the entry for ``obj``."""
        raise NotImplementedError

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None and obj.pk is not None and not add:
            target, summary = self.audit_read(obj)
            audit_record(
                obj.tenant,
                action=AuditAction.READ,
                target=target,
                summary=summary,
                actor=request.user,
                request=request,
            )
        return super().render_change_form(  # type: ignore[misc]
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )
