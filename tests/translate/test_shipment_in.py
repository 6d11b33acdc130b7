"""Closed Extensiv order -> host Shipment: mapping back, quantities, tracking, changes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from extensiv_connector.errors import ValidationError
from extensiv_connector.models import (
    Order,
    ShipmentChangeKind,
    ShipmentLine,
    ShipmentLot,
    ShipmentStatus,
)
from extensiv_connector.translate import order_to_shipment, sales_order_to_order, translate_shipment
from extensiv_connector.wire import make_converter

from ._support import fixture_json, make_config
from .test_order_out import ORDER

ITEMS = "http://api.3plCentral.com/rels/orders/item"


def closed(edit: Callable[[dict[str, Any]], None] | None = None) -> Order:
    data = copy.deepcopy(fixture_json("closed_order.json"))
    if edit is not None:
        edit(data)
    return make_converter().structure(data, Order)


def test_the_documented_closed_order_becomes_a_shipment() -> None:
    shipment = order_to_shipment(closed(), make_config(), ORDER)

    assert (
        "SO-100045",
        1,
        ShipmentStatus.SHIPPED,
        31004581,
        ("ups", "GND"),
        ("1Z999AA10123456784", "1Z999AA10123456785"),
        {"CustomerPO": "PO-77"},
        (),
    ) == (
        shipment.order_number,
        shipment.shipment_seq,
        shipment.status,
        shipment.order_id,
        (shipment.carrier, shipment.service),
        shipment.tracking_numbers,
        shipment.references,
        shipment.changes,
    )
    assert (
        ShipmentLine(
            sku="WIDGET",
            shipped_quantity=2,
            ordered_quantity=2,
            line_reference="L1",
            lot_numbers=("L9",),
            serial_numbers=("SN-1",),
            lots=(ShipmentLot(lot_number="L9", quantity=2, serial_numbers=("SN-1",)),),
        ),
        ShipmentLine(sku="LOT-SKU", shipped_quantity=1, ordered_quantity=1, line_reference="L2"),
    ) == shipment.lines


def test_packages_carry_their_contents_in_host_terms() -> None:
    shipment = order_to_shipment(closed(), make_config())

    assert [("1Z999AA10123456784", ["WIDGET", "LOT-SKU"]), ("1Z999AA10123456785", ["WIDGET"])] == [
        (p.tracking_number, [c.sku for c in p.contents]) for p in shipment.packages
    ]


def test_without_packages_the_closed_line_quantity_is_what_shipped() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["readOnly"]["packages"] = []
        data["_embedded"][ITEMS][0]["qty"] = 1

    shipment = order_to_shipment(closed(edit), make_config(), ORDER)

    assert ([Decimal(1), Decimal(1)], [ShipmentChangeKind.QUANTITY_DECREASED]) == (
        [line.shipped_quantity for line in shipment.lines],
        [c.kind for c in shipment.changes],
    )
    assert (Decimal(2), True) == (shipment.lines[0].ordered_quantity, shipment.changes[0].accepted)


def test_a_short_pack_is_a_decrease_and_a_removed_line_is_accepted() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["_embedded"][ITEMS].pop(1)
        data["readOnly"]["packages"] = data["readOnly"]["packages"][:1]
        data["readOnly"]["packages"][0]["packageContents"] = data["readOnly"]["packages"][0][
            "packageContents"
        ][:1]

    shipment = order_to_shipment(closed(edit), make_config(), ORDER)

    assert [
        (ShipmentChangeKind.QUANTITY_DECREASED, "WIDGET", True),
        (ShipmentChangeKind.LINE_REMOVED, "LOT-SKU", True),
    ] == [(c.kind, c.sku, c.accepted) for c in shipment.changes]
    assert () == shipment.flagged_changes


def test_an_added_line_and_an_increased_quantity_are_flagged() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["readOnly"]["packages"] = []
        data["_embedded"][ITEMS][0]["qty"] = 5
        data["_embedded"][ITEMS].append(
            {"readOnly": {"orderItemId": 79}, "itemIdentifier": {"sku": "CASE-EA"}, "qty": 12}
        )

    shipment = order_to_shipment(closed(edit), make_config(), ORDER)

    assert [
        (ShipmentChangeKind.QUANTITY_INCREASED, "WIDGET"),
        (ShipmentChangeKind.LINE_ADDED, "WIDGET-6PK"),
    ] == [(c.kind, c.sku) for c in shipment.flagged_changes]
    assert Decimal(2) == shipment.lines[2].shipped_quantity  # 12 eaches = 2 six-packs


def test_carrier_service_and_address_changes_are_accepted_without_personal_data() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["routingInfo"] = {"carrier": "FedEx", "mode": "FDEG"}
        data["shipTo"]["city"] = "Austin"

    shipment = order_to_shipment(closed(edit), make_config(), ORDER)

    kinds = [c.kind for c in shipment.changes]
    assert [
        ShipmentChangeKind.CARRIER_CHANGED,
        ShipmentChangeKind.SERVICE_CHANGED,
        ShipmentChangeKind.ADDRESS_CHANGED,
    ] == kinds
    assert ("FedEx", "Ground", "changed: city") == (
        shipment.carrier,
        shipment.service,
        shipment.changes[2].detail,
    )
    assert all("Austin" not in c.detail and "Dallas" not in c.detail for c in shipment.changes)


def test_the_sent_order_is_as_good_a_baseline_as_the_sales_order() -> None:
    sent = sales_order_to_order(ORDER, make_config()).order

    def edit(data: dict[str, Any]) -> None:
        data["_embedded"][ITEMS].pop(1)

    assert [ShipmentChangeKind.LINE_REMOVED] == [
        c.kind for c in order_to_shipment(closed(edit), make_config(), sent).changes
    ]


def test_a_canceled_order_ships_nothing_and_classifies_nothing() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["readOnly"]["status"] = 2

    shipment = order_to_shipment(closed(edit), make_config(), ORDER)

    assert (ShipmentStatus.CANCELED, [Decimal(0), Decimal(0)], (), None) == (
        shipment.status,
        [line.shipped_quantity for line in shipment.lines],
        shipment.changes,
        shipment.shipped_at,
    )


def test_a_warehouse_backorder_child_is_tied_to_its_parent() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["referenceNum"] = "SO-100045-1-BO1"

    shipment = order_to_shipment(closed(edit), make_config())

    assert ("SO-100045", "SO-100045-1-BO1", "SO-100045-1", "1") == (
        shipment.order_number,
        shipment.reference,
        shipment.references["extensiv.parent_reference"],
        shipment.references["extensiv.backorder_seq"],
    )


def test_an_unmapped_channel_sku_is_an_error_for_the_shipment() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["_embedded"][ITEMS][0]["itemIdentifier"]["sku"] = "MYSTERY"

    result = translate_shipment(closed(edit), make_config())
    with pytest.raises(ValidationError):
        order_to_shipment(closed(edit), make_config())

    assert ["orderItems[0].itemIdentifier.sku"] == [v.path for v in result.errors]


def test_a_foreign_reference_still_comes_back_with_a_warning() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["referenceNum"] = "manual order"

    result = translate_shipment(closed(edit), make_config())

    assert ("manual order", ["reference.unparsed"]) == (
        result.shipment.order_number,
        [v.rule for v in result.violations],
    )
