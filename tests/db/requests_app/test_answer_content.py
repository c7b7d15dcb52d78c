"""What an answer must say beyond its outcome (issue 16 item 7): the opt-out question on a denied
request to delete (§7022(g)), the privacy policy on a denied request to know (§7024(b)), and
the contested-accuracy offer, the 250-word health statement and the way to delete on a denied
request to correct (§7023(f)(3)-(5)), in English and Spanish."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.refusals import Refused
from outbox.models import OutboxMessage
from requests_app.services import privacy_request_close, privacy_request_mark_verified
from tests.factories import ASSESSMENT, correction, make_request
from tests.helpers import login

OPT_OUT_QUESTION = "Would you like us to stop selling or sharing yours?"
CONTESTED = "that you say it is not accurate"
HEALTH = "up to 250 words for each piece of information"
DELETE_INSTEAD = "You can also ask us to delete this information instead:"


def _verified(privacy_request, staff):
    return privacy_request_mark_verified(
        privacy_request=privacy_request, actor=staff, method="matched 3 data points"
    )


def _close(privacy_request, staff, outcome: str, reason: str = "exempt"):
    fields = {"outcome": outcome}
    if outcome != "complied":
        fields |= {
            "denial_reason": reason,
            "explanation": "We must keep your invoices for seven years for tax purposes.",
            "legal_basis": "Civil Code §1798.105(d)(8)",
        }
    if outcome == "complied_in_part":
        fields["done_explanation"] = "We deleted the rest of your information."
    if privacy_request.request_type == "correct":  # §7023(b)
        fields |= {"assessment": ASSESSMENT, "documentation_considered": "A utility bill."}
    closed = privacy_request_close(privacy_request=privacy_request, actor=staff, **fields)
    return closed.communications.get(template="closed").body


@pytest.mark.parametrize("outcome", ["denied", "complied_in_part"])
def test_a_denied_delete_by_a_business_that_sells_asks_about_opting_out_with_the_link_7022g(
    tenant_a, staff_a, outcome
):
    body = _close(_verified(make_request(tenant_a), staff_a), staff_a, outcome)
    assert OPT_OUT_QUESTION in body
    assert "/acme/do-not-sell-or-share/" in body


def test_a_complied_delete_does_not_ask_about_opting_out(tenant_a, staff_a):
    body = _close(_verified(make_request(tenant_a), staff_a), staff_a, "complied")
    assert OPT_OUT_QUESTION not in body


def test_a_business_that_does_not_sell_does_not_ask_7022g(tenant_a, staff_a):
    tenant_a.sells_or_shares = False
    tenant_a.save()
    body = _close(_verified(make_request(tenant_a), staff_a), staff_a, "denied")
    assert OPT_OUT_QUESTION not in body


def test_a_consumer_who_already_opted_out_is_not_asked_again_7022g(tenant_a, staff_a):
    opt_out = make_request(tenant_a, request_type="opt_out", email="Casey@Example.com")
    privacy_request_close(privacy_request=opt_out, actor=staff_a, outcome="complied")
    delete = _verified(make_request(tenant_a, email="casey@example.com"), staff_a)
    assert OPT_OUT_QUESTION not in _close(delete, staff_a, "denied")


def test_an_opt_out_by_someone_else_does_not_count(tenant_a, staff_a):
    opt_out = make_request(tenant_a, request_type="opt_out", email="other@example.com")
    privacy_request_close(privacy_request=opt_out, actor=staff_a, outcome="complied")
    delete = _verified(make_request(tenant_a, email="casey@example.com"), staff_a)
    assert OPT_OUT_QUESTION in _close(delete, staff_a, "denied")


@pytest.mark.parametrize("outcome", ["denied", "complied_in_part"])
def test_a_denied_request_to_know_points_to_the_privacy_policy_7024b(tenant_a, staff_a, outcome):
    tenant_a.privacy_policy_url = "https://www.acme.example/privacy"
    tenant_a.save()
    know = _verified(make_request(tenant_a, request_type="know"), staff_a)
    body = _close(know, staff_a, outcome)
    assert "Our privacy policy describes the kinds of personal information we collect" in body
    assert "https://www.acme.example/privacy" in body


def test_an_unverifiable_request_to_know_still_points_to_the_general_practices_7024b(
    tenant_a, staff_a
):
    know = make_request(tenant_a, request_type="know")
    body = _close(know, staff_a, "denied", reason="unverifiable")
    assert "We could not verify your identity" in body
    # No policy address: the consumer is told how to get it.
    assert "ask us at privacy@acme.example for our privacy policy" in body


def test_a_complied_request_to_know_does_not_need_the_pointer(tenant_a, staff_a):
    tenant_a.privacy_policy_url = "https://www.acme.example/privacy"
    tenant_a.save()
    know = _verified(make_request(tenant_a, request_type="know"), staff_a)
    assert "https://www.acme.example/privacy" not in _close(know, staff_a, "complied")


@pytest.mark.parametrize("outcome", ["denied", "complied_in_part"])
def test_a_denied_correction_offers_the_contest_note_the_health_statement_and_deletion_7023f(
    tenant_a, staff_a, outcome
):
    request = _verified(correction(tenant_a), staff_a)
    body = _close(request, staff_a, outcome)
    assert CONTESTED in body  # §7023(f)(3)
    assert HEALTH in body  # §7023(f)(4)
    assert DELETE_INSTEAD in body  # §7023(f)(5)
    assert "/acme/delete/" in body


def test_a_complied_correction_offers_none_of_it(tenant_a, staff_a):
    request = _verified(correction(tenant_a), staff_a)
    body = _close(request, staff_a, "complied")
    for text in (CONTESTED, HEALTH, DELETE_INSTEAD):
        assert text not in body


def test_the_answers_extra_content_is_in_spanish_for_a_spanish_request_7003b2(tenant_a, staff_a):
    delete = _verified(make_request(tenant_a, language="es"), staff_a)
    body = _close(delete, staff_a, "denied")
    assert OPT_OUT_QUESTION not in body
    assert "¿Desea que dejemos de vender o compartir la suya?" in body


# --- Staff's own paragraph, and the preview (issue 16 item 7) -----------------------------------


def test_staff_s_own_paragraph_is_sent_after_the_required_content_and_kept(tenant_a, staff_a):
    delete = _verified(make_request(tenant_a), staff_a)
    closed = privacy_request_close(
        privacy_request=delete,
        actor=staff_a,
        outcome="complied",
        personal_paragraph="Thank you for your patience while we checked our archive.",
    )
    answer = closed.communications.get(template="closed")
    assert answer.body.index("We did what you asked.") < answer.body.index(
        "Thank you for your patience while we checked our archive."
    )


def test_a_paragraph_over_the_limit_is_refused_and_nothing_is_closed(tenant_a, staff_a):
    delete = _verified(make_request(tenant_a), staff_a)
    with pytest.raises(Refused) as refused:
        privacy_request_close(
            privacy_request=delete, actor=staff_a, outcome="complied", personal_paragraph="x" * 2001
        )
    assert refused.value.field == "personal_paragraph"
    delete.refresh_from_db()
    assert delete.status != "closed"
    assert not delete.communications.filter(template="closed").exists()


def _close_url(privacy_request) -> str:
    return reverse("admin:requests_app_privacyrequest_close", args=[privacy_request.pk])


def test_staff_preview_the_answer_word_for_word_and_nothing_is_sent(tenant_a, staff_a):
    delete = _verified(make_request(tenant_a), staff_a)
    messages_before = OutboxMessage.objects.for_tenant(tenant_a).count()
    response = login(staff_a).post(
        _close_url(delete),
        {
            "outcome": "denied",
            "denial_reason": "exempt",
            "explanation": "We must keep your invoices for seven years for tax purposes.",
            "legal_basis": "Civil Code §1798.105(d)(8)",
            "personal_paragraph": "Call me if you have questions.",
            "preview": "Preview the answer",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The answer the consumer will get" in page
    assert OPT_OUT_QUESTION in page
    assert "Call me if you have questions." in page
    delete.refresh_from_db()
    assert delete.status != "closed"
    assert not delete.communications.filter(template="closed").exists()
    assert OutboxMessage.objects.for_tenant(tenant_a).count() == messages_before


def test_a_preview_of_a_denial_without_explanation_shows_the_refusal(tenant_a, staff_a):
    delete = _verified(make_request(tenant_a), staff_a)
    response = login(staff_a).post(
        _close_url(delete), {"outcome": "denied", "denial_reason": "other", "preview": "Preview"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The answer the consumer will get" not in page
    assert "errorlist" in page
    delete.refresh_from_db()
    assert delete.status != "closed"


def test_the_api_close_sends_the_paragraph_too(tenant_a, staff_a, api_a):
    delete = _verified(make_request(tenant_a), staff_a)
    response = api_a.post(
        f"/api/v1/requests/{delete.reference}/close",
        {"outcome": "complied", "personal_paragraph": "We also removed you from our mailing list."},
    )
    assert response.status_code == 200, response.content
    answer = delete.communications.get(template="closed")
    assert "We also removed you from our mailing list." in answer.body
