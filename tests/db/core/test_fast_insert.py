"""``insert_new`` writes exactly the row ``save()`` would, with its key, on every database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, models
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core import fast_insert
from core.fast_insert import insert_new
from outbox.models import OutboxMessage
from requests_app.models import Communication, PrivacyRequest, RequestEvent, Status
from requests_app.services import Agent
from tests.factories import make_request
from verification.models import Verification

pytestmark = pytest.mark.django_db

AT = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)


def _event(privacy_request: PrivacyRequest, message: str) -> RequestEvent:
    return RequestEvent(
        tenant=privacy_request.tenant,
        privacy_request=privacy_request,
        kind="note",
        at=AT,
        actor_label="Tester",
        message=message,
        data={"why": ["a list", 1]},
    )


def _outbox_message(privacy_request: PrivacyRequest, dedupe_key: str) -> OutboxMessage:
    return OutboxMessage(
        tenant=privacy_request.tenant,
        about_key=privacy_request.outbox_about_key,
        recipient="someone@example.com",
        subject="Hello",
        body="Body",
        dedupe_key=dedupe_key,
        created_at=AT,
        next_attempt_at=AT,
    )


def _stored(event: RequestEvent) -> dict:
    row = model_to_dict(
        RequestEvent.objects.for_tenant(event.tenant).get(pk=event.pk), exclude=["id"]
    )
    row["dedupe_key"] = row["dedupe_key"] and row["dedupe_key"].split(":")[0]
    return row


@pytest.fixture(params=["returning", "last_insert_id"])
def key_from(request, monkeypatch):
    """PostgreSQL and SQLite ≥ 3.35 return the new key; older SQLite reads lastrowid."""
    if request.param == "last_insert_id":
        if connection.vendor != "sqlite":
            pytest.skip("PostgreSQL always returns the new key")
        monkeypatch.setattr(type(connection.features), "can_return_columns_from_insert", False)
    return request.param


def test_the_row_and_its_key_are_those_save_would_give(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    saved = _event(privacy_request, "The same note.")
    saved.dedupe_key = "same:1"
    saved.save()
    inserted = _event(privacy_request, "The same note.")
    inserted.dedupe_key = "same:2"

    insert_new(inserted)

    assert inserted.pk is not None
    assert inserted.pk != saved.pk
    assert not inserted._state.adding
    assert _stored(inserted) == _stored(saved)
    assert _stored(inserted)["data"] == {"why": ["a list", 1]}


def test_several_rows_get_their_own_keys_in_order(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    first, second = _event(privacy_request, "First."), _event(privacy_request, "Second.")

    insert_new(first, second)

    stored = RequestEvent.objects.for_tenant(tenant_a).in_bulk([first.pk, second.pk])
    assert (stored[first.pk].message, stored[second.pk].message) == ("First.", "Second.")


@pytest.mark.parametrize("count", [2, 3])
def test_several_rows_of_one_model_go_in_one_insert_where_keys_come_back(tenant_a, count):
    privacy_request = make_request(tenant_a)
    events = [_event(privacy_request, f"Note {n}.") for n in range(count)]

    with CaptureQueriesContext(connection) as queries:
        insert_new(*events)

    assert len(queries) == 1
    assert [e.pk for e in events] == sorted(e.pk for e in events)  # in order, all distinct
    stored = RequestEvent.objects.for_tenant(tenant_a).in_bulk([e.pk for e in events])
    assert [stored[e.pk].message for e in events] == [f"Note {n}." for n in range(count)]
    assert all(_stored(e) == _stored(events[0]) | {"message": e.message} for e in events)


def test_rows_of_different_models_keep_their_order_and_links(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    first = _event(privacy_request, "Before.")
    message = _outbox_message(privacy_request, "fast-insert-mixed")
    last = _event(privacy_request, "After.")

    insert_new(first, message, last)

    assert first.pk < last.pk
    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).subject == "Hello"
    assert RequestEvent.objects.for_tenant(tenant_a).get(pk=last.pk).message == "After."


def test_a_related_row_saved_just_before_is_linked(tenant_a, key_from):
    privacy_request = make_request(tenant_a)
    communication = Communication(
        tenant=tenant_a,
        privacy_request=privacy_request,
        template="note",
        recipient="someone@example.com",
        subject="Hello",
        body="Body",
        created_at=AT,
    )

    insert_new(communication)

    stored = Communication.objects.for_tenant(tenant_a).get(pk=communication.pk)
    assert stored.privacy_request_id == privacy_request.pk
    assert stored.channel == "email"  # the model's default, as save() writes it


def test_defaults_are_written_as_save_writes_them(tenant_a, key_from):
    message = _outbox_message(make_request(tenant_a), "fast-insert-test")

    insert_new(message)

    assert OutboxMessage.objects.for_tenant(tenant_a).get(pk=message.pk).status == "pending"


# --- The generated row functions against Django's own preparation -----------------------------


def _full(obj, fields) -> list:
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


def _comparable(values: list) -> list:
    # psycopg2's JSON adapters compare by identity: compare what they wrap.
    return [(type(v), getattr(v, "adapted", v)) for v in values]


def _statement(obj):
    fast_insert._statements.clear()
    return fast_insert._compile(type(obj), obj, connection, 1)


def _intake_rows(tenant) -> list:
    privacy_request = make_request(tenant, agent=Agent(name="Agent Ann", email="ann@agent.example"))
    # The acknowledgement, and its outbox email (an agent's request also tells the consumer,
    # §7063: another communication of the same request).
    acknowledgement = Communication.objects.for_tenant(tenant).get(
        privacy_request=privacy_request, template="acknowledgement"
    )
    return [
        PrivacyRequest.objects.for_tenant(tenant).get(pk=privacy_request.pk),
        acknowledgement,
        OutboxMessage.objects.for_tenant(tenant).get(dedupe_key=f"comm:{acknowledgement.pk}"),
        RequestEvent.objects.for_tenant(tenant).filter(privacy_request=privacy_request).first(),
        # Intake's verification hook writes its record the same fast way.
        Verification.objects.for_tenant(tenant).get(privacy_request=privacy_request),
    ]


def test_every_intake_row_is_prepared_as_save_prepares_it(tenant_a):
    for obj in _intake_rows(tenant_a):
        statement = _statement(obj)
        assert _comparable(statement.row(obj, connection)) == _comparable(
            _full(obj, statement.fields)
        ), type(obj).__name__


# Values of other types than the fast test lets through, each prepared the full way: lazy
# strings, str subclasses (choices, safe strings), bool for int and int for bool, naive datetimes
# (made aware, with Django's warning), a datetime for a date, a date for a datetime, None.
ODD_VALUES = {
    "requester_name": [gettext_lazy("Hello"), mark_safe("<b>x</b>"), Status.RECEIVED, "", None],
    "requester_state": [Status.RECEIVED, 12],
    "status": [Status.CLOSED, "closed"],
    "is_california_consumer": [1, 0, None, True],
    "submitted_by_agent": [1, False],
    "received_at": [
        datetime(2026, 1, 5, 10, 0),
        date(2026, 1, 5),
        datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
    ],
    "received_date": [datetime(2026, 1, 5, 23, 0, tzinfo=UTC), date(2026, 1, 5), None],
    "confirmed_at": [None, AT],
    "assignee_id": [None, True, 7],
    "tenant_id": [True, "1"],
    "flags": [None, [], ["know_limit"], {"a": 1}],
    "delete_categories": [["contact"], []],
}


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_values_the_fast_test_does_not_let_through_are_prepared_the_full_way(tenant_a):
    privacy_request = _intake_rows(tenant_a)[0]
    statement = _statement(privacy_request)
    for attname, values in ODD_VALUES.items():
        for value in values:
            setattr(privacy_request, attname, value)
            fast = statement.row(privacy_request, connection)
            assert _comparable(fast) == _comparable(_full(privacy_request, statement.fields)), (
                attname,
                value,
            )


def test_a_naive_datetime_is_made_aware_with_djangos_warning(tenant_a):
    privacy_request = _intake_rows(tenant_a)[0]
    statement = _statement(privacy_request)
    privacy_request.received_at = datetime(2026, 1, 5, 10, 0)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        values = statement.row(privacy_request, connection)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        assert _comparable(values) == _comparable(_full(privacy_request, statement.fields))


def test_a_deferred_field_is_read_the_full_way(tenant_a):
    row = _intake_rows(tenant_a)[0]
    deferred = PrivacyRequest.objects.for_tenant(tenant_a).defer("requester_name").get(pk=row.pk)
    statement = _statement(row)
    assert "requester_name" not in deferred.__dict__
    assert _comparable(statement.row(deferred, connection)) == _comparable(
        _full(row, statement.fields)
    )


class _Shouting(models.CharField):
    def get_prep_value(self, value):
        return super().get_prep_value(value).upper()


def test_only_fields_whose_preparation_is_djangos_own_get_a_fast_rule():
    rule = fast_insert.field_rule
    assert rule(PrivacyRequest._meta.get_field("requester_name"), connection) == "str"
    assert rule(PrivacyRequest._meta.get_field("requester_email"), connection) == "str"
    assert rule(PrivacyRequest._meta.get_field("is_california_consumer"), connection) == "bool"
    assert rule(PrivacyRequest._meta.get_field("tenant"), connection) == "int"
    assert rule(OutboxMessage._meta.get_field("attempts"), connection) == "int"
    # JSON and phone numbers are always prepared the full way; so is a subclass of a plain
    # field that changes how its values are prepared, and a timestamp set on save.
    assert rule(PrivacyRequest._meta.get_field("flags"), connection) is None
    assert rule(PrivacyRequest._meta.get_field("requester_phone"), connection) is None
    assert rule(_Shouting(max_length=5), connection) is None
    assert rule(models.DateTimeField(auto_now=True), connection) is None
    # Dates and datetimes pass unchanged only where the backend hands them to its driver as is.
    expected = "datetime" if connection.vendor == "postgresql" else None
    assert rule(PrivacyRequest._meta.get_field("received_at"), connection) == expected
    expected = "date" if connection.vendor == "postgresql" else None
    assert rule(PrivacyRequest._meta.get_field("received_date"), connection) == expected


def test_a_related_row_saved_after_it_was_assigned_is_linked_as_save_links_it(tenant_a):
    privacy_request = make_request(tenant_a)
    event = _event(privacy_request, "Linked later.")
    fresh = PrivacyRequest(
        **{
            f.attname: getattr(privacy_request, f.attname)
            for f in PrivacyRequest._meta.concrete_fields
            if f.attname != "id"
        }
    )
    fresh.reference = "AC-LATE-0001"
    event.privacy_request = fresh  # not saved yet: no key to copy
    assert event.privacy_request_id is None
    insert_new(fresh)

    insert_new(event)

    assert RequestEvent.objects.for_tenant(tenant_a).get(pk=event.pk).privacy_request_id == fresh.pk


def test_an_unsaved_related_row_is_refused_as_save_refuses_it(tenant_a):
    privacy_request = make_request(tenant_a)
    event = _event(privacy_request, "Orphan.")
    event.privacy_request = PrivacyRequest(tenant=tenant_a)

    with pytest.raises(ValueError, match="unsaved related object 'privacy_request'"):
        insert_new(event)


# --- The reused cursor ------------------------------------------------------------------------


@pytest.fixture
def psycopg():
    if connection.vendor != "postgresql":
        pytest.skip("only psycopg's cursors are kept (an sqlite3 cursor cannot say it is closed)")


@pytest.mark.usefixtures("psycopg")
def test_the_statements_reuse_one_cursor_and_go_through_execute_wrappers(tenant_a):
    privacy_request = make_request(tenant_a)
    database = connections["default"]
    seen: list[str] = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql.split()[2])
        return execute(sql, params, many, context)

    with database.execute_wrapper(wrapper):
        insert_new(_event(privacy_request, "One."))
        cursor = fast_insert._reusable(database)
        insert_new(_outbox_message(privacy_request, "reuse-1"))
        assert fast_insert._reusable(database) is cursor is not None

    quote = database.ops.quote_name
    assert seen == [quote(RequestEvent._meta.db_table), quote(OutboxMessage._meta.db_table)]


@pytest.mark.usefixtures("psycopg")
@pytest.mark.parametrize("kept", ["closed", "of another connection"])
def test_a_cursor_that_no_longer_works_is_replaced(tenant_a, kept):
    privacy_request = make_request(tenant_a)
    database = connections["default"]
    if kept == "closed":
        stale = database.cursor()
        stale.close()
    else:  # as after a reconnect
        stale = SimpleNamespace(cursor=SimpleNamespace(connection=object(), closed=False))
    database.__dict__["_fast_insert_cursor"] = stale

    insert_new(_event(privacy_request, "After."))

    fresh = fast_insert._reusable(database)
    assert fresh is not stale
    assert fresh.cursor.connection is database.connection
    assert RequestEvent.objects.for_tenant(tenant_a).filter(message="After.").exists()


def test_no_cursor_is_kept_while_queries_are_recorded(tenant_a):
    privacy_request = make_request(tenant_a)
    database = connections["default"]
    database.__dict__.pop("_fast_insert_cursor", None)

    with CaptureQueriesContext(database) as queries:
        insert_new(_event(privacy_request, "Logged."))

    assert len(queries) == 1
    assert fast_insert._reusable(database) is None
