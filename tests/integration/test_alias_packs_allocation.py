"""Review finding: stock is checked per warehouse SKU after alias resolution (issue 12)."""

from __future__ import annotations

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import PushStatus

from ..factories import sales_order
from .conftest import ConnectorFactory


def test_an_order_for_two_aliases_of_one_item_within_stock_is_sent_not_held(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    sb.warehouse.add_item("LOT-1", "lot tracked")
    sb.warehouse.receive_lines([{"sku": "LOT-1", "qty": 8, "lotNumber": "A"}])
    sb.warehouse.add_alias("HOST-LOT", "LOT-1")
    sb.warehouse.add_alias("HOST-LOT-PACK", "LOT-1", qty=2)
    connector = make_connector()
    connector.seed_sku_aliases()

    pushed = connector.push_orders([sales_order("SO-PACK", ("HOST-LOT", 4), ("HOST-LOT-PACK", 1))])

    [outcome] = pushed.outcomes
    assert PushStatus.SENT_FULL == outcome.status, outcome.reason
