"""§7062 degrees of certainty and the §7060(h) exclusion, as pure rules: every request type and
scope, every count of matched points, with and without a declaration."""

from __future__ import annotations

import itertools

import pytest

from verification import degrees as d


@pytest.mark.parametrize(
    ("request_type", "scope", "expected"),
    [
        (d.KNOW, d.KNOW_CATEGORIES, d.REASONABLE),  # §7062(b)
        (d.KNOW, d.KNOW_SPECIFIC, d.REASONABLY_HIGH),  # §7062(c)
        (d.KNOW, d.KNOW_BOTH, d.REASONABLY_HIGH),
        (d.DELETE, "", d.REASONABLE),  # §7062(d) default
        (d.CORRECT, "", d.REASONABLE),
        ("opt_out", "", d.NONE),  # §7060(b): never verified
        ("limit", "", d.NONE),
        ("opt_in", "", d.NONE),
    ],
)
def test_required_degree_by_type(request_type, scope, expected):
    assert d.required_degree(request_type=request_type, know_scope=scope) == expected


def test_business_sets_delete_and_correct_degrees_and_sensitive_categories():
    assert d.required_degree(request_type=d.DELETE, delete_degree=d.REASONABLY_HIGH) == (
        d.REASONABLY_HIGH
    )
    assert d.required_degree(request_type=d.CORRECT, correct_degree=d.REASONABLY_HIGH) == (
        d.REASONABLY_HIGH
    )
    # Deleting photos needs more than deleting a newsletter address (§7062(d)'s example).
    sensitive = {"audio_visual"}
    assert (
        d.required_degree(
            request_type=d.DELETE,
            delete_categories=["audio_visual", "commercial"],
            high_degree_delete_categories=sensitive,
        )
        == d.REASONABLY_HIGH
    )
    assert (
        d.required_degree(
            request_type=d.DELETE,
            delete_categories=["commercial"],
            high_degree_delete_categories=sensitive,
        )
        == d.REASONABLE
    )
    assert (
        d.required_degree(
            request_type=d.CORRECT,
            correction_field="date_of_birth",
            high_degree_correct_fields={"date_of_birth"},
        )
        == d.REASONABLY_HIGH
    )


@pytest.mark.parametrize(
    ("points", "signed"), list(itertools.product(range(len(d.DATA_POINTS) + 1), [False, True]))
)
def test_assess_every_count_of_points(points, signed):
    matched = d.DATA_POINTS[:points]
    for required in d.DEGREES:
        result = d.assess(required=required, matched=matched, declaration_signed=signed)
        expected = (
            d.REASONABLY_HIGH if points >= 3 and signed else d.REASONABLE if points >= 2 else d.NONE
        )
        assert result.reached == expected
        assert result.verified == d.at_least(expected, required)
        assert result.points_missing == max(0, d.POINTS_NEEDED[required] - points)
        assert result.declaration_missing == (required == d.REASONABLY_HIGH and not signed)


def test_three_points_without_declaration_is_only_reasonable():
    result = d.assess(
        required=d.REASONABLY_HIGH, matched=[d.EMAIL, d.PHONE, d.NAME], declaration_signed=False
    )
    assert result.reached == d.REASONABLE
    assert not result.verified


def test_contested_information_never_counts():
    # §7060(h): the consumer contests their address; an address match is not used.
    contested = d.contested_points(d.CORRECT, "postal_address")
    assert contested == (d.POSTAL_ADDRESS,)
    result = d.assess(
        required=d.REASONABLE,
        matched=[d.EMAIL, d.POSTAL_ADDRESS],
        declaration_signed=False,
        contested=contested,
    )
    assert result.matched == (d.EMAIL,)
    assert not result.verified
    assert d.POSTAL_ADDRESS not in d.points_to_ask(
        offered=[d.PHONE, d.POSTAL_ADDRESS], matched=[d.EMAIL], contested=contested
    )


@pytest.mark.parametrize("field", sorted(d.CONTESTED_BY_CORRECTION))
def test_every_correction_field_contests_its_points(field):
    contested = d.contested_points(d.CORRECT, field)
    assert contested
    result = d.assess(
        required=d.REASONABLE, matched=contested, declaration_signed=True, contested=contested
    )
    assert result.matched == ()


def test_other_types_contest_nothing():
    assert d.contested_points(d.KNOW, "postal_address") == ()
    assert d.contested_points(d.CORRECT, "other") == ()


def test_points_to_ask_never_includes_email_or_matched_points():
    asked = d.points_to_ask(offered=d.DATA_POINTS, matched=[d.PHONE])
    assert d.EMAIL not in asked
    assert d.PHONE not in asked
    assert list(asked) == [p for p in d.DATA_POINTS if p not in {d.EMAIL, d.PHONE}]


@pytest.mark.parametrize(
    ("scope", "reached", "fallback"),
    [
        (d.KNOW_SPECIFIC, d.REASONABLE, True),  # §7024(a)
        (d.KNOW_BOTH, d.REASONABLE, True),
        (d.KNOW_SPECIFIC, d.REASONABLY_HIGH, False),
        (d.KNOW_SPECIFIC, d.NONE, False),
        (d.KNOW_CATEGORIES, d.REASONABLE, False),
    ],
)
def test_categories_fallback(scope, reached, fallback):
    assert d.categories_fallback(request_type=d.KNOW, know_scope=scope, reached=reached) == fallback
