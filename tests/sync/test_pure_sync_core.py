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


def units_left_on_the_shelf(available: int, *set_aside: int) -> int:
    """An independent model: take units off a shelf one at a time for each claim, stopping when
    the shelf is empty, and count what is left."""
    shelf = ["unit"] * available
    for claim in set_aside:
        for _ in range(claim):
            if shelf:
                shelf.pop()
    return len(shelf)


def test_available_to_promise_examples_worked_by_hand() -> None:
    available = {"A": Decimal(10), "B": Decimal(4), "C": Decimal(2), "D": Decimal(0)}
    in_flight = {"A": Decimal(3), "C": Decimal(5), "E": Decimal(7)}
    buffers = {"A": Decimal(2)}

    atp = available_to_promise(available, in_flight, buffers, Decimal(1))

    # A: 10 - 3 in flight - 2 own buffer; B: 4 - default buffer 1; C and D: short, so zero.
    # E is in flight but the warehouse does not report it: nothing to promise, no entry.
    assert {"A": Decimal(5), "B": Decimal(3), "C": Decimal(0), "D": Decimal(0)} == atp


@given(available=levels, in_flight=levels, buffers=levels, default=quantities)
def test_available_to_promise_is_what_is_left_after_setting_aside_in_flight_and_buffer(
    available: dict[str, Decimal],
    in_flight: dict[str, Decimal],
    buffers: dict[str, Decimal],
    default: Decimal,
) -> None:
    atp = available_to_promise(available, in_flight, buffers, default)

    expected = {
        sku: Decimal(
            units_left_on_the_shelf(
                int(qty), int(in_flight.get(sku, 0)), int(buffers.get(sku, default))
            )
        )
        for sku, qty in available.items()
    }
    assert expected == atp


@given(available=levels, in_flight=levels, more=levels, buffers=levels, default=quantities)
def test_more_in_flight_never_promises_more(
    available: dict[str, Decimal],
    in_flight: dict[str, Decimal],
    more: dict[str, Decimal],
    buffers: dict[str, Decimal],
    default: Decimal,
) -> None:
    bigger = {sku: in_flight.get(sku, Decimal(0)) + more.get(sku, Decimal(0)) for sku in SKUS}

    before = available_to_promise(available, in_flight, buffers, default)
    after = available_to_promise(available, bigger, buffers, default)

    assert [] == [sku for sku in before if after[sku] > before[sku]]


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
