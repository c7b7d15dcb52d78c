"""The acknowledgement filled in from its compiled shape is byte for byte the template's render.

``message_shapes`` renders a template once per shape (business, type, language, two-step
delete) with markers where the per-request values go, then fills the pieces in. Every type,
language, name, agent and two-step case is compared with Django's own render of the same
request, with values full of HTML's special characters and non-ASCII text, and with a second
request of the same shape (other names, other dates), so the comparison goes through the filled
shape, not the one-time check of the first message.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from unittest import mock

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from core.calendar import business_calendar
from requests_app import deadlines
from requests_app.models import PrivacyRequest
from requests_app.services import Requester, message_shapes, privacy_request_create
from requests_app.services.consumer_messages import (
    ACKNOWLEDGEMENT_SUBJECT,
    consumer_message_render,
)
from requests_app.vocabulary import REQUEST_TYPES
from tenants.models import DEFAULT_VERIFICATION_DESCRIPTION
from tests.portal_helpers import communication_of, email_of

pytestmark = pytest.mark.django_db

SPECIAL = 'Zoë <b>Ñúñez</b> & O\'Brien "Q" 100% {{ x }} %(y)s \\ 東京'
PEOPLE = [
    # (requester name, agent name)
    ("", ""),
    ("Casey Jones", ""),
    ("", "Agência <Legal> & Co"),
    ("Casey Jones", "Agência <Legal> & Co"),
    (SPECIAL, ""),
    ("", SPECIAL),
    ("  spaced  ", ""),
]
DAYS = [date(2025, 9, 2), date(2026, 2, 27), date(2026, 12, 31)]


def _request(tenant, *, request_type, language, requester_name, agent_name, received, two_step):
    due = deadlines.deadlines_for(
        request_type,
        datetime.combine(received, time(12), tzinfo=tenant.zone),
        tenant.zone,
        business_calendar(tenant.business_calendar),
    )
    return PrivacyRequest(
        tenant=tenant,
        reference=f"AC-{received:%m%d}-{len(requester_name) + len(agent_name):04d}",
        request_type=request_type,
        language=language,
        requester_name=requester_name,
        agent_name=agent_name,
        received_date=due.received_date,
        confirm_by=due.confirm_by,
        respond_by=due.respond_by,
        comply_by=due.comply_by,
        awaiting_consumer_confirmation=two_step,
    )


def _plain(privacy_request: PrivacyRequest, language: str | None = None):
    with mock.patch.object(message_shapes, "COMPILED_TEMPLATES", frozenset()):
        return consumer_message_render(
            privacy_request,
            template="acknowledgement",
            subject=ACKNOWLEDGEMENT_SUBJECT,
            language=language,
        )


def _shaped(privacy_request: PrivacyRequest, language: str | None = None):
    return consumer_message_render(
        privacy_request,
        template="acknowledgement",
        subject=ACKNOWLEDGEMENT_SUBJECT,
        language=language,
    )


def _special_tenant(tenant, *, domain: str = "") -> None:
    tenant.legal_name = 'Ñandú <Outdoor> & Søn\'s "Supply"'
    tenant.contact_email = "privacy+ñ@acme.example"
    tenant.verification_description = (
        'We match 2 <data points> & ask you to confirm by email — "quickly".'
    )
    tenant.domain = domain
    tenant.save()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("request_type", REQUEST_TYPES)
@pytest.mark.parametrize("business", ["plain", "special", "own domain"])
def test_the_filled_acknowledgement_is_the_template_render_byte_for_byte(
    tenant_a, language, request_type, business
):
    if business != "plain":
        _special_tenant(tenant_a, domain="privacy.acme.example" if business == "own domain" else "")
    shapes = 0
    for two_step in (False, True) if request_type == "delete" else (False,):
        for (requester_name, agent_name), received in itertools.product(PEOPLE, DAYS):
            privacy_request = _request(
                tenant_a,
                request_type=request_type,
                language=language,
                requester_name=requester_name,
                agent_name=agent_name,
                received=received,
                two_step=two_step,
            )
            shaped = _shaped(privacy_request)
            plain = _plain(privacy_request)
            assert shaped == plain
            assert shaped.body.encode() == plain.body.encode()
        shapes += 1
    # One shape per two-step case, every later request filled in from it: never refused.
    assert len(message_shapes._shapes) == shapes
    assert message_shapes._refused_templates == set()


def test_the_default_verification_description_is_translated_in_the_shape(tenant_a):
    tenant_a.verification_description = DEFAULT_VERIFICATION_DESCRIPTION
    tenant_a.save()
    for language in ("en", "es"):
        privacy_request = _request(
            tenant_a,
            request_type="know",
            language=language,
            requester_name="Casey",
            agent_name="",
            received=DAYS[0],
            two_step=False,
        )
        first, second = _shaped(privacy_request), _shaped(privacy_request)
        assert first == second == _plain(privacy_request)
        with translation.override(language):
            assert translation.gettext(DEFAULT_VERIFICATION_DESCRIPTION) in second.body


def test_a_language_other_than_the_requests_gets_its_own_shape(tenant_a):
    privacy_request = _request(
        tenant_a,
        request_type="delete",
        language="en",
        requester_name="",
        agent_name="",
        received=DAYS[1],
        two_step=False,
    )
    for _ in range(2):
        assert _shaped(privacy_request, "es") == _plain(privacy_request, "es")
        assert _shaped(privacy_request) == _plain(privacy_request)
    assert "Hola" in _shaped(privacy_request, "es").body


def test_a_business_that_edits_its_settings_gets_a_new_shape_never_a_stale_one(tenant_a):
    privacy_request = _request(
        tenant_a,
        request_type="know",
        language="en",
        requester_name="Casey",
        agent_name="",
        received=DAYS[0],
        two_step=False,
    )
    before = _shaped(privacy_request)
    assert "ACME Corp." in before.body
    edits = {
        "legal_name": "ACME Renamed Inc.",
        "contact_email": "new-privacy@acme.example",
        "verification_description": "We call you back on the number we have.",
        # The slug is in the status page's address until the business has a domain of its own.
        "slug": "acme-renamed",
        "domain": "privacy.acme.example",
    }
    for field, value in edits.items():
        setattr(tenant_a, field, value)
        tenant_a.save()
        privacy_request.tenant = tenant_a
        after = _shaped(privacy_request)
        assert after == _plain(privacy_request)
        assert value in after.body, field
    # The same business object, edited in place without saving, is keyed on its values too.
    tenant_a.legal_name = "Unsaved Name LLC"
    assert "Unsaved Name LLC" in _shaped(privacy_request).body


def test_the_intake_acknowledgement_and_its_outbox_email_are_the_plain_render(tenant_a):
    _special_tenant(tenant_a)
    for i, name in enumerate(["", SPECIAL, "Casey"]):
        privacy_request = privacy_request_create(
            tenant=tenant_a,
            request_type="delete",
            channel="api",
            language="es" if i % 2 else "en",
            requester=Requester(name=name, email=f"casey{i}@example.com"),
        )
        # The acknowledgement; the email-verification link beside it (§7060) is never a shape.
        communication = communication_of(privacy_request)
        plain = _plain(privacy_request)
        assert (communication.subject, communication.body) == (plain.subject, plain.body)
        message = email_of(privacy_request)
        assert (message.subject, message.body) == (plain.subject, plain.body)


# --- The compiler itself, on templates of the test's own ------------------------------------

_HTML = (
    "{% load i18n %}<p>{% blocktranslate with name=greeting_name %}Hello {{ name }},"
    "{% endblocktranslate %}</p><p>{{ privacy_request.reference }}: {{ received_date }}, "
    "{{ respond_by }}, {{ max_respond_by }}</p><p>{{ tenant.legal_name }}</p>"
    "{% autoescape off %}<pre>{{ greeting_name }} {{ tenant.legal_name }}</pre>"
    "{% endautoescape %}"
)


@pytest.fixture
def test_templates(settings):
    def use(templates: dict[str, str]) -> None:
        engine = settings.TEMPLATES[0]
        settings.TEMPLATES = [
            {
                **engine,
                "APP_DIRS": False,
                "OPTIONS": {
                    **engine["OPTIONS"],
                    "loaders": [
                        ("django.template.loaders.locmem.Loader", templates),
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                },
            }
        ]

    return use


def _context(tenant, privacy_request, slots):
    return {"tenant": tenant, "privacy_request": privacy_request, **slots}


def test_an_html_template_escapes_each_value_where_the_engine_does(tenant_a, test_templates):
    test_templates({"shape_test.html": _HTML})
    _special_tenant(tenant_a)
    first = _request(
        tenant_a,
        request_type="know",
        language="en",
        requester_name="",
        agent_name="",
        received=DAYS[0],
        two_step=False,
    )
    shape = message_shapes.shape_compile(
        "shape_test.html",
        tenant=tenant_a,
        privacy_request=first,
        subject=ACKNOWLEDGEMENT_SUBJECT,
        language="en",
        context=lambda slots: _context(tenant_a, first, slots),
    )
    assert {escaped for _, escaped in shape.slots} == {True, False}
    for requester_name, agent_name in PEOPLE:
        privacy_request = _request(
            tenant_a,
            request_type="know",
            language="en",
            requester_name=requester_name,
            agent_name=agent_name,
            received=DAYS[2],
            two_step=False,
        )
        values = message_shapes.slot_values(privacy_request, "en", shape.there)
        with translation.override("en"):
            expected = render_to_string(
                "shape_test.html",
                _context(
                    tenant_a, privacy_request, dict(zip(message_shapes.SLOTS, values, strict=True))
                ),
            )
        assert shape.fill(values) == expected
    special = shape.fill((SPECIAL, "d1", "d2", "d3", "p", "AC-1"))
    assert "<p>Hello Zoë &lt;b&gt;Ñúñez&lt;/b&gt; &amp; O&#x27;Brien &quot;Q&quot;" in special
    assert f"<pre>{SPECIAL} " in special


BEYOND_PLAIN = "uses a per-request value beyond plain output"


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("{{ privacy_request.requester_email }}", "reads privacy_request.requester_email"),
        ("{{ tenant.toll_free_number }}", "reads tenant.toll_free_number"),
        ("{{ tenant }}", "str(tenant)"),
        ("{{ greeting_name|upper }}", BEYOND_PLAIN),
        ("{{ privacy_request.reference|truncatechars:3 }}", BEYOND_PLAIN),
        ('{% if greeting_name == "Casey" %}Hi Casey{% endif %}', BEYOND_PLAIN),
        ("{% with name=greeting_name %}{{ name }}{% endwith %}", BEYOND_PLAIN),
        ("{{ tenant.legal_name|default:respond_by }}", BEYOND_PLAIN),
        ("{% load i18n %}{% translate greeting_name %}", BEYOND_PLAIN),
        ("{% include 'requests_app/emails/extension.txt' %}", BEYOND_PLAIN),
    ],
)
def test_a_template_that_reads_or_changes_what_the_shape_cannot_key_is_refused(
    tenant_a, test_templates, template, why
):
    test_templates({"shape_test.txt": template})
    privacy_request = _request(
        tenant_a,
        request_type="know",
        language="en",
        requester_name="Casey",
        agent_name="",
        received=DAYS[0],
        two_step=False,
    )
    with pytest.raises(
        message_shapes.NotCompilable, match=why.replace("(", r"\(").replace(")", r"\)")
    ):
        message_shapes.shape_compile(
            "shape_test.txt",
            tenant=tenant_a,
            privacy_request=privacy_request,
            subject=ACKNOWLEDGEMENT_SUBJECT,
            language="en",
            context=lambda slots: _context(tenant_a, privacy_request, slots),
        )


def test_a_refused_template_is_rendered_the_plain_way_from_then_on(tenant_a, test_templates):
    test_templates(
        {"requests_app/emails/acknowledgement.txt": "{{ privacy_request.requester_email }}"}
    )
    privacy_request = _request(
        tenant_a,
        request_type="know",
        language="en",
        requester_name="Casey",
        agent_name="",
        received=DAYS[0],
        two_step=False,
    )
    privacy_request.requester_email = "casey@example.com"
    assert _shaped(privacy_request).body == "casey@example.com\n"
    assert message_shapes._refused_templates == {"acknowledgement"}
    privacy_request.requester_email = "other@example.com"
    assert _shaped(privacy_request).body == "other@example.com\n"


def test_a_shape_that_differs_from_the_plain_render_is_never_used(tenant_a, test_templates):
    # A text that changes from one render to the next cannot be kept: the first message's check
    # against the plain render catches it (three random words: the same twice once in ~10^7).
    test_templates({"requests_app/emails/acknowledgement.txt": "{% lorem 3 w random %}"})
    privacy_request = _request(
        tenant_a,
        request_type="know",
        language="en",
        requester_name="Casey",
        agent_name="",
        received=DAYS[0],
        two_step=False,
    )
    _shaped(privacy_request)
    assert message_shapes._refused_templates == {"acknowledgement"}
    assert message_shapes._shapes == {}


def test_a_business_text_with_the_markers_characters_is_rendered_the_plain_way(tenant_a):
    tenant_a.legal_name = "Odd \ue000 Name \ue001 Inc."
    tenant_a.save()
    privacy_request = _request(
        tenant_a,
        request_type="know",
        language="en",
        requester_name="Casey",
        agent_name="",
        received=DAYS[0],
        two_step=False,
    )
    assert _shaped(privacy_request) == _plain(privacy_request)
    assert message_shapes._shapes == {}
    assert message_shapes._refused_templates == set()  # other businesses keep their shapes


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_email_link_message_from_its_shape_carries_each_message_s_own_link(tenant_a, language):
    """The verification link's email is filled from a shape with the link as a slot: each
    message is the template's own render with its own link, and the shape keeps no link."""
    from requests_app.services.consumer_messages import Secret
    from verification.services.records import LINK_SUBJECTS, LINK_TEMPLATES, LinkPurpose

    template = LINK_TEMPLATES[LinkPurpose.EMAIL]
    assert template in message_shapes.COMPILED_TEMPLATES
    message_shapes.shapes_forget()
    links = [f"https://portal.example/verify/?t=secret-{n}-<&>" for n in range(3)]
    for n, (link, (name, agent)) in enumerate(zip(links, PEOPLE[1:4], strict=True)):
        privacy_request = _request(
            tenant_a,
            request_type="delete",
            language=language,
            requester_name=name,
            agent_name=agent,
            received=DAYS[n],
            two_step=False,
        )
        message = {
            "template": template,
            "subject": LINK_SUBJECTS[LinkPurpose.EMAIL],
            "secrets": {"link": Secret("verification link", link)},
        }
        rendered = consumer_message_render(privacy_request, **message)
        with mock.patch.object(message_shapes, "COMPILED_TEMPLATES", frozenset()):
            expected = consumer_message_render(privacy_request, **message)
        assert rendered == expected
        assert link in rendered.body
        assert all(other not in rendered.body for other in links if other != link)
    shapes = list(message_shapes._shapes.values())
    assert shapes, "the link's email was not filled from a shape"
    assert not any("secret-" in piece for shape in shapes for piece in shape.pieces)
