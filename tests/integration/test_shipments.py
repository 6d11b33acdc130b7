"""receive_shipments: what the warehouse shipped reaches the host, once per warehouse state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extensiv_connector.models import Shipment, ShipmentChangeKind, ShipmentStatus
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, LedgerKind, LedgerState, PushStatus

from ..factories import sales_order
from .conftest import ConnectorFactory


def _push(connector: Connector, *orders: str) -> dict[str, int]:
    result = connector.push_orders(
        [sales_order(n, ("SKU-000001", 2), ("SKU-000002", 1)) for n in orders]
    )
    assert all(o.status is PushStatus.SENT_FULL for o in result.outcomes), result.outcomes
    return {o.order_number: o.remote_id or 0 for o in result.outcomes}


@pytest.fixture
def connector(make_connector: ConnectorFactory) -> Connector:
    return make_connector()


def test_shipped_orders_reach_the_handler_with_tracking_quantities_and_changes(
    sb: Sandbox, connector: Connector
) -> None:
    ids = _push(connector, "SO-1", "SO-2", "SO-3")
    sb.warehouse.ship_order(ids["SO-1"], tracking_number="1ZFULL")
    sb.warehouse.ship_order(
        ids["SO-2"],
        packages=[  # short-shipped: 1 of the 2 SKU-000001 ordered
            {"trackingNumber": "1ZA", "contents": {"SKU-000001": 1}},
            {"trackingNumber": "1ZB", "contents": {"SKU-000002": 1}},
        ],
    )
    received: list[Shipment] = []

    result = connector.receive_shipments(handler=received.append)

    assert list(result.records) == received
    by_number = {s.order_number: s for s in received}
    assert {"SO-1", "SO-2"} == set(by_number)  # SO-3 is still open
    full, short = by_number["SO-1"], by_number["SO-2"]
    assert ("1ZFULL",) == full.tracking_numbers
    assert ShipmentStatus.SHIPPED == full.status
    assert () == full.changes
    assert {"SKU-000001": Decimal(2), "SKU-000002": Decimal(1)} == {
        line.sku: line.shipped_quantity for line in full.lines
    }
    assert ("1ZA", "1ZB") == short.tracking_numbers
    assert {"SKU-000001": Decimal(1), "SKU-000002": Decimal(1)} == {
        line.sku: line.shipped_quantity for line in short.lines
    }
    assert [(ShipmentChangeKind.QUANTITY_DECREASED, "SKU-000001")] == [
        (c.kind, c.sku) for c in short.changes
    ]
    assert all(c.accepted for c in short.changes)
    assert ids["SO-2"] == short.order_id
    assert {"received": 2, "skipped": 0, "rejected": 0} == result.counts


def test_carrier_changed_by_the_warehouse_is_classified(sb: Sandbox, connector: Connector) -> None:
    ids = _push(connector, "SO-1")
    sb.warehouse.ship_order(ids["SO-1"], carrier="FedEx", mode="FEDEX_GROUND")

    [shipment] = connector.receive_shipments().records

    kinds = {c.kind for c in shipment.changes}
    assert ShipmentChangeKind.CARRIER_CHANGED in kinds, shipment.changes


def test_second_pull_returns_nothing_new(sb: Sandbox, connector: Connector) -> None:
    ids = _push(connector, "SO-1", "SO-2")
    sb.warehouse.ship_order(ids["SO-1"])
    first = connector.receive_shipments()
    first.ack()

    second = connector.receive_shipments()

    assert ["SO-1"] == [s.order_number for s in first.records]
    assert () == second.records
    assert 1 == second.skipped  # fetched again by the overlap window, recognised, dropped

    sb.warehouse.ship_order(ids["SO-2"])
    third = connector.receive_shipments()
    assert ["SO-2"] == [s.order_number for s in third.records]


def test_order_modified_after_delivery_comes_again_with_a_new_dedupe_key(
    sb: Sandbox, connector: Connector
) -> None:
    ids = _push(connector, "SO-1")
    sb.warehouse.ship_order(ids["SO-1"], tracking_number="1ZOLD")
    pulled = connector.receive_shipments()
    pulled.ack()
    [before] = pulled.records
    wh = sb.warehouse
    with wh.lock:  # the warehouse corrects the tracking number on the closed order
        record = wh.orders[ids["SO-1"]]
        record.doc["routingInfo"]["trackingNumber"] = "1ZNEW"
        for package in record.doc["readOnly"].get("packages", []):
            package["trackingNumber"] = "1ZNEW"
        wh._touch(record)

    again = connector.receive_shipments()
    again.ack()
    [after] = again.records

    assert before.order_id == after.order_id
    assert before.dedupe_key != after.dedupe_key
    assert ("1ZNEW",) == after.tracking_numbers
    assert () == connector.receive_shipments().records


def test_targeted_pull_returns_just_those_orders_and_keeps_the_cursor(
    sb: Sandbox, connector: Connector
) -> None:
    ids = _push(connector, "SO-1", "SO-2", "SO-3")
    for number in ("SO-1", "SO-2"):
        sb.warehouse.ship_order(ids[number])

    targeted = connector.receive_shipments(order_ids=[ids["SO-2"], ids["SO-3"], 999_999])
    targeted.ack()

    assert ["SO-2"] == [s.order_number for s in targeted.records]  # SO-3 open, 999999 missing
    assert None is connector.store.cursor_get(connector.channel, "receive_shipments").watermark
    polled = connector.receive_shipments()
    assert ["SO-1"] == [s.order_number for s in polled.records]
    assert 1 == polled.skipped  # SO-2 already reached the host through the targeted pull


def test_canceled_order_arrives_as_canceled_and_its_reference_is_closed(
    sb: Sandbox, connector: Connector
) -> None:
    ids = _push(connector, "SO-1")
    sb.warehouse.cancel_order(ids["SO-1"])

    [shipment] = connector.receive_shipments().records

    assert ShipmentStatus.CANCELED == shipment.status
    entry = connector.store.ledger_get(connector.channel, LedgerKind.ORDER, "SO-1-1")
    assert entry is not None
    assert LedgerState.CANCELED == entry.state
    again = connector.push_orders([sales_order("SO-1", ("SKU-000001", 2))])
    assert PushStatus.REJECTED == again.outcomes[0].status


def test_orders_not_pushed_by_this_channel_are_ignored(sb: Sandbox, connector: Connector) -> None:
    _push(connector, "SO-1")
    doc, _etag = sb.warehouse.create_order(
        {
            "customerIdentifier": {"id": sb.credentials.customer_id},
            "facilityIdentifier": {"id": sb.credentials.facility_id},
            "referenceNum": "OTHER-SYSTEM-1",
            "shipTo": {"name": "X", "address1": "1 St", "city": "C", "country": "US"},
            "orderItems": [{"itemIdentifier": {"sku": "SKU-000003"}, "qty": 1}],
        }
    )
    sb.warehouse.ship_order(doc["readOnly"]["orderId"])

    assert () == connector.receive_shipments().records


def test_an_untranslatable_shipment_is_journaled_once_and_delivered_after_the_fix(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    from .conftest import config_with

    ids = _push(make_connector(), "SO-POISON")
    sb.warehouse.ship_order(ids["SO-POISON"])
    # A mapping that knows SKU-000002 but not SKU-000001 holds the shipment (unmapped SKU).
    strict = make_connector(
        config=config_with(
            sb, sku_mappings={"entries": [{"host_sku": "H-2", "channel_sku": "SKU-000002"}]}
        )
    )
    fixed = make_connector(
        config=config_with(
            sb,
            sku_mappings={
                "entries": [
                    {"host_sku": "H-1", "channel_sku": "SKU-000001"},
                    {"host_sku": "H-2", "channel_sku": "SKU-000002"},
                ]
            },
        )
    )

    first = strict.receive_shipments()
    second = strict.receive_shipments()
    retried = fixed.receive_shipments(order_ids=[ids["SO-POISON"]])

    assert (0, 1) == (len(first.records), len(first.rejected))
    assert (0, 0) == (len(second.records), len(second.rejected))
    assert [("SO-POISON", ["H-1", "H-2"])] == [
        (s.order_number, sorted(line.sku for line in s.lines)) for s in retried.records
    ]
