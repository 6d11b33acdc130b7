"""Validation rules: every violation at once, truncate or reject, normalisation, config."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ConfigError, ValidationError
from extensiv_connector.rules import (
    FieldRule,
    Normalise,
    Severity,
    TooLong,
    ValidationRules,
    normalise_country,
    normalise_phone,
)


def good_order() -> dict[str, Any]:
    return {
        "customerIdentifier": {"id": 12},
        "facilityIdentifier": {"id": 3},
        "referenceNum": "SO-1-1",
        "shipTo": {"name": "Jane", "address1": "1 Main St", "city": "Dallas", "country": "US"},
        "orderItems": [{"itemIdentifier": {"sku": "ABC-1"}, "qty": 2}],
    }


def test_a_valid_order_passes_the_default_rules_unchanged() -> None:
    result = ValidationRules().apply("order", good_order())

    assert ((), good_order()) == (result.violations, result.payload)


def test_every_violation_is_reported_with_its_field_path() -> None:
    order = good_order()
    order["referenceNum"] = "R" * 51
    order["shipTo"] = {"name": "N" * 101, "city": "", "country": "Atlantis"}
    order["orderItems"] = [
        {"itemIdentifier": {"sku": "A"}, "qty": 1},
        {"itemIdentifier": {}, "qty": None},
    ]

    with pytest.raises(ValidationError) as caught:
        ValidationRules().check("order", order, "order SO-1")

    assert sorted(
        [
            "referenceNum",
            "shipTo.country",
            "shipTo.name",
            "shipTo.address1",
            "shipTo.city",
            "orderItems[1].itemIdentifier.sku",
            "orderItems[1].qty",
        ]
    ) == sorted(v.path for v in caught.value.violations)


def test_notes_too_long_are_truncated_with_a_warning() -> None:
    order = good_order() | {"notes": "x" * 1200}

    result = ValidationRules().apply("order", order)

    assert (1000, ["warning"], True) == (
        len(result.payload["notes"]),
        [v.severity for v in result.violations],
        result.ok,
    )
    assert 1200 == len(order["notes"])  # the input is not changed


def test_country_names_and_phone_numbers_are_normalised() -> None:
    order = good_order()
    order["shipTo"] |= {"country": " united states ", "phoneNumber": "+1 (214) 555-0100 ext. 12"}

    result = ValidationRules().apply("order", order)

    assert ("US", "+12145550100", ()) == (
        result.payload["shipTo"]["country"],
        result.payload["shipTo"]["phoneNumber"],
        result.violations,
    )


def test_a_configured_rule_replaces_the_default_of_the_same_path_and_adds_others() -> None:
    rules = ValidationRules(
        rules=(
            FieldRule(path="referenceNum", max_length=5, too_long=TooLong.TRUNCATE),
            FieldRule(path="poNum", required=True, severity=Severity.WARNING),
            FieldRule(path="billingCode", allowed=("Prepaid", "BillThirdParty")),
        )
    )
    order = good_order() | {"billingCode": "Collect"}

    result = rules.apply("order", order)

    assert (
        "SO-1-",
        [("referenceNum", "warning"), ("poNum", "warning"), ("billingCode", "error")],
    ) == (
        result.payload["referenceNum"],
        [(v.path, v.severity) for v in result.violations],
    )


def test_defaults_can_be_switched_off_and_rules_disabled() -> None:
    empty: dict[str, Any] = {}

    assert ((), ()) == (
        ValidationRules(include_defaults=False).apply("order", empty).violations,
        ValidationRules(enabled=False).apply("order", empty).violations,
    )


def test_receiver_and_item_rules_apply_to_their_resources() -> None:
    rules = ValidationRules()

    assert (["referenceNum", "receiveItems"], ["sku"]) == (
        [v.path for v in rules.apply("receiver", {}).violations],
        [v.path for v in rules.apply("item", {"description": "d"}).violations],
    )


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        (FieldRule(path="a..b"), "validation.rules[0].path"),
        (FieldRule(path="a", pattern="("), "validation.rules[0].pattern"),
        (FieldRule(path="a", max_length=0), "validation.rules[0].max_length"),
    ],
)
def test_a_broken_rule_is_a_config_error_naming_it(rule: FieldRule, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ValidationRules(rules=(rule,))

    assert path == caught.value.path


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("USA", "US"),
        ("u.s.a.", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("deu", "DE"),
        ("ca", "CA"),
        ("Narnia", "Narnia"),
    ],
)
def test_common_country_names_become_alpha_2(given_: str, expected: str) -> None:
    assert expected == normalise_country(given_)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_a_normalised_phone_holds_only_digits_and_a_leading_plus(raw: str) -> None:
    phone = normalise_phone(raw)

    assert phone == "" or (
        phone.lstrip("+").isdigit() and phone.count("+") <= int(phone.startswith("+"))
    )


lengths = st.lists(st.integers(min_value=0, max_value=80), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(lengths, st.integers(min_value=1, max_value=60))
def test_every_too_long_line_is_reported_not_just_the_first(sizes: list[int], limit: int) -> None:
    rules = ValidationRules(
        include_defaults=False, rules=(FieldRule(path="orderItems[].externalId", max_length=limit),)
    )
    payload = {"orderItems": [{"externalId": "x" * n} for n in sizes]}

    result = rules.apply("order", payload)

    assert [f"orderItems[{i}].externalId" for i, n in enumerate(sizes) if n > limit] == [
        v.path for v in result.violations
    ]


def test_normalise_upper_and_strip() -> None:
    rules = ValidationRules(
        include_defaults=False,
        rules=(
            FieldRule(path="a", normalise=Normalise.UPPER),
            FieldRule(path="b", normalise=Normalise.STRIP),
        ),
    )

    assert {"a": "ABC", "b": "x"} == rules.apply("order", {"a": " abc", "b": " x "}).payload


def test_each_rule_set_applies_its_own_rules_when_several_are_used_in_turn() -> None:
    strict = ValidationRules(rules=(FieldRule(resource="order", path="shipTo.city", max_length=3),))
    lenient = ValidationRules(include_defaults=False)
    order = good_order()

    results = [rules.apply("order", order) for rules in (strict, lenient, strict, lenient)]

    assert [("shipTo.city",), (), ("shipTo.city",), ()] == [
        tuple(v.path for v in r.violations) for r in results
    ]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=50)
@given(extra=st.dictionaries(st.sampled_from(["shipTo", "notes", "orderItems", "x"]), _JSON))
def test_applying_rules_never_changes_the_payload_it_was_given(extra: dict[str, Any]) -> None:
    payload = {**good_order(), **extra}
    before = copy.deepcopy(payload)
    rules = ValidationRules(
        rules=(FieldRule(resource="order", path="shipTo.name", normalise=Normalise.UPPER),)
    )

    result = rules.apply("order", payload)

    assert before == payload
    assert result.payload is not payload


_PATHS = ["notes", "shipTo.name", "shipTo.country", "orderItems[].notes", "orderItems", "x.y"]
_RULES = st.builds(
    FieldRule,
    path=st.sampled_from(_PATHS),
    resource=st.just("order"),
    required=st.booleans(),
    max_length=st.none() | st.integers(min_value=1, max_value=4),
    too_long=st.sampled_from(TooLong),
    pattern=st.sampled_from(["", "[A-Z]{2}", "a.*"]),
    allowed=st.sampled_from([(), ("US", "CA")]),
    normalise=st.sampled_from(Normalise),
    severity=st.sampled_from(Severity),
)
_TEXTS = st.none() | st.integers() | st.text(max_size=6)
_DOCUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "notes": _TEXTS,
        "shipTo": st.fixed_dictionaries({}, optional={"name": _TEXTS, "country": _TEXTS}),
        "orderItems": st.lists(st.fixed_dictionaries({}, optional={"notes": _TEXTS}), max_size=3),
        "x": _JSON,
    },
)


@settings(max_examples=200)
@given(
    rules=st.lists(_RULES, max_size=5),
    defaults=st.booleans(),
    document=_DOCUMENTS,
)
def test_rules_applied_in_place_say_whether_they_changed_the_document(
    rules: list[FieldRule], defaults: bool, document: dict[str, Any]
) -> None:
    rule_set = ValidationRules(rules=tuple(rules), include_defaults=defaults)
    expected = rule_set.apply("order", document)
    in_place = copy.deepcopy(document)
    found: list[Any] = []

    changed = rule_set.apply_in_place("order", in_place, found)

    assert expected.payload == in_place
    assert list(expected.violations) == found
    assert (expected.payload != document) == changed


def test_a_payload_nested_deeper_than_the_stack_is_checked_not_refused() -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(5000):
        inner["k"] = {}
        inner = inner["k"]
    payload = {**good_order(), "savedElements": deep}

    result = ValidationRules().apply("order", payload)

    copied, depth = result.payload["savedElements"], 0
    while copied:  # == itself would recurse too deep here
        assert copied is not deep
        copied, deep, depth = copied["k"], deep["k"], depth + 1
    assert () == result.violations
    assert 5000 == depth


def test_a_payload_that_holds_itself_is_copied_with_the_same_shape() -> None:
    payload = good_order()
    payload["shipTo"]["self"] = payload

    result = ValidationRules().apply("order", payload)

    assert () == result.violations
    assert result.payload["shipTo"]["self"] is result.payload
    assert result.payload is not payload


@pytest.mark.parametrize("payload", [None, [good_order()], "order", 12])
def test_a_payload_that_is_no_object_is_an_error_not_a_pass(payload: Any) -> None:
    rules = ValidationRules()
    expected = [("$", "is not a JSON object", "error", "type")]

    result = rules.apply("order", payload)

    assert expected == [(v.path, v.message, v.severity, v.rule) for v in result.violations]
    with pytest.raises(ValidationError):
        rules.check("order", payload, "order SO-1")


def test_violations_come_in_the_order_of_the_rules_across_objects() -> None:
    rules = ValidationRules(
        include_defaults=False,
        rules=(
            FieldRule(path="shipTo.name", required=True),
            FieldRule(path="referenceNum", required=True),
            FieldRule(path="shipTo.city", required=True),
            FieldRule(path="orderItems[].qty", required=True),
            FieldRule(path="shipTo.zip", required=True),
        ),
    )
    order: dict[str, Any] = {"shipTo": {}, "orderItems": [{}]}

    result = rules.apply("order", order)

    assert ["shipTo.name", "referenceNum", "shipTo.city", "orderItems[0].qty", "shipTo.zip"] == [
        v.path for v in result.violations
    ]


def test_rules_on_fields_of_an_object_that_is_missing_or_no_object_report_nothing() -> None:
    rules = ValidationRules(
        include_defaults=False,
        rules=(
            FieldRule(path="shipTo.name", required=True),
            FieldRule(path="routingInfo.carrier.code", required=True),
        ),
    )

    results = [
        rules.apply("order", {"shipTo": "Jane", "routingInfo": {"carrier": "UPS"}}).violations,
        rules.apply("order", {}).violations,
    ]

    assert [(), ()] == results


def test_a_value_one_rule_normalises_is_what_the_next_rule_on_that_object_checks() -> None:
    rules = ValidationRules(
        include_defaults=False,
        rules=(
            FieldRule(path="shipTo.state", normalise=Normalise.UPPER),
            FieldRule(path="shipTo.country", normalise=Normalise.COUNTRY, pattern="[A-Z]{2}"),
            FieldRule(path="shipTo.state", pattern="[A-Z]{2}", severity=Severity.WARNING),
        ),
    )
    order = {"shipTo": {"state": " tx ", "country": "United States"}}

    result = rules.apply("order", order)

    assert ((), {"shipTo": {"state": "TX", "country": "US"}}) == (
        result.violations,
        result.payload,
    )
