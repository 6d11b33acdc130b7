"""receive_inventory_levels and synchronize_inventory: available-to-promise for the host."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from extensiv_connector.backorder import BackorderMode
from extensiv_connector.models import InventoryLevel
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import PushStatus

from ..factories import sales_order
from .conftest import ConnectorFactory, config_with


@pytest.fixture
def lazy_sb() -> Iterator[Sandbox]:
    """A warehouse that allocates only when told: sent orders stay unallocated."""
    with Sandbox(
        catalog_size=4, initial_stock=10, options=WarehouseOptions(allocation="none")
    ) as sb:
        yield sb


def _channel_config(sb: Sandbox, **sync: object) -> object:
    return config_with(
        sb,
        backorder={
            "mode": "manage_in_channel",
            "default_safety_buffer": 1,
            "safety_buffer": {"SKU-000003": 2},
        },
        sync=dict(sync),
    )


def test_receive_inventory_levels_hands_every_sku_to_the_handler(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    sb.warehouse.adjust_stock("SKU-000002", -3)
    got: list[InventoryLevel] = []

    result = make_connector().receive_inventory_levels(handler=got.append)

    assert list(result.records) == got
    available = {level.sku: level.available for level in got}
    assert 6 == len(available)
    assert (Decimal(10), Decimal(7)) == (available["SKU-000001"], available["SKU-000002"])
    assert None is result.pushed  # nothing was held


def test_atp_subtracts_sent_unallocated_quantities_and_the_buffer(
    lazy_sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(config=_channel_config(lazy_sb))
    pushed = connector.push_orders(
        [
            sales_order("SO-1", ("SKU-000001", 4)),
            sales_order("SO-2", ("SKU-000003", 3)),
            sales_order("SO-3", ("SKU-000004", 25)),  # more than the warehouse has
        ]
    )
    assert {PushStatus.SENT_FULL} == {o.status for o in pushed.outcomes}
    allocated = pushed.outcome_for("SO-1")
    assert allocated is not None
    assert allocated.remote_id is not None
    assert lazy_sb.warehouse.allocate_order(allocated.remote_id)  # the warehouse took SO-1

    result = connector.synchronize_inventory({"SKU-000001": 0, "SKU-000002": 9})

    atp = {c.sku: c.available_to_promise for c in result.changes}
    assert {
        "SKU-000001": Decimal(10 - 4 - 1),  # allocated: already out of "available"
        "SKU-000002": Decimal(10 - 1),
        "SKU-000003": Decimal(10 - 3 - 2),  # in flight 3, own buffer 2
        "SKU-000004": Decimal(0),  # 10 - 25 - 1: never below zero
    } == atp
    assert "absolute" == result.mode


def test_delta_mode_reports_what_to_add_to_the_hosts_levels(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    config = config_with(sb, sync={"inventory_mode": "delta"})
    connector = make_connector(config=config)

    result = connector.synchronize_inventory({"SKU-000001": 12, "SKU-000002": 10, "GONE": 4})

    deltas = {c.sku: c.delta for c in result.changes}
    assert "delta" == result.mode
    assert Decimal(-2) == deltas["SKU-000001"]
    assert Decimal(0) == deltas["SKU-000002"]
    assert Decimal(10) == deltas["SKU-000003"]  # unknown to the host: all of it
    assert Decimal(-4) == deltas["GONE"]  # the warehouse does not stock it: promise none
    assert 7 == len(result.changes)  # six warehouse SKUs and the host's own
    assert 6 == result.counts["changed"]


def test_held_orders_do_not_count_as_in_flight(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    assert BackorderMode.MANAGE_IN_OMS == connector.config.backorder.mode
    held = connector.push_orders([sales_order("SO-1", ("SKU-000001", 50))])
    assert PushStatus.HELD == held.outcomes[0].status

    result = connector.synchronize_inventory({})

    assert Decimal(10) == next(
        c.available_to_promise for c in result.changes if c.sku == "SKU-000001"
    )
