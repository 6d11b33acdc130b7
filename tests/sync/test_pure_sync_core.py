"""Properties of the connector's pure pieces: available to promise and shipment remainders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.backorder import BackorderPolicy, allocate
from extensiv_connector.models import OrderLine, SalesOrder
from extensiv_connector.sync import available_to_promise, level_changes
from extensiv_connector.sync._outcomes import line_key, remainder_after, remainder_from_sent

SKUS = ("A", "B", "C", "D")
quantities = st.integers(min_value=0, max_value=50).map(Decimal)
levels = st.dictionaries(st.sampled_from(SKUS), quantities)


@given(available=levels, in_flight=levels, buffers=levels, default=quantities)
def test_available_to_promise_is_available_minus_in_flight_minus_buffer_never_negative(
    available: dict[str, Decimal],
    in_flight: dict[str, Decimal],
    buffers: dict[str, Decimal],
    default: Decimal,
) -> None:
    atp = available_to_promise(available, in_flight, buffers, default)

    expected = {
        sku: max(Decimal(0), qty - in_flight.get(sku, Decimal(0)) - buffers.get(sku, default))
        for sku, qty in available.items()
    }
    assert expected == atp


@given(atp=levels, host=levels)
def test_level_changes_cover_every_sku_and_deltas_add_up_to_the_promise(
    atp: dict[str, Decimal], host: dict[str, Decimal]
) -> None:
    changes = level_changes(atp, host)

    assert sorted(set(atp) | set(host)) == [c.sku for c in changes]
    for change in changes:
        assert atp.get(change.sku, Decimal(0)) == change.available_to_promise
        assert change.available_to_promise == host.get(change.sku, Decimal(0)) + change.delta


orders = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(min_value=1, max_value=20)),
    min_size=1,
    max_size=4,
).map(
    lambda lines: SalesOrder(
        order_number="SO-1",
        lines=[
            OrderLine(sku=sku, quantity=qty, line_reference=str(i))
            for i, (sku, qty) in enumerate(lines)
        ],
        ordered_at=datetime(2026, 1, 1),
    )
)


@given(order=orders, stock=levels)
def test_a_partial_shipment_and_its_remainder_add_up_to_the_order(
    order: SalesOrder, stock: dict[str, Decimal]
) -> None:
    policy = BackorderPolicy(allow_partial=True)
    decision = allocate([order], stock, policy).decisions[0]

    remainder = remainder_after(order, decision)
    rebuilt = remainder_from_sent(
        order, {line_key(order, i): q for i, q in enumerate(decision.line_quantities)}
    )

    left = {ln.line_reference: ln.quantity for ln in remainder.lines} if remainder else {}
    for i, line in enumerate(order.lines):
        assert line.quantity == decision.line_quantities[i] + left.get(line.line_reference, 0)
    assert remainder == rebuilt
    if remainder is not None:
        assert order.shipment_seq + 1 == remainder.shipment_seq
