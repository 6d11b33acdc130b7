"""push_orders against the sandbox: every backorder mode, rejections, exactly-once re-pushes."""

from __future__ import annotations

from decimal import Decimal

from extensiv_connector.backorder import BackorderMode, BackorderPolicy
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import LedgerKind, LedgerState, MemoryStore, PushStatus

from ..factories import sales_order
from .conftest import ConnectorFactory, config_with, reference_counts

SKU = "SKU-000001"  # 10 in stock in the fixture sandbox


def test_order_covered_by_stock_is_sent_in_full(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()

    result = connector.push_orders([sales_order("SO-1", (SKU, 4), ("SKU-000002", 2))])

    outcome = result.outcome_for("SO-1")
    assert outcome is not None
    assert PushStatus.SENT_FULL == outcome.status
    assert "SO-1-1" == outcome.reference
    assert {"SO-1-1": 1} == reference_counts(sb)
    doc = next(d for d in (sb.warehouse.get_order(outcome.remote_id or 0)[0],))
    assert {SKU: Decimal(4), "SKU-000002": Decimal(2)} == {
        line["itemIdentifier"]["sku"]: line["qty"] for line in doc["orderItems"]
    }


def test_short_order_is_held_without_partial_and_released_by_inventory_receive(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(BackorderPolicy())  # manage_in_oms, no partial

    held = connector.push_orders([sales_order("SO-1", (SKU, 15))])

    assert PushStatus.HELD == held.outcomes[0].status
    assert {} == reference_counts(sb)
    assert ["SO-1#1"] == [e.key for e in connector.store.backorder_list(connector.channel)]

    sb.warehouse.receive({SKU: 10})  # a receiver confirmed in the warehouse: 20 available
    levels = connector.receive_inventory_levels()

    assert levels.pushed is not None
    assert [("SO-1", PushStatus.SENT_FULL)] == [
        (o.order_number, o.status) for o in levels.pushed.outcomes
    ]
    assert {"SO-1-1": 1} == reference_counts(sb)
    assert [] == connector.store.backorder_list(connector.channel)


def test_partial_sends_what_is_available_and_queues_the_remainder_as_next_shipment(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(BackorderPolicy(allow_partial=True))

    result = connector.push_orders([sales_order("SO-1", (SKU, 14))])

    outcome = result.outcomes[0]
    assert PushStatus.SENT_PARTIAL == outcome.status
    assert (Decimal(10),) == outcome.line_quantities
    [entry] = connector.store.backorder_list(connector.channel)
    assert ("SO-1#2", 2, (Decimal(4),)) == (
        entry.key,
        entry.order.shipment_seq,
        tuple(line.quantity for line in entry.order.lines),
    )

    nothing = connector.push_orders([])  # still no stock: the remainder stays held
    assert [PushStatus.HELD] == [o.status for o in nothing.outcomes]

    sb.warehouse.receive({SKU: 5})
    released = connector.push_orders([])

    assert [("SO-1", "SO-1-2", PushStatus.SENT_FULL)] == [
        (o.order_number, o.reference, o.status) for o in released.outcomes
    ]
    assert {"SO-1-1": 1, "SO-1-2": 1} == reference_counts(sb)
    assert [] == connector.store.backorder_list(connector.channel)


def test_partial_remainder_is_released_by_receive_inventory_levels(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(BackorderPolicy(allow_partial=True))
    connector.push_orders([sales_order("SO-1", (SKU, 12))])
    receiver_id = sb.warehouse.receive({SKU: 2})
    assert receiver_id

    levels = connector.receive_inventory_levels()

    assert levels.pushed is not None
    assert [("SO-1-2", PushStatus.SENT_FULL)] == [
        (o.reference, o.status) for o in levels.pushed.outcomes
    ]
    # the levels are what the host was told before the release; the release then used them up
    assert Decimal(2) == next(lvl.available for lvl in levels.records if lvl.sku == SKU)
    assert Decimal(0) == sb.warehouse.stock(SKU)["available"]


def test_manage_in_channel_always_sends_the_full_order(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(BackorderPolicy(mode=BackorderMode.MANAGE_IN_CHANNEL))

    result = connector.push_orders([sales_order("SO-1", (SKU, 500))])

    assert [PushStatus.SENT_FULL] == [o.status for o in result.outcomes]
    assert (Decimal(500),) == result.outcomes[0].line_quantities
    assert {"SO-1-1": 1} == reference_counts(sb)
    assert [] == connector.store.backorder_list(connector.channel)


def test_unmapped_sku_is_rejected_when_sku_mappings_are_configured(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    config = config_with(
        sb,
        sku_mappings={"entries": [{"host_sku": "WIDGET", "channel_sku": SKU}]},
    )
    connector = make_connector(config=config)

    result = connector.push_orders(
        [sales_order("SO-1", ("NOT-MAPPED", 1)), sales_order("SO-2", ("WIDGET", 1))]
    )

    rejected, sent = result.outcomes
    assert PushStatus.REJECTED == rejected.status
    assert any("NOT-MAPPED" in reason for reason in rejected.reasons), rejected.reasons
    assert PushStatus.SENT_FULL == sent.status
    assert {"SO-2-1": 1} == reference_counts(sb)
    entry = connector.store.ledger_get(connector.channel, LedgerKind.ORDER, "SO-1-1")
    assert entry is not None
    assert LedgerState.REJECTED == entry.state
    assert not result.ok
    assert any(e.startswith("SO-1:") for e in result.errors)


def test_order_failing_validation_is_rejected_with_every_reason(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    no_address = sales_order("SO-1", (SKU, 1))
    import attrs

    from extensiv_connector.models import Address

    invalid = attrs.evolve(no_address, ship_to=Address())

    result = connector.push_orders([invalid])

    outcome = result.outcomes[0]
    assert PushStatus.REJECTED == outcome.status
    assert len(outcome.reasons) >= 2, outcome.reasons  # every missing field, not the first
    assert {} == reference_counts(sb)


def test_rejected_order_is_sent_once_the_host_fixes_it(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    import attrs

    from extensiv_connector.models import Address

    connector = make_connector()
    good = sales_order("SO-1", (SKU, 1))
    assert PushStatus.REJECTED == (
        connector.push_orders([attrs.evolve(good, ship_to=Address())]).outcomes[0].status
    )

    fixed = connector.push_orders([good])

    assert PushStatus.SENT_FULL == fixed.outcomes[0].status
    assert {"SO-1-1": 1} == reference_counts(sb)


def test_re_push_reports_already_present_and_creates_nothing(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    order = sales_order("SO-1", (SKU, 1))
    first = connector.push_orders([order, order])  # twice in one batch is one shipment

    second = connector.push_orders([order])

    assert [PushStatus.SENT_FULL] == [o.status for o in first.outcomes]
    assert PushStatus.ALREADY_PRESENT == second.outcomes[0].status
    assert first.outcomes[0].remote_id == second.outcomes[0].remote_id
    assert {"SO-1-1": 1} == reference_counts(sb)


def test_order_already_in_the_warehouse_is_adopted_not_duplicated(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    order = sales_order("SO-1", (SKU, 1))
    first = make_connector(store_=MemoryStore()).push_orders([order])

    fresh = make_connector(store_=MemoryStore())  # a connector that lost its ledger
    adopted = fresh.push_orders([order])

    outcome = adopted.outcomes[0]
    assert PushStatus.ALREADY_PRESENT == outcome.status
    assert first.outcomes[0].remote_id == outcome.remote_id
    assert {"SO-1-1": 1} == reference_counts(sb)
    entry = fresh.store.ledger_get(fresh.channel, LedgerKind.ORDER, "SO-1-1")
    assert entry is not None
    assert (LedgerState.SENT, outcome.remote_id) == (entry.state, entry.remote_id)


def test_batch_competes_for_one_snapshot_oldest_first(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()

    result = connector.push_orders(
        [sales_order("SO-NEW", (SKU, 6), hour=5), sales_order("SO-OLD", (SKU, 6), hour=1)]
    )

    statuses = {o.order_number: o.status for o in result.outcomes}
    assert {"SO-OLD": PushStatus.SENT_FULL, "SO-NEW": PushStatus.HELD} == statuses
    assert ["SO-NEW", "SO-OLD"] == [o.order_number for o in result.outcomes]  # input order
