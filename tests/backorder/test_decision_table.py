"""The decision table (``DECISION_TABLE``) is what ``decide`` does: checked by an independent
oracle over generated orders, stock and policies."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.backorder import (
    Action,
    BackorderMode,
    BackorderPolicy,
    PartialGranularity,
    decide,
)
from extensiv_connector.backorder._decide import DECISION_TABLE, Row, Stock
from extensiv_connector.models import SalesOrder
from extensiv_connector.testing.strategies import (
    backorder_policies,
    sales_orders,
    stock_snapshots,
)

ZERO = Decimal(0)


def stock_allows(order: SalesOrder, stock: Mapping[str, Decimal], policy: BackorderPolicy) -> Stock:
    """What stock allows for ``order`` (primary units, no kits), worked out line by line from
    the policy's own settings, independently of the library's code."""
    left = {
        sku: max(ZERO, have - policy.safety_buffer.get(sku, policy.default_safety_buffer))
        for sku, have in stock.items()
    }
    by_unit = policy.allow_partial and policy.partial_granularity is PartialGranularity.UNIT
    covered = True
    could_send = ZERO
    for line in order.lines:
        have = left.get(line.sku, ZERO)
        if have >= line.quantity:
            left[line.sku] = have - line.quantity
            could_send += line.quantity
            continue
        covered = False
        if by_unit:
            left[line.sku] = ZERO
            could_send += have
    ordered = sum((line.quantity for line in order.lines), ZERO)
    if covered:
        return Stock.COVERED
    if not policy.allow_partial:
        return Stock.SHORT
    if could_send == 0:
        return Stock.NOTHING
    if could_send < policy.minimum_partial_quantity:
        return Stock.TOO_FEW_UNITS
    if could_send < policy.minimum_partial_fraction * ordered:
        return Stock.TOO_SMALL_FRACTION
    return Stock.ENOUGH_FOR_PARTIAL


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
