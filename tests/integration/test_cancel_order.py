"""cancel_order: the host withdrew an order; held shipments leave the queue, sent ones are
canceled in the warehouse, and nothing of it is sent or re-sent afterwards."""

from __future__ import annotations

from extensiv_connector.backorder import BackorderMode, BackorderPolicy
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import PushStatus

from ..factories import sales_order
from .conftest import ConnectorFactory

SKU = "SKU-000001"  # 10 in stock in the fixture sandbox


def test_a_held_order_is_withdrawn_and_never_released(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(BackorderPolicy())
    connector.push_orders([sales_order("SO-1", (SKU, 15))])

    result = connector.cancel_order("SO-1", "customer changed their mind")
    sb.warehouse.receive({SKU: 50})
    later = connector.receive_inventory_levels()

    assert [("SO-1#1", "withdrawn")] == [(o.reference, o.status) for o in result.outcomes]
    assert [] == connector.backorders()
    assert None is later.pushed


def test_a_partial_order_is_canceled_in_the_warehouse_and_its_remainder_withdrawn(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(
        BackorderPolicy(mode=BackorderMode.MANAGE_IN_OMS, allow_partial=True)
    )
    pushed = connector.push_orders([sales_order("SO-2", (SKU, 14))])
    sent = pushed.outcome_for("SO-2")
    assert sent is not None
    assert PushStatus.SENT_PARTIAL == sent.status

    result = connector.cancel_order("SO-2", "customer canceled")

    assert {("SO-2#2", "withdrawn"), ("SO-2-1", "canceled")} == {
        (o.reference, o.status) for o in result.outcomes
    }
    assert 2 == sb.warehouse.get_order(sent.remote_id or 0)[0]["readOnly"]["status"]
    assert [] == connector.backorders()
    assert {"withdrawn": 1, "canceled": 1, "already_canceled": 0, "refused": 0} == result.counts


def test_a_shipped_order_is_refused_with_the_warehouse_reason(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    pushed = connector.push_orders([sales_order("SO-3", (SKU, 2))])
    remote_id = pushed.outcomes[0].remote_id or 0
    sb.warehouse.ship_order(remote_id)

    result = connector.cancel_order("SO-3", "too late")

    assert ["refused"] == [o.status for o in result.outcomes]
    assert "OrderConfirmed" in result.outcomes[0].reason
    assert not result.ok
    assert 1 == sb.warehouse.get_order(remote_id)[0]["readOnly"]["status"]


def test_canceling_twice_is_harmless_and_a_canceled_order_is_not_pushed_again(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.push_orders([sales_order("SO-4", (SKU, 1))])

    first = connector.cancel_order("SO-4", "duplicate order")
    second = connector.cancel_order("SO-4", "duplicate order")
    again = connector.push_orders([sales_order("SO-4", (SKU, 1))])

    assert (["canceled"], ["already_canceled"]) == (
        [o.status for o in first.outcomes],
        [o.status for o in second.outcomes],
    )
    assert PushStatus.REJECTED == again.outcomes[0].status
    assert ["cancel_order", "cancel_order"] == [
        e.action for e in connector.journal.by_action("cancel_order")
    ]
