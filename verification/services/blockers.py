"""What, besides the degree of certainty, holds a request back from being verified.

* an authorized agent's request needs the consumer's signed permission, unless the agent holds
  a power of attorney (§7063(a)-(b)), and, where the business asks it, the consumer's own
  confirmation (§7063(a)(2));
* a request about a child under 13 needs the parent or guardian verified first (§7070(c),
  §7031(c)).

Each blocker is a sentence staff and the consumer can act on.
"""

from __future__ import annotations

from requests_app.models import PrivacyRequest

from ..models import AgentAuthorization, AgentConsumerStep, ParentalCheck


def _agent_authorization(privacy_request: PrivacyRequest) -> AgentAuthorization | None:
    return (
        AgentAuthorization.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .first()
    )


def consumer_verifies(privacy_request: PrivacyRequest) -> bool:
    """Whether the consumer proves their own identity (email link, data points): always when
    they ask themselves; for an agent's request only where the business asks it (§7063(a)(1))
    and the agent holds no power of attorney (§7063(b))."""
    if not privacy_request.submitted_by_agent:
        return True
    authorization = _agent_authorization(privacy_request)
    return (
        authorization is not None
        and not authorization.power_of_attorney
        and authorization.consumer_step == AgentConsumerStep.VERIFY
    )


def blockers(privacy_request: PrivacyRequest) -> list[str]:
    """Why the request cannot be verified yet, whatever its data points ([] when nothing)."""
    found = []
    authorization = (
        _agent_authorization(privacy_request) if privacy_request.submitted_by_agent else None
    )
    if authorization is not None and not authorization.power_of_attorney:
        if authorization.permission_required and authorization.permission_received_at is None:
            found.append(
                "The authorized agent has not given the consumer's signed permission (§7063(a))."
            )
        if (
            authorization.consumer_step == AgentConsumerStep.CONFIRM
            and authorization.consumer_confirmed_at is None
        ):
            found.append(
                "The consumer has not yet confirmed that they gave the agent permission "
                "(§7063(a)(2))."
            )
    parental = (
        ParentalCheck.objects.for_tenant(privacy_request.tenant)
        .filter(privacy_request=privacy_request)
        .first()
    )
    if parental is not None and parental.completed_at is None:
        found.append(
            "The request is about a child under 13: the parent or guardian must be verified "
            "first (§7070(c))."
        )
    return found
