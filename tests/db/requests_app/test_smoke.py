from tests.factories import make_request


def test_a_new_web_request_is_acknowledged_at_once_7021a(tenant_a):
    privacy_request = make_request(tenant_a, request_type="know")
    assert privacy_request.confirmed_at is not None
    assert privacy_request.communications.get().template == "acknowledgement"
