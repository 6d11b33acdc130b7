"""Receipts <-> receivers, stock summaries -> inventory levels, items <-> products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ValidationError
from extensiv_connector.models import (
    InventoryLevel,
    Item,
    ItemIdentifier,
    KitComponent,
    Product,
    Receipt,
    ReceiptLine,
    ReceiptStatus,
    Receiver,
    StockSummary,
)
from extensiv_connector.translate import (
    item_to_product,
    product_to_item,
    receipt_to_receiver,
    receiver_to_receipt,
    stock_summaries_to_inventory,
    stock_summary_to_inventory,
)
from extensiv_connector.wire import make_converter, parse_collection

from ._support import fixture_json, make_config, structured

RECEIPT = Receipt(
    reference="ASN-2024-0001",
    po_number="PO-77",
    expected_at=datetime(2024, 5, 1),
    carrier="FedEx",
    tracking_number="794600000000",
    lines=(
        ReceiptLine(sku="WIDGET", expected_quantity=24, line_reference="R1"),
        ReceiptLine(
            sku="LOT-SKU",
            expected_quantity=10,
            line_reference="R2",
            lot_number="L9",
            expiration_date=datetime(2025, 1, 31),
        ),
    ),
)


def test_a_receipt_becomes_the_documented_receiver_shape() -> None:
    documented = fixture_json("receiver_create.json")

    payload = receipt_to_receiver(RECEIPT, make_config()).payload

    for key in ("customerIdentifier", "facilityIdentifier", "referenceNum", "poNum", "arrivalDate",
                "expectedDate", "carrier", "trackingNumber", "transactionEntryType"):  # fmt: skip
        assert (key, documented[key]) == (key, payload[key])
    assert [
        {"itemIdentifier": {"sku": "ABC-1"}, "qty": 24, "externalId": "R1"},
        {
            "itemIdentifier": {"sku": "LOT-SKU"},
            "qty": 10,
            "externalId": "R2",
            "lotNumber": "L9",
            "expirationDate": "2025-01-31T00:00:00",
        },
    ] == payload["receiveItems"]


def test_a_receipt_with_an_unmapped_sku_is_refused_with_the_line_named() -> None:
    receipt = attrs.evolve(RECEIPT, lines=(ReceiptLine(sku="GADGET", expected_quantity=1),))

    with pytest.raises(ValidationError) as caught:
        receipt_to_receiver(receipt, make_config())

    assert ["lines[0].sku"] == [v.path for v in caught.value.violations]


def test_a_closed_receiver_reports_received_against_expected() -> None:
    receiver = structured("closed_receiver.json", Receiver)

    receipt = receiver_to_receipt(receiver, make_config(), RECEIPT)

    assert (ReceiptStatus.RECEIVED, 5501, datetime(2024, 5, 1, 15, 0)) == (
        receipt.status,
        receipt.receiver_id,
        receipt.arrived_at,
    )
    assert [
        ("WIDGET", Decimal(24), Decimal(22), Decimal(-2)),
        ("LOT-SKU", Decimal(10), Decimal(10), Decimal(0)),
    ] == [
        (line.sku, line.expected_quantity, line.received_quantity, line.variance)
        for line in receipt.lines
    ]


def test_an_open_receiver_has_no_received_quantities_yet() -> None:
    data = fixture_json("closed_receiver.json")
    data["readOnly"]["status"] = 0

    receipt = receiver_to_receipt(structured_from(data), make_config())

    assert (ReceiptStatus.OPEN, [None, None], None) == (
        receipt.status,
        [line.received_quantity for line in receipt.lines],
        receipt.arrived_at,
    )


def structured_from(data: dict[str, object]) -> Receiver:
    return make_converter().structure(data, Receiver)


def test_stock_summaries_become_levels_per_host_sku_and_never_below_zero() -> None:
    page = parse_collection(fixture_json("stock_summaries.json"))
    summaries = [structured_from_summary(r) for r in page.records]

    result = stock_summaries_to_inventory(summaries, make_config())

    assert (
        InventoryLevel(
            sku="WIDGET", available=64, on_hand=74, allocated=30, on_hold=5, facility_id=3
        ),
        InventoryLevel(
            sku="WIDGET-6PK", available=0, on_hand=4, allocated=1, on_hold=0, facility_id=3
        ),
    ) == result.levels


def test_only_the_listed_qualifiers_count_when_given() -> None:
    page = parse_collection(fixture_json("stock_summaries.json"))
    summaries = [structured_from_summary(r) for r in page.records]

    result = stock_summaries_to_inventory(summaries, make_config(), qualifiers=[""])

    assert [("WIDGET", Decimal(60)), ("WIDGET-6PK", Decimal(0))] == [
        (v.sku, v.available) for v in result.levels
    ]


def structured_from_summary(record: object) -> StockSummary:
    return make_converter().structure(record, StockSummary)


def test_an_unmapped_stock_row_is_skipped_and_reported() -> None:
    rows = [StockSummary(item_identifier=ItemIdentifier(sku="MYSTERY"), available=Decimal(3))]

    result = stock_summaries_to_inventory(rows, make_config())
    with pytest.raises(ValidationError):
        stock_summary_to_inventory(rows[0], make_config())

    assert ((), ["summaries[0].itemIdentifier.sku"]) == (
        result.levels,
        [v.path for v in result.violations],
    )


def test_the_documented_item_becomes_a_product() -> None:
    product = item_to_product(structured("item.json", Item), make_config())

    assert (
        Product(
            sku="WIDGET",
            description="Blue widget",
            description2="large",
            upc="012345678905",
            unit="Each",
            cost=Decimal("4.5"),
            price=Decimal("9.99"),
            weight=Decimal("2.5"),
            weight_unit="lb",
            length=Decimal(10),
            width=Decimal(8),
            height=Decimal(4),
            dimension_unit="in",
            channel_id=501,
        )
        == product
    )


def test_a_metric_host_product_is_sent_in_centimetres_and_kilograms_only() -> None:
    product = Product(
        sku="WIDGET",
        description="Blue widget",
        weight=Decimal(1200),
        weight_unit="g",
        length=Decimal(300),
        width=Decimal(200),
        height=Decimal(100),
        dimension_unit="mm",
        kit_components=(KitComponent(sku="LOT-SKU", quantity=2),),
    )

    item = product_to_item(product, make_config())

    unit = item.options.inventory_unit if item.options and item.options.inventory_unit else None
    assert unit is not None
    assert unit.metric is not None
    assert ("ABC-1", None, (Decimal(30), Decimal(20), Decimal(10), Decimal("1.2")), "LOT-SKU") == (
        item.sku,
        unit.imperial,
        (unit.metric.length, unit.metric.width, unit.metric.height, unit.metric.weight),
        item.kit.components[0].item_identifier.sku if item.kit else "",
    )


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["WIDGET", "LOT-SKU", "WIDGET-6PK"]),
    st.decimals(min_value=Decimal("0.1"), max_value=Decimal(500), places=1),
    st.sampled_from([("in", "lb"), ("cm", "kg")]),
    st.text(alphabet="abc xyz", max_size=20),
)
def test_product_to_item_to_product_is_the_identity_in_extensiv_units(
    sku: str, size: Decimal, units: tuple[str, str], description: str
) -> None:
    product = Product(
        sku=sku,
        description=description,
        weight=size,
        weight_unit=units[1],
        length=size,
        width=size,
        height=size,
        dimension_unit=units[0],
    )

    assert product == item_to_product(product_to_item(product, make_config()), make_config())


def test_a_receipt_with_control_characters_in_identifiers_is_refused_naming_each_field() -> None:
    receipt = attrs.evolve(
        RECEIPT,
        reference="ASN\u0000-1",
        lines=(
            ReceiptLine(sku="WID\u001bGET", expected_quantity=1),
            ReceiptLine(sku="WIDGET", expected_quantity=1, line_reference="R\ud8002"),
        ),
    )

    with pytest.raises(ValidationError) as caught:
        receipt_to_receiver(receipt, make_config())

    assert [
        ("reference", "contains control character U+0000 at position 3"),
        ("lines[0].sku", "contains control character U+001B at position 3"),
        ("lines[1].line_reference", "contains control character U+D800 at position 1"),
    ] == [(v.path, v.message) for v in caught.value.violations if v.rule == "text.control"]
    assert "\u0000" not in str(caught.value)
