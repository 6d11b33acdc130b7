"""Wire parsing on fixtures that follow the documented shapes (HAL and plain JSON)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector import wire
from extensiv_connector.errors import WireFormatError
from extensiv_connector.models import (
    ApiErrorBody,
    Order,
    Shipment,
    StockDetail,
    StockSummary,
    TokenResponse,
    WebhookEvent,
)

FIXTURES = Path(__file__).parent / "fixtures"
CONVERTER = wire.make_converter()


def load(name: str) -> Any:
    return wire.loads((FIXTURES / name).read_text())


def test_hal_order_collection_yields_orders_with_embedded_items_and_packages() -> None:
    page = wire.parse_collection(load("orders_hal.json"), "orders/order")
    order = CONVERTER.structure(page.records[0], Order)

    assert (2, "/orders?pgsiz=1&pgnum=2&detail=OrderItems,Packages") == (
        page.total_results,
        page.next_href,
    )
    assert 31004581 == order.order_id
    assert "SO-100045-1" == order.reference_num
    assert [("ABC-1", Decimal(2), "L1")] == [
        (i.item_identifier.sku, i.qty, i.external_id) for i in order.order_items
    ]
    item_read_only = order.order_items[0].read_only
    assert item_read_only is not None
    assert Decimal(3) == item_read_only.original_primary_qty
    assert order.read_only is not None
    assert "1Z999AA10123456784" == order.read_only.packages[0].tracking_number
    assert 77 == order.read_only.packages[0].package_contents[0].order_item_id


def test_offset_less_timestamps_with_seven_fraction_digits_parse() -> None:
    order = CONVERTER.structure(
        wire.parse_collection(load("orders_hal.json"), "orders/order").records[0], Order
    )

    expected = datetime(2026, 2, 11, 16, 42, 19, 63000)
    assert order.read_only is not None
    actual = order.read_only.last_modified_date

    assert expected == actual


def test_plain_json_pascal_case_collection_reads_into_the_same_models() -> None:
    page = wire.parse_collection(load("orders_plain.json"), "orders/order")
    order = CONVERTER.structure(page.records[0], Order)

    assert 1 == page.total_results
    assert None is page.next_href
    assert order.routing_info is not None
    assert (55, "SO-9", "03", Decimal("2.5")) == (
        order.order_id,
        order.reference_num,
        order.routing_info.mode,
        order.order_items[0].qty,
    )


def test_unknown_fields_survive_a_read_modify_write() -> None:
    raw = wire.parse_collection(load("orders_hal.json"), "orders/order").records[0]
    order = CONVERTER.structure(raw, Order)

    written = CONVERTER.unstructure(order)

    assert {"residentialFlag": True} == written["parcelOption"]
    assert False is written["shipTo"]["isQuickLookup"]
    assert Decimal("9.99") == written["orderItems"][0]["fulfillInvSalePrice"]
    assert raw["_links"] == written["_links"]


def test_embedded_rel_keys_match_whatever_their_case() -> None:
    body = {"_embedded": {"HTTP://API.3PLCENTRAL.COM/RELS/ORDERS/ORDER": [{"referenceNum": "X"}]}}

    page = wire.parse_collection(body, "orders/order")

    assert [{"referenceNum": "X"}] == page.records


def test_stock_summaries_come_from_the_flat_summaries_form() -> None:
    page = wire.parse_collection(load("stock_summaries.json"), None)
    rows = [CONVERTER.structure(r, StockSummary) for r in page.records]

    assert [("ABC-1", Decimal(60)), ("XYZ-9", Decimal(10))] == [
        (r.item_identifier.sku, r.available) for r in rows
    ]
    assert None is rows[0].ordered_not_allocated


def test_webhook_sample_parses_links_and_data_from_json_strings() -> None:
    event = CONVERTER.structure(load("webhook_order_update.json"), WebhookEvent)

    assert (187450321, "OrderUpdate", ("Demo",)) == (
        event.wms_event_id,
        event.event_type,
        event.tags,
    )
    assert {"OrderId": "31004581"} == event.data
    assert "/customers/418" == event.links["customers/customer"]
    assert event.resource is not None
    assert event.resource.body is not None
    assert 31004581 == event.resource.body["readOnly"]["orderId"]


@pytest.mark.parametrize(
    ("name", "short_type", "code"),
    [
        ("query_parameter", "QueryParameterException", "NotParsable"),
        ("model_validation_duplicate", "ModelValidationException", "Duplicate"),
        ("operation", "OperationException", "OrderConfirmed"),
        ("authorization", "AuthorizationException", "Forbidden"),
        ("list", "ListException", None),
        ("token_message", "", None),
        ("token_oauth", "", None),
    ],
)
def test_every_documented_error_body_parses(name: str, short_type: str, code: str | None) -> None:
    body = CONVERTER.structure(load("error_bodies.json")[name], ApiErrorBody)

    assert (short_type, code) == (body.short_type, body.error_code)


def test_list_exception_faults_are_typed() -> None:
    body = CONVERTER.structure(load("error_bodies.json")["list"], ApiErrorBody)

    assert [(1, "SO-1", "Duplicate")] == [
        (f.entry_number, f.entry_info, (f.wms_exception or {}).get("ErrorCode"))
        for f in body.faults or ()
    ]


def test_token_response_repr_hides_the_token() -> None:
    token = CONVERTER.structure(
        {"access_token": "sekrit-token", "token_type": "Bearer", "expires_in": 3600}, TokenResponse
    )

    assert "sekrit-token" not in repr(token)
    assert 3600 == token.expires_in


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"readOnly": {"orderId": "abc"}}, "$.readOnly.orderId"),
        ({"orderItems": {"not": "a list"}}, "$.orderItems"),
        ({"orderItems": [{"qty": "lots"}]}, "$.orderItems[0].qty"),
        ({"readOnly": {"lastModifiedDate": "yesterday"}}, "$.readOnly.lastModifiedDate"),
        (
            {"_embedded": {"http://api.3plCentral.com/rels/orders/item": [5]}},
            "$._embedded['http://api.3plCentral.com/rels/orders/item'][0]",
        ),
    ],
)
def test_a_wrong_shape_names_the_json_path(document: dict[str, Any], path: str) -> None:
    with pytest.raises(WireFormatError) as caught:
        CONVERTER.structure(document, Order)

    assert path == caught.value.json_path


def test_a_missing_required_key_is_a_wire_format_error() -> None:
    with pytest.raises(WireFormatError, match="wmsEventId"):
        CONVERTER.structure({"eventType": "OrderUpdate"}, WebhookEvent)


def test_collection_with_a_non_array_record_list_is_rejected() -> None:
    with pytest.raises(WireFormatError) as caught:
        wire.parse_collection({"ResourceList": {"a": 1}}, "orders/order")

    assert "$.ResourceList" == caught.value.json_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-12-25T23:00:00", datetime(2016, 12, 25, 23, 0, 0)),
        ("2026-02-11T16:42:19.0630000", datetime(2026, 2, 11, 16, 42, 19, 63000)),
        ("2013-07-30", datetime(2013, 7, 30)),
    ],
)
def test_documented_timestamp_forms_parse(text: str, expected: datetime) -> None:
    assert expected == wire.parse_timestamp(text)


def test_changing_an_unstructured_document_leaves_the_models_kept_values_alone() -> None:
    order = CONVERTER.structure(
        {"referenceNum": "SO-1", "_links": {"self": {"href": "/orders/1"}}, "tags": [["a"]]}, Order
    )
    written = CONVERTER.unstructure(order)

    written["_links"]["self"]["href"] = "/elsewhere"
    written["tags"][0].append("b")

    assert {"_links": {"self": {"href": "/orders/1"}}, "tags": [["a"]]} == order.extra


def test_unstructure_writes_camel_case_and_omits_unset_fields() -> None:
    order = Order(reference_num="SO-1", po_num=None)

    assert {"referenceNum": "SO-1", "orderItems": []} == CONVERTER.unstructure(order)


def test_unstructure_copies_kept_values_however_deep_or_self_holding() -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(5000):
        inner["k"] = {}
        inner = inner["k"]
    looped: dict[str, Any] = {"name": "loop"}
    looped["self"] = looped
    order = Order(reference_num="SO-1", extra={"deep": deep, "looped": looped})

    written = CONVERTER.unstructure(order)

    assert written["deep"] is not deep
    assert written["looped"]["self"] is written["looped"] is not looped


SUMMARY_DOC = {"itemIdentifier": {"sku": "A", "id": 1}, "onHand": 5}


def marked(document: Any, cls: Any) -> str:
    return f"hook for {cls.__name__}"


def test_a_structure_hook_registered_after_structure_was_called_takes_effect() -> None:
    converter = wire.make_converter()
    converter.structure(SUMMARY_DOC, StockSummary)  # fills the converter's hook cache

    converter.register_structure_hook(StockSummary, marked)

    assert "hook for StockSummary" == converter.structure(SUMMARY_DOC, cast(Any, StockSummary))


def test_a_structure_hook_func_registered_after_structure_was_called_takes_effect() -> None:
    converter = wire.make_converter()
    converter.structure(SUMMARY_DOC, StockSummary)

    converter.register_structure_hook_func(lambda cls: cls is StockSummary, marked)

    assert "hook for StockSummary" == converter.structure(SUMMARY_DOC, cast(Any, StockSummary))


@pytest.mark.parametrize("form", ["call", "decorator"])
def test_a_structure_hook_factory_registered_after_structure_was_called_takes_effect(
    form: str,
) -> None:
    converter = wire.make_converter()
    converter.structure(SUMMARY_DOC, StockSummary)

    def factory(cls: Any) -> Any:
        return marked

    if form == "call":
        converter.register_structure_hook_factory(lambda cls: cls is StockSummary, factory)
    else:
        converter.register_structure_hook_factory(lambda cls: cls is StockSummary)(factory)

    assert "hook for StockSummary" == converter.structure(SUMMARY_DOC, cast(Any, StockSummary))


def test_a_copied_converter_structures_as_its_original() -> None:
    converter = wire.make_converter()
    expected = converter.structure(SUMMARY_DOC, StockSummary)

    copied = converter.copy()

    assert expected == copied.structure(SUMMARY_DOC, StockSummary)
    assert isinstance(copied, type(converter))


@settings(max_examples=50)
@given(
    text=st.text(min_size=3, max_size=60).filter(lambda t: t.strip() and _refused_anywhere(t)),
    slot=st.sampled_from(
        [
            (StockSummary, lambda v: {"itemIdentifier": {"sku": "A"}, "onHand": v}),
            (StockDetail, lambda v: {"expirationDate": v}),
            (Shipment, lambda v: {"orderNumber": "R-1", "status": v}),
        ]
    ),
)
def test_a_refused_value_is_described_not_quoted(text: str, slot: tuple[Any, Any]) -> None:
    """A value in the wrong field may be someone's name: messages reach logs and the journal."""
    cls, document = slot
    with pytest.raises(WireFormatError) as caught:
        CONVERTER.structure(document(text), cls)

    message = str(caught.value)
    assert (False, True) == (text in message, f"a string of {len(text)} characters" in message)


def _refused_anywhere(text: str) -> bool:
    """Not a number, a timestamp or a shipment status in any spelling the reader takes."""
    if text.strip().lower() in {"shipped", "canceled"}:
        return False
    try:
        wire.parse_timestamp(text)
    except ValueError:
        pass
    else:
        return False
    try:
        Decimal(text)
    except ArithmeticError:
        return True
    return False
