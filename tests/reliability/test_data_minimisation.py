"""Personal data stays in the store only while an order needs it: after a full sync and a
prune, no byte of the SQLite file (or its WAL) holds a pushed order's name, address, phone,
e-mail or notes. The order numbers (the ledger's keys) stay, which shows the grep can see."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, OrderLine, SalesOrder
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, LedgerKind, SQLiteStore
from extensiv_connector.sync._baseline import sent_baseline

ORDERS = 30
SKUS = ("SKU-000001", "SKU-000002", "SKU-000003")


def _order(i: int) -> SalesOrder:
    return SalesOrder(
        order_number=f"PII-{i:04d}",
        lines=[
            OrderLine(sku=SKUS[i % 3], quantity=1, line_reference="1", notes=f"gift wrap {i} Qx7")
        ],
        ship_to=Address(
            name=f"Zelda Quinnsworth {i}",
            company=f"Quinnsworth Holdings {i}",
            address1=f"{700 + i} Evergreen Terrace",
            address2=f"Apartment {i}Z",
            city="Springfieldia",
            postal_code=f"K{i:02d}X 9Q7",  # not all digits: timestamps hold digit runs
            country="US",
            phone=f"+1-555-01{i:02d}-7788",
            email=f"zelda.{i}@quinnsworth.example",
        ),
        ordered_at=datetime(2026, 1, 1),
        carrier="UPS",
        service="Ground",
        notes=f"ring the bell twice {i}",
    )


def _personal_values(order: SalesOrder) -> list[str]:
    a = order.ship_to
    assert a is not None
    values = [a.name, a.company, a.address1, a.address2, a.postal_code, a.phone, a.email]
    return [*values, order.notes, *(line.notes for line in order.lines)]


def _file_bytes(state: Path) -> bytes:
    return b"".join(p.read_bytes() for p in state.parent.glob(state.name + "*"))


def test_after_a_full_sync_and_prune_the_store_holds_no_personal_data(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    orders = [_order(i) for i in range(ORDERS)]
    with Sandbox(catalog_size=3, initial_stock=5) as sb:
        config = ChannelConfig.from_dict(
            {
                "general": {"connection_name": "pii"},
                "credentials": sb.connection_info(),
                "pii": {"retention_days": 30},
            }
        )
        with Connector(config, store=SQLiteStore(state)) as connector:
            first = connector.push_orders(orders)  # 15 fit the stock, 15 are held
            for sku in SKUS:
                sb.warehouse.adjust_stock(sku, ORDERS)
            released = connector.receive_inventory_levels()  # the held ones go out now
            for entry in connector.store.ledger_list(connector.channel, LedgerKind.ORDER):
                assert entry.remote_id is not None
                sb.warehouse.ship_order(entry.remote_id)
            shipments = connector.receive_shipments()
            connector.prune()
            connector.store.close()
    stored = _file_bytes(state)

    assert {"held"} <= {o.status.value for o in first.outcomes}
    assert released.pushed is not None
    assert ORDERS == len(shipments.records)
    found = [v for o in orders for v in _personal_values(o) if v.encode() in stored]
    assert [] == found
    assert all(o.order_number.encode() in stored for o in orders)


def test_the_sent_baseline_keeps_lines_carrier_and_reference_only() -> None:
    payload = {
        "customerIdentifier": {"id": 1},
        "referenceNum": "SO-1-1",
        "externalId": "SO-1",
        "notes": "leave at door",
        "routingInfo": {"carrier": "UPS", "mode": "Ground", "account": "A-99"},
        "shipTo": {"name": "Jane Doe", "address1": "1 Main", "phoneNumber": "555"},
        "billTo": {"name": "Jane Doe"},
        "orderItems": [
            {"itemIdentifier": {"sku": "A"}, "qty": 2, "externalId": "1", "notes": "wrap"}
        ],
    }

    baseline = sent_baseline(payload)

    assert {
        "customerIdentifier": {"id": 1},
        "referenceNum": "SO-1-1",
        "externalId": "SO-1",
        "routingInfo": {"carrier": "UPS", "mode": "Ground"},
        "orderItems": [{"itemIdentifier": {"sku": "A"}, "qty": 2, "externalId": "1"}],
    } == baseline
    assert "Jane" not in json.dumps(baseline)
