"""The decision table (``DECISION_TABLE``) is what ``decide`` and ``allocate`` do: checked by
an independent oracle over generated orders, stock and policies, and the table's compiled form
(``_OUTCOMES``) against its rows."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.backorder import (
    Action,
    AllocationOrder,
    BackorderMode,
    BackorderPolicy,
    PartialGranularity,
    allocate,
    decide,
)
from extensiv_connector.backorder._decide import _BY_RULES, _OUTCOMES, DECISION_TABLE, Row, Stock
from extensiv_connector.models import SalesOrder
from extensiv_connector.testing.strategies import (
    allocation_batches,
    backorder_policies,
    sales_orders,
    stock_snapshots,
)

ZERO = Decimal(0)


class Settings(NamedTuple):
    """The settings that decide one order, read from the policy and its overrides here."""

    mode: BackorderMode
    allow_partial: bool
    by_unit: bool
    minimum_quantity: Decimal
    minimum_fraction: Decimal


def settings_for(order: SalesOrder, policy: BackorderPolicy) -> Settings:
    override = policy.customer_overrides.get(order.customer)

    def pick(name: str, own: object) -> Any:
        value = None if override is None else getattr(override, name)
        return own if value is None else value

    granularity = pick("partial_granularity", policy.partial_granularity)
    return Settings(
        mode=pick("mode", policy.mode),
        allow_partial=pick("allow_partial", policy.allow_partial),
        by_unit=granularity is PartialGranularity.UNIT,
        minimum_quantity=pick("minimum_partial_quantity", policy.minimum_partial_quantity),
        minimum_fraction=pick("minimum_partial_fraction", policy.minimum_partial_fraction),
    )


def usable_stock(stock: Mapping[str, Decimal], policy: BackorderPolicy) -> dict[str, Decimal]:
    return {
        sku: max(ZERO, have - policy.safety_buffer.get(sku, policy.default_safety_buffer))
        for sku, have in stock.items()
    }


def serve(
    order: SalesOrder, usable: Mapping[str, Decimal], rules: Settings
) -> tuple[Stock, dict[str, Decimal]]:
    """What stock allows for ``order`` (primary units, no kits) and what is left of
    ``usable`` if it is sent, worked out line by line independently of the library's code."""
    left = dict(usable)
    if rules.mode is BackorderMode.MANAGE_IN_CHANNEL:  # no stock check: every line goes
        for line in order.lines:
            left[line.sku] = left.get(line.sku, ZERO) - line.quantity
        return Stock.COVERED, left
    by_unit = rules.allow_partial and rules.by_unit
    covered = True
    could_send = ZERO
    for line in order.lines:
        have = left.get(line.sku, ZERO)
        if have >= line.quantity or line.quantity == 0:  # a zero line needs nothing
            left[line.sku] = have - line.quantity
            could_send += line.quantity
            continue
        covered = False
        if by_unit:  # all there is goes (none if channel orders took the SKU below zero)
            left[line.sku] = min(ZERO, have)
            could_send += max(ZERO, have)
    ordered = sum((line.quantity for line in order.lines), ZERO)
    if covered:
        return Stock.COVERED, left
    if not rules.allow_partial:
        return Stock.SHORT, left
    if could_send == 0:
        return Stock.NOTHING, left
    if could_send < rules.minimum_quantity:
        return Stock.TOO_FEW_UNITS, left
    if could_send < rules.minimum_fraction * ordered:
        return Stock.TOO_SMALL_FRACTION, left
    return Stock.ENOUGH_FOR_PARTIAL, left


def stock_allows(order: SalesOrder, stock: Mapping[str, Decimal], policy: BackorderPolicy) -> Stock:
    """What stock allows for ``order`` alone, in OMS mode."""
    rules = settings_for(order, policy)._replace(mode=BackorderMode.MANAGE_IN_OMS)
    return serve(order, usable_stock(stock, policy), rules)[0]


def served_order(orders: list[SalesOrder], policy: BackorderPolicy) -> list[int]:
    """Indexes of ``orders`` in the order they are served, as the policy documents it."""

    def key(index: int) -> tuple[Any, ...]:
        order = orders[index]
        oldest = (order.ordered_at, order.order_number, order.shipment_seq)
        if policy.allocation_order is AllocationOrder.PRIORITY_THEN_OLDEST:
            return (-order.priority, *oldest)
        return oldest

    return sorted(range(len(orders)), key=key)


def rows_for(mode: BackorderMode, allow_partial: bool, stock: Stock) -> list[Row]:
    return [
        row
        for row in DECISION_TABLE
        if row.mode in (None, mode)
        and row.allow_partial in (None, allow_partial)
        and row.stock in (None, stock)
    ]


# Small quantities against stock for every SKU, so that covered, short and each partial
# minimum's boundary all come up often.
@settings(max_examples=400, deadline=None)
@given(
    order=sales_orders(max_quantity=4),
    stock=stock_snapshots(max_quantity=6, allow_missing=False),
    policy=backorder_policies(),
)
def test_decide_does_what_the_one_matching_row_of_the_table_says(
    order: SalesOrder, stock: dict[str, Decimal], policy: BackorderPolicy
) -> None:
    rows = rows_for(policy.mode, policy.allow_partial, stock_allows(order, stock, policy))
    decision = decide(order, stock, policy)

    assert 1 == len(rows)
    assert (rows[0].action, rows[0].basis) == (decision.action, decision.basis)


# Batches where customer overrides change the rules from one order to the next, and earlier
# orders take stock from later ones: allocate decides each order by the table against what the
# orders served before it left.
@settings(max_examples=300, deadline=None)
@given(allocation_batches(customer_overrides=True, max_orders=10, max_stock=8))
def test_allocate_does_what_the_table_says_for_each_order_against_what_earlier_ones_left(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy],
) -> None:
    orders, stock, policy = batch
    result = allocate(orders, stock, policy)
    usable = usable_stock(stock, policy)
    sequence = served_order(orders, policy)
    assert tuple(sequence) == result.sequence
    for index in sequence:
        order = orders[index]
        rules = settings_for(order, policy)
        allows, left = serve(order, usable, rules)
        rows = rows_for(rules.mode, rules.allow_partial, allows)
        decision = result.decisions[index]

        assert 1 == len(rows)
        assert (rows[0].action, rows[0].basis) == (decision.action, decision.basis)
        if decision.sent:
            usable = left


@given(st.sampled_from(BackorderMode), st.booleans(), st.sampled_from(Stock))
def test_the_compiled_table_answers_as_the_one_matching_row(
    mode: BackorderMode, allow_partial: bool, stock: Stock
) -> None:
    rows = rows_for(mode, allow_partial, stock)
    expected = (rows[0].action, rows[0].basis) if rows else None
    assert expected == _OUTCOMES.get((mode is BackorderMode.MANAGE_IN_OMS, allow_partial, stock))


@pytest.mark.parametrize("mode", list(BackorderMode))
@pytest.mark.parametrize("allow_partial", [False, True])
def test_the_outcomes_read_once_per_rules_are_the_tables(
    mode: BackorderMode, allow_partial: bool
) -> None:
    covered, short = _BY_RULES[mode is BackorderMode.MANAGE_IN_OMS][allow_partial]
    [covered_row] = rows_for(mode, allow_partial, Stock.COVERED)
    short_rows = [] if allow_partial else rows_for(mode, allow_partial, Stock.SHORT)

    assert (covered_row.action, covered_row.basis) == covered
    assert [(row.action, row.basis) for row in short_rows] == ([] if short is None else [short])


@given(st.sampled_from(BackorderMode), st.booleans(), st.sampled_from(Stock))
def test_no_two_rows_of_the_table_match_the_same_case(
    mode: BackorderMode, allow_partial: bool, stock: Stock
) -> None:
    assert len(rows_for(mode, allow_partial, stock)) <= 1


def test_the_table_holds_an_order_exactly_when_stock_is_short_in_oms_mode() -> None:
    held = {(row.mode, row.stock) for row in DECISION_TABLE if row.action is Action.HOLD}
    sent_in_full = {row.basis for row in DECISION_TABLE if row.action is Action.SEND_FULL}

    assert {BackorderMode.MANAGE_IN_OMS} == {mode for mode, _ in held}
    assert Stock.COVERED not in {stock for _, stock in held}
    assert {"channel", "covered"} == sent_in_full
