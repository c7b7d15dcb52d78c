"""A JSON part read a record at a time (issue 16 items 2 and 9): ijson reads a list an item at a
time, so a 100 MB part is never held whole; every refusal says what is wrong and roughly where,
and comes before the caller keeps anything (it reads to the end first)."""

from __future__ import annotations

import io
import json

import pytest

from fulfilment import package_rules as rules


def _json(raw: bytes) -> list:
    return list(rules.json_records(io.BytesIO(raw)))


def _refusal(raw: bytes) -> rules.PartInvalid:
    with pytest.raises(rules.PartInvalid) as caught:
        _json(raw)
    return caught.value


def test_records_come_one_at_a_time_before_the_file_is_read_to_its_end():
    records = [{"n": n, "note": "x" * 100} for n in range(5000)]
    stream = io.BytesIO(json.dumps(records).encode())
    first = next(rules.json_records(stream))
    assert first == records[0]
    assert stream.tell() < len(stream.getvalue()) // 2


def test_values_keep_their_json_types_and_are_json_again():
    raw = (
        b'[{"int": 12, "float": 2.5, "exp": 1e3, "text": "Jos\\u00e9", "none": null, "yes": true}]'
    )
    [record] = _json(raw)
    assert record == {
        "int": 12,
        "float": 2.5,
        "exp": 1000.0,
        "text": "José",
        "none": None,
        "yes": True,
    }
    assert json.loads(json.dumps(record)) == record


def test_one_object_is_one_record():
    assert _json(b' {"a": [1, {"b": 2}]} \n') == [{"a": [1, {"b": 2}]}]
    assert _json(b"[]") == []


def test_a_utf8_byte_order_mark_is_allowed():
    assert _json(b'\xef\xbb\xbf[{"a": "\xc3\xa9"}]') == [{"a": "é"}]
    assert _json(b'\xef\xbb\xbf{"a": 1}') == [{"a": 1}]


@pytest.mark.parametrize(
    ("raw", "code", "said"),
    [
        # The third item is broken: the two before it were read, and the message says so.
        (
            b'[{"a": 1}, {"a": 2}, {"a" 3}, {"a": 4}]',
            "invalid_json",
            "object key and value must be separated by a colon (':') (after record 2,",
        ),
        (b'[{"a": 1},', "invalid_json", "the file ends before the JSON does (after record 1"),
        # Trailing data after the list or the object is refused, not ignored.
        (b'[{"a": 1}] {"b": 2}', "invalid_json", "there is more after the end of the JSON"),
        (b'[{"a": 1}]\n[{"b": 2}]', "invalid_json", "there is more after the end of the JSON"),
        (b'{"a": 1} x', "invalid_json", "there is more after the end of the JSON"),
        # NaN and Infinity are not JSON; 1e400 is beyond a float (json.loads made it inf, and
        # json.dumps then wrote "Infinity", which no JSON reader takes).
        (b'[{"a": NaN}]', "invalid_json", "NaN and Infinity are not JSON values"),
        (b'[{"a": Infinity}]', "invalid_json", "NaN and Infinity are not JSON values"),
        (b'[{"a": 1e400}]', "invalid_json", "a number is too large (like 1e400)"),
        (b'[{"a": -1e400}]', "invalid_json", "a number is too large (like 1e400)"),
        (b'[{"a": 1}, 2]', "json_shape", "Item 2 of the list is not a record"),
        (b'[{"a": 1}, [{"b": 2}]]', "json_shape", "Item 2 of the list is not a record"),
        (b'"text"', "json_shape", "this is text (a string)"),
        (b"42", "json_shape", "this is a number"),
        (b"null", "json_shape", "this is null"),
        (b"  \n ", "invalid_json", "it holds only blank space"),
        (b"<records/>", "invalid_json", "it must begin with [ (a list of records) or {"),
        (b'[{"a": "\xff"}]', "encoding", "byte 9 cannot be read"),
        (b'[{"a": "\xc3"}]', "encoding", "not UTF-8 text"),
        (b"\xff\xfe[\x00]\x00", "encoding", "byte 1 cannot be read"),
    ],
)
def test_item9_what_is_not_a_list_of_records_is_refused_saying_where(raw, code, said):
    refused = _refusal(raw)
    assert refused.code == code
    assert said in refused.message
    # A refusal never repeats the data (ijson's own message quotes the text near the error).
    assert '"a"' not in refused.message


def test_item9_nesting_beyond_the_limit_is_refused_before_ijson_reads_it():
    level = rules.MAX_DEPTH - 1  # the list is the first level
    assert _json(b'[{"a": ' + b"[" * (level - 1) + b"]" * (level - 1) + b"}]")
    refused = _refusal(b'[{"a": ' + b"[" * level + b"]" * level + b"}]")
    assert refused.code == "json_depth"
    assert f"deeper than {rules.MAX_DEPTH} levels" in refused.message
    # 10 MB of "[": refused from its first chunk (ijson would need tens of GB for its paths).
    assert _refusal(b"[" * 10_000_000).code == "json_depth"
    # Brackets inside strings, escaped quotes and strings cut between chunks are not nesting.
    text = '[{"a": "\\"' + "[{" * 100_000 + '\\\\", "b": ["]]"]}]'
    assert _json(text.encode()) == [{"a": '"' + "[{" * 100_000 + "\\", "b": ["]]"]}]


def test_item2_numbers_come_out_as_json_reads_them_whole_numbers_of_any_size_kept():
    # A long account or card number sent as a number is kept whole, as json.loads keeps it
    # (ijson's C parser refuses it when asked for floats).
    raw = b'[{"card": 123456789012345678901234567890, "total": 12.5, "count": 3, "n": [0.1]}]'
    assert _json(raw) == [
        {"card": 123456789012345678901234567890, "total": 12.5, "count": 3, "n": [0.1]}
    ]
    assert json.loads(raw) == _json(raw)


def test_item9_a_number_beyond_a_float_deep_in_a_record_is_refused_naming_the_record():
    refused = _refusal(b'[{"a": 1}, {"b": {"c": [1, -1e400]}}]')
    assert (refused.code, refused.message) == (
        "invalid_json",
        "The file is not valid JSON: a number is too large (like 1e400) (in record 2). Nothing "
        "from it was kept.",
    )
