"""Untrusted JSON: the issue's reproducers refused as typed errors naming the path, through
``wire.loads``, structuring, ``ApiResponse.json``, ``error_from_response`` and ``parse_event``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector import _json_guard, wire
from extensiv_connector.client import ApiResponse, error_from_response
from extensiv_connector.errors import ApiError, ServerError, WireFormatError
from extensiv_connector.models import Order, StockSummary, WebhookEvent
from extensiv_connector.webhooks import WebhookPayloadError, parse_event

CONVERTER = wire.make_converter()
DEEP = "[" * 1500 + "]" * 1500
EVENT = '{"eventType": "OrderUpdate", "wmsEventId": %s}'


@pytest.fixture(autouse=True, scope="module", params=["msgspec", "json"])
def json_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test here runs twice: with msgspec (the ``speed`` extra) parsing, and without it."""
    if request.param == "msgspec" and _json_guard._ACCELERATED is None:
        pytest.skip("msgspec is not installed")
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "json":
            patch.setattr(_json_guard, "_ACCELERATED", None)  # what an install without it has
        yield request.param


def refusal(text: str | bytes) -> tuple[str, str]:
    with pytest.raises(WireFormatError) as caught:
        wire.loads(text)
    return caught.value.json_path, caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEEP, ("$", "nested deeper than 64 levels")),
        ('{"a": {"b": [1, NaN]}}', ("$.a.b[1]", "NaN is not a JSON number")),
        ('{"a": Infinity}', ("$.a", "Infinity is not a JSON number")),
        ("[-Infinity]", ("$[0]", "-Infinity is not a JSON number")),
        ('{"wmsEventId": 1e400}', ("$.wmsEventId", "number magnitude out of range (exponent 400)")),
        (
            '{"qty": 1E+1000000}',
            ("$.qty", "number magnitude out of range (exponent 1000000)"),
        ),
        (
            '{"qty": 1e4009999999999999999}',
            ("$.qty", "number magnitude out of range (exponent beyond any decimal)"),
        ),
        ('{"id": ' + "9" * 41 + "}", ("$.id", "integer with 41 digits (at most 40)")),
        ('{"n": 1.' + "0" * 120 + "}", ("$.n", "number literal of 122 characters (at most 100)")),
        ('{"s": "\\ud800"}', ("$.s", "lone UTF-16 surrogate escape in a string")),
        (b'{"s": "\xff"}', ("$", "not UTF-8 text (byte 7)")),
        ('{"a": [1, 2', ("$", "not JSON: Expecting ',' delimiter (line 1 column 12)")),
    ],
    ids=[
        "deep",
        "nan",
        "infinity",
        "minus-infinity",
        "1e400",
        "1e+1000000",
        "exponent-beyond-decimal",
        "huge-int",
        "long-literal",
        "lone-surrogate",
        "not-utf8",
        "truncated",
    ],
)
def test_hostile_json_is_refused_with_its_path(
    text: str | bytes, expected: tuple[str, str]
) -> None:
    assert expected == refusal(text)


def test_a_hostile_key_in_a_path_is_clipped_and_escaped() -> None:
    key = "é" * 100
    path, _ = refusal("{" + json.dumps(key) + ": [NaN]}")

    assert f"$[{key[:40]!a}][0]" == path


@pytest.mark.parametrize(
    "text",
    [
        "[" * 64 + "]" * 64,
        '"' + "[" * 500 + '"',  # brackets inside a string are not nesting
        '{"k": "\\\\ud800"}',  # an escaped backslash, then text: no surrogate
        '{"emoji": "\\ud83d\\ude00"}',
        '{"zero": 0E+99999, "small": 1e-40, "id": ' + "9" * 40 + "}",
        "\ufeff[1]",
    ],
    ids=["depth-64", "brackets-in-string", "escaped-backslash", "pair", "bounds", "bom"],
)
def test_documents_at_the_limits_are_accepted(text: str) -> None:
    assert json.loads(text.lstrip("\ufeff"), parse_float=Decimal) == wire.loads(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.decimals(allow_nan=False, allow_infinity=False, places=6, max_value=10**20)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(json_values)
def test_any_document_within_the_limits_reads_exactly_like_json_loads(document: Any) -> None:
    text = json.dumps(document, default=str)

    assert json.loads(text, parse_float=Decimal) == wire.loads(text)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("NaN"), "expected a finite number"),
        (float("inf"), "expected a finite number"),
        (Decimal("1E+1000000"), "number magnitude out of range (exponent 1000000)"),
        (10**50, "integer out of range"),
        ("9" * 5000, "expected an integer, got a string"),
    ],
)
def test_structuring_refuses_non_finite_and_oversized_integers(value: Any, message: str) -> None:
    doc = {"readOnly": {"orderId": value}, "referenceNum": "SO-1"}

    with pytest.raises(WireFormatError) as caught:
        CONVERTER.structure(doc, Order)

    assert ("$.readOnly.orderId", message) == (caught.value.json_path, caught.value.message)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "expected a finite number"),
        ("1E+1000000", "number magnitude out of range (exponent 1000000)"),
        ("1" * 101, "number text longer than 100 characters"),
    ],
)
def test_structuring_refuses_non_finite_and_oversized_quantities(value: str, message: str) -> None:
    doc = {"itemIdentifier": {"sku": "A"}, "available": value}

    with pytest.raises(WireFormatError) as caught:
        CONVERTER.structure(doc, StockSummary)

    assert ("$.available", message) == (caught.value.json_path, caught.value.message)


def test_deep_error_body_becomes_a_server_error_with_the_body_kept() -> None:
    error = error_from_response(500, DEEP, "application/json", "GET", "/orders")

    assert (ServerError, "non-JSON body (3000 chars, see raw_body)", DEEP) == (
        type(error),
        str(error).split(": ", 1)[1],
        error.raw_body if isinstance(error, ApiError) else None,
    )


@pytest.mark.parametrize("body", ['{"ErrorCode": NaN}', '{"Hint": 1E+1000000}', "[" * 70])
def test_hostile_error_bodies_still_map_to_api_errors(body: str) -> None:
    error = error_from_response(400, body, "application/json")

    raw_body = error.raw_body if isinstance(error, ApiError) else None

    assert (True, body) == (isinstance(error, ApiError), raw_body)


def test_api_response_json_names_request_and_path_of_a_hostile_value() -> None:
    response = ApiResponse(200, {}, '{"summaries": [{"available": NaN}]}', "GET", "/stock")

    with pytest.raises(WireFormatError) as caught:
        response.json()

    assert ("$.summaries[0].available", "GET /stock: NaN is not a JSON number") == (
        caught.value.json_path,
        caught.value.message,
    )


@pytest.mark.parametrize(
    ("event_id", "path"),
    [("1e400", "$.wmsEventId"), ("NaN", "$.wmsEventId"), ("1E+1000000", "$.wmsEventId")],
)
def test_webhook_event_with_a_hostile_event_id_is_a_payload_error(event_id: str, path: str) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_event((EVENT % event_id).encode())

    assert path == caught.value.json_path


def test_webhook_event_nested_1500_deep_is_a_payload_error() -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_event(('{"eventType": "X", "wmsEventId": 1, "data": ' + DEEP + "}").encode())

    assert ("$", "nested deeper than 64 levels") == (caught.value.json_path, caught.value.message)


def test_webhook_data_given_as_a_json_string_is_parsed_by_the_same_guard() -> None:
    document = {"eventType": "X", "wmsEventId": 1, "data": '{"OrderId": NaN}'}

    with pytest.raises(WebhookPayloadError) as caught:
        parse_event(json.dumps(document).encode())

    assert "$.data" == caught.value.json_path


def test_valid_webhook_event_still_parses() -> None:
    event = parse_event((EVENT % "187450321").encode())

    assert (187450321, "OrderUpdate") == (event.wms_event_id, event.event_type)
    assert isinstance(event, WebhookEvent)


tricky_text = st.text(alphabet='[]{}"\\ab\u00e9', max_size=8)


@st.composite
def nested(draw: st.DrawFn) -> tuple[Any, int]:
    """A document of known depth: lists and objects, with strings full of brackets and escapes."""
    depth = draw(st.integers(1, 130))
    document: Any = draw(tricky_text)
    for _ in range(depth):
        sibling = draw(tricky_text)
        if draw(st.booleans()):
            document = [sibling, document] if draw(st.booleans()) else [document]
        else:
            document = {sibling: document, "s": sibling}
    return document, depth


@given(nested())
def test_nesting_is_refused_exactly_beyond_the_limit_whatever_the_strings_hold(
    case: tuple[Any, int],
) -> None:
    document, depth = case
    text = json.dumps(document, ensure_ascii=False)

    try:
        wire.loads(text)
        refused = False
    except WireFormatError as exc:
        refused = "nested deeper than 64 levels" == exc.message

    assert (depth > 64) == refused
