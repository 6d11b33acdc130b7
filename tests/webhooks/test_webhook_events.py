from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ExtensivError
from extensiv_connector.webhooks import WebhookPayloadError, event_time, parse_event
from extensiv_connector.webhooks._events import order_id_of, receiver_id_of, sku_of

from ._support import CAPTURED_ORDER_EVENT, make_event


def test_captured_sandbox_payload_parses_with_links_data_and_tags(
    order_event: dict[str, Any],
) -> None:
    event = parse_event(json.dumps(order_event).encode())
    assert (187450321, "OrderUpdate", 9104) == (event.wms_event_id, event.event_type, event.tpl_id)
    assert datetime(2026, 2, 11, 16, 42, 19, 63000, tzinfo=timezone.utc) == event_time(event)
    assert {"OrderId": "31004581"} == event.data
    assert "/customers/418" == event.links["customers/customer"]
    assert ("Demo",) == event.tags
    assert event.resource is not None
    assert ("orders/order", 31004581) == (
        event.resource.rel,
        (event.resource.body or {})["readOnly"]["orderId"],
    )


def test_vendor_sample_spelling_and_string_body_parse_alike(order_event: dict[str, Any]) -> None:
    vendor = dict(order_event)
    vendor["eventDateTimeUtc"] = vendor.pop("eventDatetimeUtc")
    vendor["createDateTimeUtc"] = vendor.pop("createDatetimeUtc")
    vendor["resource"] = dict(vendor["resource"], body=json.dumps(vendor["resource"]["body"]))
    assert parse_event(order_event) == parse_event(json.dumps(vendor))


def test_pascal_case_keys_parse(order_event: dict[str, Any]) -> None:
    pascal = {key[0].upper() + key[1:]: value for key, value in order_event.items()}
    pascal["Resource"] = {k.capitalize(): v for k, v in order_event["resource"].items()}
    event = parse_event(pascal)
    assert (187450321, 31004581) == (event.wms_event_id, order_id_of(event))


def test_links_and_data_may_be_objects(order_event: dict[str, Any]) -> None:
    order_event["links"] = json.loads(order_event["links"])
    order_event["data"] = {"OrderId": 31004581}
    event = parse_event(order_event)
    assert ({"OrderId": 31004581}, "/customers/418") == (
        event.data,
        event.links["customers/customer"],
    )


@pytest.mark.parametrize(
    ("tags", "expected"),
    [("Shipped", ("Shipped",)), ("Shipped, Demo", ("Shipped", "Demo")), ("", ()), (["A"], ("A",))],
)
def test_tags_are_comma_delimited(tags: Any, expected: tuple[str, ...]) -> None:
    assert expected == parse_event(make_event("OrderConfirm", 1, tags=tags)).tags


@pytest.mark.parametrize("body", [None, "", {}])
def test_event_without_resource_body_keeps_the_href(body: Any) -> None:
    resource = {"rel": "orders/order", "href": "/orders/55", "body": body}
    event = parse_event(make_event("OrderConfirm", 1, resource=resource))
    assert event.resource is not None
    assert (None, "/orders/55", 55) == (
        event.resource.body,
        event.resource.href,
        order_id_of(event),
    )


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (b"\xff\xfe", "$"),
        (b"not json", "$"),
        (b"[1, 2]", "$"),
        ({"eventType": "OrderConfirm"}, "$"),
        ({"wmsEventId": 1}, "$"),
        (make_event("OrderConfirm", 1, wmsEventId="abc"), "$.wmsEventId"),
        (make_event("OrderConfirm", 1, eventType=""), "$.eventType"),
        (make_event("OrderConfirm", 1, data="{not json"), "$.data"),
        (make_event("OrderConfirm", 1, links="[1]"), "$.links"),
        (make_event("OrderConfirm", 1, resource={"body": "[1]"}), "$.resource.body"),
        (make_event("OrderConfirm", 1, resource={"body": "{oops"}), "$.resource.body"),
        (make_event("OrderConfirm", 1, resource="orders"), "$.resource"),
        (make_event("OrderConfirm", 1, eventDatetimeUtc="yesterday"), "$.eventDatetimeUtc"),
    ],
)
def test_malformed_payload_names_the_json_path(document: Any, path: str) -> None:
    payload = document if isinstance(document, bytes) else json.dumps(document)
    with pytest.raises(WebhookPayloadError) as info:
        parse_event(payload)
    assert path == info.value.json_path
    assert isinstance(info.value, ExtensivError)


def test_missing_event_id_error_names_the_key() -> None:
    with pytest.raises(WebhookPayloadError, match="wmsEventId"):
        parse_event({"eventType": "OrderConfirm"})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"data": '{"OrderId": "42"}'}, 42),
        ({"resource": {"href": "https://secure-wms.com/orders/43?detail=All"}}, 43),
        ({"resource": {"body": {"ReadOnly": {"OrderId": 44}}}}, 44),
        ({"resource": {"href": "/orders/items/9"}}, None),
        ({}, None),
    ],
)
def test_order_id_comes_from_data_href_or_body(
    fields: dict[str, Any], expected: int | None
) -> None:
    assert expected == order_id_of(parse_event(make_event("OrderConfirm", 1, **fields)))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"data": {"ReceiverId": 7}}, 7),
        ({"resource": {"href": "/inventory/receivers/8"}}, 8),
        ({"resource": {"body": {"readOnly": {"receiverId": 9}}}}, 9),
    ],
)
def test_receiver_id_comes_from_data_href_or_body(fields: dict[str, Any], expected: int) -> None:
    assert expected == receiver_id_of(parse_event(make_event("ReceiverConfirm", 1, **fields)))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"data": {"Sku": "WIDGET-1"}}, "WIDGET-1"),
        ({"resource": {"body": {"sku": "WIDGET-2"}}}, "WIDGET-2"),
        ({"resource": {"body": {"itemIdentifier": {"sku": "WIDGET-3"}}}}, "WIDGET-3"),
        ({"resource": {"href": "/customers/1/items/5"}}, None),
    ],
)
def test_sku_comes_from_data_or_body(fields: dict[str, Any], expected: str | None) -> None:
    assert expected == sku_of(parse_event(make_event("ItemUpdate", 1, **fields)))


def _recase(key: str, style: int) -> str:
    if style == 1:
        return key[0].upper() + key[1:]
    if style == 2:
        return key.lower()
    return key


@settings(max_examples=40, deadline=None)
@given(
    styles=st.dictionaries(st.sampled_from(sorted(CAPTURED_ORDER_EVENT)), st.integers(0, 2)),
    body_as_string=st.booleans(),
    spelling=st.sampled_from(["eventDatetimeUtc", "eventDateTimeUtc", "EventDateTimeUtc"]),
)
def test_any_documented_variant_parses_to_the_same_event(
    styles: dict[str, int], body_as_string: bool, spelling: str
) -> None:
    variant: dict[str, Any] = {}
    for key, value in CAPTURED_ORDER_EVENT.items():
        name = spelling if key == "eventDatetimeUtc" else key
        variant[_recase(name, styles.get(key, 0))] = value
    if body_as_string:
        resource_key = next(k for k in variant if k.lower() == "resource")
        resource = dict(variant[resource_key])
        resource["body"] = json.dumps(resource["body"])
        variant[resource_key] = resource
    expected = parse_event(CAPTURED_ORDER_EVENT)
    actual = parse_event(json.dumps(variant).encode())
    assert (
        expected.wms_event_id,
        expected.event_datetime_utc,
        expected.resource,
        expected.data,
    ) == (
        actual.wms_event_id,
        actual.event_datetime_utc,
        actual.resource,
        actual.data,
    )
