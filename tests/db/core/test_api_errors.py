"""core.api_errors: every error the API can raise becomes {"error": {code, message}}."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from core.api_errors import exception_handler, flatten_errors
from core.refusals import Refused


def _handle(exc: Exception):
    response = exception_handler(exc, {})
    assert response is not None
    return response.status_code, response.data["error"], response


@pytest.mark.parametrize(
    "code", ["already_extended", "too_late", "closed", "not_verified", "illegal_transition"]
)
def test_state_conflicts_are_409(code):
    status, error, _ = _handle(Refused(code, "Refused for a reason.", conflict=True))
    assert status == 409
    assert error == {"code": code, "message": "Refused for a reason."}


def test_whoever_refuses_decides_conflict_or_input_not_a_list_of_codes():
    # A new rule's code needs no entry anywhere else: its raiser says whether it is a conflict.
    assert _handle(Refused("brand_new_state_rule", "No.", conflict=True))[0] == 409
    assert _handle(Refused("brand_new_input_rule", "No."))[0] == 400


def test_input_refusals_are_400_with_the_field():
    status, error, _ = _handle(Refused("reason_required", "Give a reason.", "reason"))
    assert status == 400
    assert error == {
        "code": "reason_required",
        "message": "Give a reason.",
        "fields": {"reason": ["Give a reason."]},
    }


def test_drf_validation_errors_are_flattened_with_dotted_names():
    exc = exceptions.ValidationError(
        {"requester": {"email": ["Enter a valid email address."]}, "type": ["Bad type."]}
    )
    status, error, _ = _handle(exc)
    assert status == 400
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "requester.email": ["Enter a valid email address."],
        "type": ["Bad type."],
    }
    assert error["message"] == "requester.email: Enter a valid email address.; type: Bad type."


def test_non_field_errors_go_to_the_message_only():
    status, error, _ = _handle(
        exceptions.ValidationError({"non_field_errors": ["Expected a dictionary."]})
    )
    assert status == 400
    assert error == {"code": "invalid", "message": "Expected a dictionary."}


def test_many_field_errors_are_summarised():
    detail = {f"field{i}": ["Wrong."] for i in range(5)}
    _, error, _ = _handle(exceptions.ValidationError(detail))
    assert error["message"].endswith("(and 2 more)")
    assert len(error["fields"]) == 5


def test_django_validation_error_is_400_with_fields():
    status, error, _ = _handle(DjangoValidationError({"requester_email": ["Enter a valid email."]}))
    assert status == 400
    assert error["fields"] == {"requester_email": ["Enter a valid email."]}
    status, error, _ = _handle(DjangoValidationError("Plainly wrong."))
    assert (status, error) == (400, {"code": "invalid", "message": "Plainly wrong."})


def test_http404_and_django_permission_denied_are_mapped():
    status, error, _ = _handle(Http404("secret detail"))
    assert (status, error["code"]) == (404, "not_found")
    assert "secret" not in error["message"]
    status, error, _ = _handle(DjangoPermissionDenied())
    assert (status, error["code"]) == (403, "permission_denied")


def test_authentication_errors_are_401_with_the_challenge():
    exc = exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
    exc.auth_header = "Bearer"
    status, error, response = _handle(exc)
    assert status == 401
    assert error == {
        "code": "authentication_failed",
        "message": "This API key is not valid or has been revoked.",
    }
    assert response["WWW-Authenticate"] == "Bearer"


def test_throttled_and_method_not_allowed_keep_their_status():
    status, error, response = _handle(exceptions.Throttled(wait=30))
    assert (status, error["code"], response["Retry-After"]) == (429, "throttled", "30")
    status, error, _ = _handle(exceptions.MethodNotAllowed("DELETE"))
    assert (status, error["code"]) == (405, "method_not_allowed")
    assert "DELETE" in error["message"]


def test_unknown_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("bug"), {}) is None


def test_flatten_handles_lists_of_objects():
    assert flatten_errors({"items": [{}, {"name": ["Required."]}]}) == {
        "items[1].name": ["Required."]
    }


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize(
    "path", ["/api/", "/api/v1/", "/api/v1/no-such-thing/", "/api/v2/requests/", "/api/x.php"]
)
def test_an_unknown_api_address_answers_the_api_json_404(client, method, path):
    """A client parses every API answer as JSON: an address that names no endpoint is the API's
    404, never the portal's HTML page (nor a 500)."""
    answer = getattr(client, method)(path)
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["error"]["code"] == "not_found"
    assert "/api/docs/" in answer.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "meant"),
    [
        ("/api/v1/requests/PR-1234/close/", "/api/v1/requests/PR-1234/close"),
        ("/api/v1/requests/PR-1234/extend/", "/api/v1/requests/PR-1234/extend"),
    ],
)
def test_an_api_address_wrong_by_its_final_slash_names_the_right_one(client, path, meant):
    # Told, not redirected: a redirected POST would lose its body.
    answer = client.post(path, {"outcome": "done"}, content_type="application/json")
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == (
        f"There is no API endpoint at this address: did you mean {meant}?"
    )
