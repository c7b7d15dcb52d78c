"""§7024(d): what a response to a request to know never discloses, by field name and by value,
and what it must not mistake for it (phone numbers, dates, ZIP codes, order numbers)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from fulfilment import package_rules as rules
from fulfilment import withholding as w
from fulfilment.withholding import (
    BIOMETRIC,
    FINANCIAL_ACCOUNT,
    GOVERNMENT_ID,
    HEALTH_ID,
    PASSWORD,
    SECURITY_QA,
    SSN,
    WITHHELD,
)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("ssn", SSN),
        ("SSN", SSN),
        ("customer_ssn", SSN),
        ("social_security_number", SSN),
        ("Social Security Number", SSN),
        ("socialSecurityNumber", SSN),
        ("socialsecuritynumber", SSN),
        ("social-security-no", SSN),
        ("tax_id", SSN),
        ("drivers_license", GOVERNMENT_ID),
        ("driver's license number", GOVERNMENT_ID),
        ("DriversLicenseNo", GOVERNMENT_ID),
        ("driving_licence", GOVERNMENT_ID),
        ("passport", GOVERNMENT_ID),
        ("passport_number", GOVERNMENT_ID),
        ("national_id", GOVERNMENT_ID),
        ("state_id_number", GOVERNMENT_ID),
        ("account_number", FINANCIAL_ACCOUNT),
        ("bank_account", FINANCIAL_ACCOUNT),
        ("card_number", FINANCIAL_ACCOUNT),
        ("creditCardNumber", FINANCIAL_ACCOUNT),
        ("iban", FINANCIAL_ACCOUNT),
        ("IBAN", FINANCIAL_ACCOUNT),
        ("cvv", FINANCIAL_ACCOUNT),
        ("health_insurance_id", HEALTH_ID),
        ("medical_record_number", HEALTH_ID),
        ("MRN", HEALTH_ID),
        ("medicare_number", HEALTH_ID),
        ("password", PASSWORD),
        ("Password", PASSWORD),
        ("password_hash", PASSWORD),
        ("user.passwd", PASSWORD),
        ("pin", PASSWORD),
        ("security_question", SECURITY_QA),
        ("security_answer", SECURITY_QA),
        ("SecurityQuestion1", SECURITY_QA),
        ("biometric", BIOMETRIC),
        ("biometric_template", BIOMETRIC),
        ("fingerprint", BIOMETRIC),
        ("face_template", BIOMETRIC),
        ("voiceprint", BIOMETRIC),
    ],
)
def test_7024d_fields_tagged_by_name_whatever_the_case_and_separators(name, kind):
    assert w.field_kind(name) == kind


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "email",
        "phone",
        "company",  # contains "pan"
        "span",
        "order_number",
        "order_id",
        "account_id",
        "zip",
        "postal_code",
        "created_at",
        "ship_date",
        "pinterest_handle",  # "pin" only as a whole word
        "spinner",
        "medical_record",  # the record itself is the consumer's data; only its number is withheld
        "loyalty_points",
        "country",
        "latin_name",  # contains "tin", not as a word
        "",
    ],
)
def test_ordinary_fields_are_not_tagged(name):
    assert w.field_kind(name) is None


@pytest.mark.parametrize(
    "value",
    [
        "123-45-6789",
        "123 45 6789",
        "My SSN is 123-45-6789, thanks",
        "078-05-1121",
    ],
)
def test_7024d_a_formatted_ssn_is_withheld_in_any_field_or_text(value):
    assert w.value_kind(value, "notes") == SSN


@pytest.mark.parametrize(
    "value",
    [
        "000-12-3456",  # area 000
        "666-12-3456",  # area 666
        "912-12-3456",  # area 9xx (ITINs, never SSNs in this form)
        "123-00-4567",  # group 00
        "123-45-0000",  # serial 0000
    ],
)
def test_ssn_shapes_breaking_the_ssa_rules_are_not_taken_for_one(value):
    assert w.value_kind(value, "notes") is None


def test_a_bare_nine_digit_value_is_an_ssn_unless_its_field_says_otherwise():
    assert w.value_kind("123456789", "identifier") == SSN
    assert w.value_kind(123456789, "value") == SSN
    assert w.value_kind("123456789", "order_number") is None
    assert w.value_kind("123456789", "customer_id") is None
    assert w.value_kind("123456789", "tracking") is None
    assert w.value_kind("912345678", "identifier") is None  # area 9xx
    assert w.value_kind("1234567890", "identifier") is None  # ten digits


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "555-123-4567"),
        ("phone", "(555) 123-4567"),
        ("phone", "+1 415 555 0134"),
        ("phone", "4155550134"),
        ("notes", "call 555-123-4567 after 5"),
        ("created_at", "2024-05-01"),
        ("created_at", "2024-05-01T10:00:00Z"),
        ("date", "05/01/2024"),
        ("zip", "94105"),
        ("zip", "94105-1234"),
        ("zip", "941051234"),
        ("order_number", "100234567"),
        ("order_number", "A-123-45-67890"),
        ("order_number", "4111111111111112"),  # not Luhn-valid
        ("invoice", "1234567812345678"),  # Luhn-valid but no card network's prefix
        ("sku", "0000000000000"),
        ("amount", 123456789.5),
        ("count", 42),
        ("note", "Reference DE00 1234"),
        ("flag", True),
        ("missing", None),
    ],
)
def test_7024d_false_positives_avoided(field, value):
    assert w.value_kind(value, field) is None


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111111",  # Visa test number
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555555555554444",  # Mastercard
        "378282246310005",  # Amex
        "6011111111111117",  # Discover
        "paid with 4012888888881881 yesterday",
    ],
)
def test_7024d_payment_card_numbers_passing_luhn_are_withheld(value):
    assert w.value_kind(value, "payment") == FINANCIAL_ACCOUNT


@pytest.mark.parametrize(
    "value", ["GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"]
)
def test_7024d_an_iban_passing_mod97_is_withheld(value):
    assert w.value_kind(value, "bank") == FINANCIAL_ACCOUNT


def test_an_iban_shape_failing_mod97_is_kept():
    assert w.value_kind("GB82WEST12345698765433", "bank") is None


def test_luhn():
    assert w.luhn_valid("79927398713")
    assert not w.luhn_valid("79927398710")


def test_7024d_the_walk_withholds_nested_values_and_names_the_kinds():
    record = {
        "name": "Casey",
        "SSN": "123-45-6789",
        "profile": {
            "password": {"hash": "x", "salt": "y"},
            "answers": [{"security_answer": "Rex"}, "4111111111111111"],
            "notes": "nothing here",
        },
        "phone": "555-123-4567",
        "empty_password": "",
    }
    clean, kinds = w.withhold(record)
    assert clean == {
        "name": "Casey",
        "SSN": WITHHELD,
        "profile": {
            "password": WITHHELD,
            "answers": [{"security_answer": WITHHELD}, WITHHELD],
            "notes": "nothing here",
        },
        "phone": "555-123-4567",
        "empty_password": "",
    }
    assert kinds == {SSN, PASSWORD, SECURITY_QA, FINANCIAL_ACCOUNT}
    assert w.in_order(kinds) == [SSN, FINANCIAL_ACCOUNT, PASSWORD, SECURITY_QA]
    assert record["SSN"] == "123-45-6789"  # the input is not changed


def test_7024d_the_particularity_statement_in_english_and_spanish():
    assert w.kind_text(SSN).statement == (
        "We collected your Social Security number. The law does not let us show it to you."
    )
    assert "número de Seguro Social" in w.kind_text(SSN, "es").statement
    for language in ("en", "es"):
        assert set(w.TEXTS[language]) == set(w.KINDS)
    assert w.kind_text(SSN, "fr") == w.kind_text(SSN, "en")


# --- The period and the parts' formats (fulfilment.package_rules) ------------------------------


def test_7024h_the_period_runs_from_2022_by_default_and_is_exactly_the_consumer_s():
    today = date(2026, 2, 2)
    assert rules.period(None, None, today) == (date(2022, 1, 1), today)
    assert rules.period(date(2023, 3, 1), date(2023, 6, 30), today) == (
        date(2023, 3, 1),
        date(2023, 6, 30),
    )
    assert rules.period(date(2019, 1, 1), None, today) == (date(2022, 1, 1), today)


@pytest.mark.parametrize(
    ("record", "found"),
    [
        ({"created_at": "2024-05-01T10:00:00Z"}, date(2024, 5, 1)),
        ({"createdAt": "2024-05-01"}, date(2024, 5, 1)),
        ({"Date": "5/1/2024"}, date(2024, 5, 1)),
        ({"timestamp": 1714557600}, date(2024, 5, 1)),
        ({"timestamp": 1714557600000}, date(2024, 5, 1)),
        ({"updated_at": "2023-01-02", "created_at": "2021-06-01"}, date(2021, 6, 1)),
        ({"created_at": "not a date", "updated_at": "2023-01-02"}, date(2023, 1, 2)),
        ({"name": "Casey"}, None),
        ({"created_at": "2024-13-45"}, None),
        ({"birthday": "1990-01-01"}, None),  # a date in the data, not the record's own
    ],
)
def test_a_record_s_date(record, found):
    assert rules.record_date(record) == found


def test_7024h_records_outside_the_period_are_left_out_and_undated_ones_kept():
    first, last = date(2022, 1, 1), date(2026, 2, 2)
    assert rules.record_in_period({"created_at": "2022-01-01"}, first, last)
    assert not rules.record_in_period({"created_at": "2021-12-31"}, first, last)
    assert not rules.record_in_period({"created_at": "2026-02-03"}, first, last)
    assert rules.record_in_period({"name": "x"}, first, last)


def _json(raw: bytes) -> list:
    return list(rules.json_records(io.BytesIO(raw)))


def test_json_parts():
    assert _json(b'[{"a": 1}, {"b": 2}]') == [{"a": 1}, {"b": 2}]
    assert _json(b'\xef\xbb\xbf{"a": 1}') == [{"a": 1}]
    with pytest.raises(rules.PartInvalid, match="not valid JSON: the file ends before"):
        _json(b'[{"a": 1},')
    with pytest.raises(rules.PartInvalid, match="Item 2 of the list is not a record"):
        _json(b'[{"a": 1}, 2]')
    with pytest.raises(rules.PartInvalid, match="list of records"):
        _json(b'"text"')
    with pytest.raises(rules.PartInvalid, match="not valid JSON"):
        _json(b"[NaN]")
    with pytest.raises(rules.PartInvalid, match="not UTF-8"):
        _json(b"[\xff]")


def test_csv_parts_and_ragged_rows():
    lines = rules.csv_text_lines(b'name,city\r\nCasey,"San Jose, CA"\r\n\r\nAlex,Fresno\r\n')
    assert list(rules.csv_records(lines)) == [
        {"name": "Casey", "city": "San Jose, CA"},
        {"name": "Alex", "city": "Fresno"},
    ]
    ragged = rules.csv_records(rules.csv_text_lines(b"a,b\n1,2\n3\n"))
    with pytest.raises(rules.PartInvalid, match="Line 3 of the CSV file has 1 cells; the header"):
        list(ragged)
    with pytest.raises(rules.PartInvalid, match="empty"):
        list(rules.csv_records(rules.csv_text_lines(b"")))
    with pytest.raises(rules.PartInvalid, match="its own, non-empty name"):
        list(rules.csv_records(rules.csv_text_lines(b"a,a\n1,2\n")))


def test_archives_are_recognised():
    assert rules.looks_like_zip(b"PK\x03\x04rest")
    assert rules.looks_compressed(b"\x1f\x8b\x08")
    assert not rules.looks_compressed(b'[{"a": 1}]')
