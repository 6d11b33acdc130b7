"""The pure pieces behind "no oversell" and "every name of an item takes the same stock"."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.backorder import BackorderMode, BackorderPolicy, allocate
from extensiv_connector.mapping import SkuMapping, SkuMappingEntry
from extensiv_connector.models import ItemIdentifier, Order, OrderItem, OrderLine, SalesOrder
from extensiv_connector.models.wms import OrderItemReadOnly, OrderReadOnly
from extensiv_connector.sync._inventory import promisable, unreserved_quantities
from extensiv_connector.sync._stock import allocation_inputs

SKUS = SkuMapping(
    entries=(
        SkuMappingEntry(host_sku="A", channel_sku="W-1", aliases=("UPC-A",)),
        SkuMappingEntry(host_sku="A-6PK", channel_sku="W-1", pack_factor=Decimal(6)),
        SkuMappingEntry(host_sku="A2", channel_sku="w-1"),
        SkuMappingEntry(host_sku="B", channel_sku="W-2"),
    )
)
NAMES = {
    "A": ("w-1", 1),
    "upc-a": ("w-1", 1),
    "a-6pk": ("w-1", 6),
    "A2": ("w-1", 1),
    "b": ("w-2", 1),
}

orders_st = st.lists(
    st.lists(
        st.tuples(st.sampled_from(sorted(NAMES)), st.integers(1, 9)),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],
    ),
    min_size=1,
    max_size=6,
)


def _orders(specs: list[list[tuple[str, int]]]) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=f"SO-{i}",
            ordered_at=datetime(2026, 1, 1, i % 24),
            lines=[OrderLine(sku=s, quantity=q) for s, q in lines],
        )
        for i, lines in enumerate(specs)
    ]


@given(
    specs=orders_st,
    stock=st.fixed_dictionaries({"w-1": st.integers(0, 40), "w-2": st.integers(0, 20)}),
    partial=st.booleans(),
)
def test_oms_allocation_never_takes_more_warehouse_units_than_promisable_and_packs_go_whole(
    specs: list[list[tuple[str, int]]], stock: dict[str, int], partial: bool
) -> None:
    orders = _orders(specs)
    policy = BackorderPolicy(mode=BackorderMode.MANAGE_IN_OMS, allow_partial=partial)
    available = {k: Decimal(v) for k, v in stock.items()}

    inputs = allocation_inputs(orders, available, policy, SKUS)
    result = allocate(orders, inputs.stock, inputs.policy)

    taken = {"w-1": Decimal(0), "w-2": Decimal(0)}
    for decision in result.decisions:
        for line, qty in zip(decision.order.lines, decision.line_quantities, strict=True):
            key, factor = NAMES[line.sku]
            taken[key] += qty * factor
            assert qty == qty.to_integral_value()
    assert all(taken[k] <= available[k] for k in taken), (taken, available)


def test_an_order_covered_through_an_alias_a_pack_and_a_second_host_sku_is_sent() -> None:
    [order] = _orders([[("upc-a", 2), ("a-6pk", 1), ("A2", 3)]])  # 2 + 6 + 3 = 11 of W-1
    policy = BackorderPolicy(mode=BackorderMode.MANAGE_IN_OMS)

    covered = allocate([order], *_inputs(order, policy, 11))
    short = allocate([order], *_inputs(order, policy, 10))

    assert ("send_full", "hold") == (
        covered.decisions[0].action.value,
        short.decisions[0].action.value,
    )


def _inputs(
    order: SalesOrder, policy: BackorderPolicy, w1: int
) -> tuple[dict[str, Decimal], BackorderPolicy]:
    inputs = allocation_inputs([order], {"w-1": Decimal(w1)}, policy, SKUS)
    return inputs.stock, inputs.policy


def _wh_order(
    reference: str, *lines: tuple[str, int, int | None, bool], closed: bool = False
) -> Order:
    return Order(
        reference_num=reference,
        read_only=OrderReadOnly(is_closed=closed),
        order_items=tuple(
            OrderItem(
                item_identifier=ItemIdentifier(sku=sku),
                qty=Decimal(qty),
                read_only=OrderItemReadOnly(
                    fully_allocated=full,
                    extra={} if allocated is None else {"allocations": [{"qty": allocated}]},
                ),
            )
            for sku, qty, allocated, full in lines
        ),
    )


def test_unreserved_is_what_our_open_orders_ask_for_minus_their_allocations() -> None:
    orders = [
        _wh_order("SO-1-1", ("W-1", 6, None, False), ("W-2", 4, 3, False)),
        _wh_order("SO-2-1", ("w-1", 5, 5, True)),  # fully allocated: reserved
        _wh_order("SO-3-1", ("W-1", 7, None, False), closed=True),  # shipped
        _wh_order("OTHER-1", ("W-1", 9, None, False)),  # not this channel's
    ]

    unreserved = unreserved_quantities(orders, {"SO-1-1", "SO-2-1", "SO-3-1"})

    assert {"w-1": Decimal(6), "w-2": Decimal(1)} == unreserved
    assert {"w-1": Decimal(4), "w-2": Decimal(0)} == promisable(
        {"w-1": Decimal(10), "w-2": Decimal(0)}, unreserved
    )
