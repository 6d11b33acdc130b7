"""Properties of decide/allocate/reevaluate, proved over generated batches."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.backorder import (
    Action,
    Allocation,
    BackorderMode,
    BackorderPolicy,
    Decision,
    allocate,
    decide,
    reevaluate,
)
from extensiv_connector.models import SalesOrder
from extensiv_connector.testing.strategies import (
    allocation_batches,
    backorder_policies,
    sales_orders,
    stock_snapshots,
)

ZERO = Decimal(0)
PROPERTY = settings(max_examples=120, deadline=None)
OMS_ONLY = (BackorderMode.MANAGE_IN_OMS,)


def _usable(stock: Mapping[str, Decimal], policy: BackorderPolicy, sku: str) -> Decimal:
    buffer = policy.safety_buffer.get(sku, policy.default_safety_buffer)
    return max(ZERO, stock.get(sku, ZERO) - buffer)


def _demand(order: SalesOrder, policy: BackorderPolicy) -> dict[str, Decimal]:
    """Primary units of stocked SKUs a full shipment takes: an oracle independent of the core."""
    demand: dict[str, Decimal] = {}
    for line in order.lines:
        factor = policy.unit_factors.get(line.sku, {}).get(line.unit, Decimal(1))
        need = line.quantity * factor
        parts = policy.kits.get(line.sku, {line.sku: Decimal(1)})
        for sku, per in parts.items():
            demand[sku] = demand.get(sku, ZERO) + need * per
    return demand


@PROPERTY
@given(allocation_batches(modes=OMS_ONLY, units=True, kits=True, max_orders=10))
def test_oms_mode_never_allocates_beyond_available_stock_per_sku(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy],
) -> None:
    orders, stock, policy = batch
    result = allocate(orders, stock, policy)
    for sku, taken in result.allocated.items():
        assert taken <= _usable(stock, policy, sku), sku


@PROPERTY
@given(
    sales_orders(),
    stock_snapshots(),
    backorder_policies(modes=OMS_ONLY),
)
def test_send_full_exactly_when_stock_covers_every_line(
    order: SalesOrder, stock: dict[str, Decimal], policy: BackorderPolicy
) -> None:
    decision = decide(order, stock, policy)
    covered = all(
        need <= _usable(stock, policy, sku) for sku, need in _demand(order, policy).items()
    )
    assert covered == (decision.action is Action.SEND_FULL)
    assert covered == all(short == ZERO for short in decision.shortages)


@PROPERTY
@given(allocation_batches(units=True, kits=True, customer_overrides=True))
def test_quantities_stay_within_ordered_and_partials_send_something(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy],
) -> None:
    orders, stock, policy = batch
    for decision in allocate(orders, stock, policy).decisions:
        ordered = tuple(line.quantity for line in decision.order.lines)
        assert len(ordered) == len(decision.line_quantities) == len(decision.shortages)
        assert all(ZERO <= q <= o for q, o in zip(decision.line_quantities, ordered, strict=True))
        if decision.action is Action.SEND_FULL:
            assert ordered == decision.line_quantities
        elif decision.action is Action.SEND_PARTIAL:
            assert decision.total_quantity > ZERO
            assert ordered != decision.line_quantities
            if decision.rules.by_line:
                assert all(
                    q in (ZERO, o) for q, o in zip(decision.line_quantities, ordered, strict=True)
                )
        else:
            assert decision.total_quantity == ZERO
            assert decision.consumed == {}


@PROPERTY
@given(allocation_batches(modes=(BackorderMode.MANAGE_IN_CHANNEL,), units=True, kits=True))
def test_channel_mode_always_sends_in_full(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy],
) -> None:
    orders, stock, policy = batch
    for decision in allocate(orders, stock, policy).decisions:
        assert Action.SEND_FULL == decision.action
        assert tuple(line.quantity for line in decision.order.lines) == decision.line_quantities


@PROPERTY
@given(allocation_batches(units=True, kits=True, customer_overrides=True))
def test_stock_is_conserved(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy],
) -> None:
    orders, stock, policy = batch
    result = allocate(orders, stock, policy)
    consumed: dict[str, Decimal] = {}
    for decision in result.decisions:
        for sku, amount in decision.consumed.items():
            consumed[sku] = consumed.get(sku, ZERO) + amount
    skus = set(stock) | set(result.remaining) | set(result.allocated)
    for sku in skus:
        allocated = result.allocated.get(sku, ZERO)
        assert stock.get(sku, ZERO) == allocated + result.remaining.get(sku, ZERO), sku
        assert consumed.get(sku, ZERO) == allocated, sku


def _outcome(result: Allocation) -> dict[str, tuple[Action, tuple[Decimal, ...]]]:
    return {d.order_number: (d.action, d.line_quantities) for d in result.decisions}


@PROPERTY
@given(
    allocation_batches(units=True, kits=True, customer_overrides=True, min_orders=2), st.randoms()
)
def test_result_does_not_depend_on_input_order(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy], rng: random.Random
) -> None:
    orders, stock, policy = batch
    shuffled = list(orders)
    rng.shuffle(shuffled)
    first, second = allocate(orders, stock, policy), allocate(shuffled, stock, policy)
    assert _outcome(first) == _outcome(second)
    assert first.remaining == second.remaining
    assert [o.order_number for o in orders] == [d.order_number for d in first.decisions]


@PROPERTY
@given(allocation_batches(units=True, kits=True, min_orders=1), st.data())
def test_older_order_of_equal_priority_is_never_worse_off_than_a_newer_twin(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy], data: st.DataObject
) -> None:
    orders, stock, policy = batch
    older = data.draw(st.sampled_from(orders))
    newer = attrs.evolve(
        older,
        order_number=older.order_number + "-TWIN",
        ordered_at=older.ordered_at + timedelta(minutes=data.draw(st.integers(1, 10))),
    )
    position = data.draw(st.integers(0, len(orders)))
    result = allocate([*orders[:position], newer, *orders[position:]], stock, policy)
    old, new = result.decision_for(older.order_number), result.decision_for(newer.order_number)
    assert old.total_quantity >= new.total_quantity
    if new.action is Action.SEND_FULL:
        assert Action.SEND_FULL == old.action
    if new.sent:
        assert old.sent


def _already_sent(decision: Decision) -> tuple[Decimal, ...]:
    return decision.line_quantities


@PROPERTY
@given(
    allocation_batches(modes=OMS_ONLY, units=True, kits=True),
    st.dictionaries(st.sampled_from(("SKU-A", "SKU-B", "SKU-C", "SKU-D")), st.integers(0, 30)),
)
def test_reevaluation_never_takes_back_what_was_sent(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy],
    arrivals: dict[str, int],
) -> None:
    orders, stock, policy = batch
    first = allocate(orders, stock, policy)
    backordered = [d.order for d in first.decisions if d.action is not Action.SEND_FULL]
    sent = {d.order_number: _already_sent(d) for d in first.decisions if d.sent}
    replenished = dict(first.remaining)
    for sku, extra in arrivals.items():
        replenished[sku] = replenished.get(sku, ZERO) + extra
    second = reevaluate(backordered, replenished, policy, already_sent=sent)
    assert [o.order_number for o in backordered] == [d.order_number for d in second.decisions]
    for original, decision in zip(backordered, second.decisions, strict=True):
        before = sent.get(original.order_number, (ZERO,) * len(original.lines))
        for line, earlier, now in zip(
            original.lines, before, decision.line_quantities, strict=True
        ):
            assert now >= ZERO
            assert earlier + now <= line.quantity
        if not policy.allow_partial and not policy.customer_overrides:
            assert decision.action in (Action.SEND_FULL, Action.HOLD)


def test_batch_strategy_draws_unique_order_numbers() -> None:
    @settings(max_examples=30, deadline=None)
    @given(allocation_batches(max_orders=12))
    def check(batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy]) -> None:
        numbers = [o.order_number for o in batch[0]]
        assert len(set(numbers)) == len(numbers)

    check()
