"""Lots, serials and expiry end to end; warehouse aliases seeding the SKU mapping; receipts
created in the warehouse; the connector over HTTPS with the sandbox's own CA."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from extensiv_connector.errors import ConnectionFailedError, ValidationError
from extensiv_connector.models import (
    InventoryLevel,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLot,
)
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, MemoryStore, PushStatus

from ..factories import sales_order
from .conftest import ConnectorFactory, config_with

JAN = datetime(2027, 1, 31)
JUN = datetime(2027, 6, 30)


def _two_lots(sb: Sandbox) -> None:
    sb.warehouse.add_item("LOT-1", "lot tracked")
    sb.warehouse.receive_lines(
        [
            {"sku": "LOT-1", "qty": 3, "lotNumber": "A", "expirationDate": "2027-01-31T00:00:00"},
            {"sku": "LOT-1", "qty": 4, "lotNumber": "B", "expirationDate": "2027-06-30T00:00:00"},
        ]
    )


def test_a_sku_received_in_two_lots_ships_from_both_with_each_lot_and_quantity(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    _two_lots(sb)
    connector = make_connector()
    pushed = connector.push_orders([sales_order("SO-LOT", ("LOT-1", 5), ("SKU-000001", 1))])
    [outcome] = pushed.outcomes
    assert PushStatus.SENT_FULL == outcome.status
    sb.warehouse.ship_order(outcome.remote_id or 0)
    received: list[Shipment] = []

    connector.receive_shipments(handler=received.append)

    [shipment] = received
    lines = {line.sku: line for line in shipment.lines}
    assert (
        ShipmentLot(lot_number="A", quantity=Decimal(3), expiration_date=JAN),
        ShipmentLot(lot_number="B", quantity=Decimal(2), expiration_date=JUN),
    ) == lines["LOT-1"].lots
    assert (Decimal(5), ("A", "B")) == (
        lines["LOT-1"].shipped_quantity,
        lines["LOT-1"].lot_numbers,
    )
    assert () == lines["SKU-000001"].lots  # received without a lot


def test_lots_split_across_packages_add_up_per_line(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    _two_lots(sb)
    connector = make_connector()
    [outcome] = connector.push_orders([sales_order("SO-PK", ("LOT-1", 6))]).outcomes
    sb.warehouse.ship_order(
        outcome.remote_id or 0,
        packages=[
            {"trackingNumber": "1Z1", "contents": {"LOT-1": 2}},
            {"trackingNumber": "1Z2", "contents": {"LOT-1": 4}},
        ],
    )

    [shipment] = connector.receive_shipments().records

    assert [("A", Decimal(3)), ("B", Decimal(3))] == [
        (lot.lot_number, lot.quantity) for lot in shipment.lines[0].lots
    ]
    assert [[("A", Decimal(2))], [("A", Decimal(1)), ("B", Decimal(3))]] == [
        [(lot.lot_number, lot.quantity) for c in p.contents for lot in c.lots]
        for p in shipment.packages
    ]


def test_serial_numbers_shipped_reach_the_shipment_line(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    sb.warehouse.add_item("SER-1")
    sb.warehouse.receive_lines(
        [{"sku": "SER-1", "qty": 1, "serialNumber": s} for s in ("SN-1", "SN-2", "SN-3")]
    )
    connector = make_connector()
    [outcome] = connector.push_orders([sales_order("SO-SER", ("SER-1", 2))]).outcomes
    sb.warehouse.ship_order(outcome.remote_id or 0)

    [shipment] = connector.receive_shipments().records

    assert ("SN-1", "SN-2") == shipment.lines[0].serial_numbers


def test_an_expiry_dated_serial_without_a_lot_keeps_its_expiry_on_the_shipment(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    sb.warehouse.add_item("SER-EXP")
    sb.warehouse.receive_lines(
        [{"sku": "SER-EXP", "qty": 1, "serialNumber": "SN-9", "expirationDate": "2027-01-31"}]
    )
    connector = make_connector()
    [outcome] = connector.push_orders([sales_order("SO-SEREXP", ("SER-EXP", 1))]).outcomes
    sb.warehouse.ship_order(outcome.remote_id or 0)

    [shipment] = connector.receive_shipments().records

    expected = ShipmentLot(
        lot_number="", quantity=Decimal(1), expiration_date=JAN, serial_numbers=("SN-9",)
    )
    assert (expected,) == shipment.lines[0].lots
    assert (expected,) == shipment.packages[0].contents[0].lots


def test_receipt_lines_carry_lot_serial_and_expiry_both_ways(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    sb.warehouse.add_item("LOT-1")
    connector = make_connector()
    asn = Receipt(
        reference="ASN-LOT",
        lines=[
            ReceiptLine(sku="LOT-1", expected_quantity=5, lot_number="L1", expiration_date=JAN),
            ReceiptLine(sku="LOT-1", expected_quantity=1, serial_number="SN-9"),
        ],
    )
    [outcome] = connector.send_receipts([asn]).outcomes
    sb.warehouse.confirm_receiver(outcome.remote_id or 0)

    [receipt] = connector.receive_receipts().records

    assert [("L1", JAN, "", Decimal(5)), ("", None, "SN-9", Decimal(1))] == [
        (line.lot_number, line.expiration_date, line.serial_number, line.received_quantity)
        for line in receipt.lines
    ]


def test_lot_levels_report_sellable_stock_per_lot_and_expiry(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    _two_lots(sb)
    sb.warehouse.add_item("LOT-2")
    sb.warehouse.receive_lines([{"sku": "LOT-2", "qty": 2, "lotNumber": "Q"}])
    connector = make_connector()
    [row] = [
        r for r in connector.client.inventory.stock_details() if r.item_identifier.sku == "LOT-2"
    ]
    sb.warehouse.hold_lot(row.receive_item_id or 0, quarantine=True)

    levels = connector.receive_inventory_levels(detail="lots", release_backorders=False).records

    by_lot = {(lvl.sku, lvl.lot_number): lvl for lvl in levels}
    assert (
        InventoryLevel(sku="LOT-1", available=3, on_hand=3, lot_number="A", expiration_date=JAN)
        == by_lot[("LOT-1", "A")]
    )
    assert (Decimal(0), Decimal(2)) == (
        by_lot[("LOT-2", "Q")].available,
        by_lot[("LOT-2", "Q")].on_hold,
    )


def test_an_unknown_inventory_detail_is_a_validation_error(
    make_connector: ConnectorFactory,
) -> None:
    with pytest.raises(ValidationError, match="detail"):
        make_connector().receive_inventory_levels(detail="pallets")


def test_receipts_created_in_the_warehouse_come_only_when_asked(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    sb.warehouse.receive_lines([{"sku": "SKU-000002", "qty": 7, "lotNumber": "W1"}])

    default = connector.receive_receipts().records
    other = make_connector(store_=MemoryStore())
    included = other.receive_receipts(include_unsent=True).records

    assert () == default
    walk_in = [r for r in included if r.lines and r.lines[0].lot_number == "W1"]
    assert [(Decimal(7), Decimal(7))] == [
        (r.lines[0].expected_quantity, r.lines[0].received_quantity) for r in walk_in
    ]


def test_warehouse_aliases_seed_the_sku_mapping_used_by_pushes(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    sb.warehouse.add_alias("HOST-WIDGET", "SKU-000001")
    sb.warehouse.add_alias("HOST-CASE", "SKU-000002", qty=5)
    connector = make_connector()

    connector.import_products(aliases=True)
    pushed = connector.push_orders([sales_order("SO-ALIAS", ("HOST-WIDGET", 2), ("HOST-CASE", 1))])

    [outcome] = pushed.outcomes
    assert PushStatus.SENT_FULL == outcome.status, outcome.reason
    order = connector.client.orders.get(outcome.remote_id or 0, detail="OrderItems").value
    assert [("SKU-000001", Decimal(2)), ("SKU-000002", Decimal(5))] == [
        (line.item_identifier.sku, line.qty) for line in order.order_items
    ]


def test_the_connector_talks_https_to_a_tls_sandbox_with_its_ca_file() -> None:
    with Sandbox(catalog_size=2, tls=True) as sb:
        assert sb.base_url.startswith("https://")
        with Connector(sb.config, store=MemoryStore()) as connector:
            levels = connector.receive_inventory_levels().records
        info = sb.connection_info()
        ca_file = info.pop("ca_file")
        untrusted = config_with(sb, credentials=info)  # the system trust store rejects it
        trusted = config_with(sb, credentials=info, client={"ca_file": ca_file})

        with (
            Connector(untrusted, store=MemoryStore()) as connector,
            pytest.raises(ConnectionFailedError),
        ):
            connector.client.orders.find_by_reference("nope")
        with Connector(trusted, store=MemoryStore()) as connector:
            assert connector.client.orders.find_by_reference("nope") is None

    assert {"SKU-000001", "SKU-000002"} == {lvl.sku for lvl in levels}
