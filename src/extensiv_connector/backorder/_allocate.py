"""A batch of orders competing for one stock snapshot, and re-evaluation when stock rises."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import attrs

from ..errors import ValidationError, Violation
from ..models import SalesOrder
from ._decide import Action, Decision, evaluate
from ._policy import AllocationOrder, BackorderPolicy

__all__ = ["Allocation", "allocate", "reevaluate"]

_ZERO = Decimal(0)


@attrs.frozen(kw_only=True)
class Allocation:
    """The outcome of ``allocate``/``reevaluate``.

    ``decisions`` holds one ``Decision`` per order, in the order the orders were given.
    ``sequence`` holds the indexes of those orders in the order they were served (who got stock
    first). ``allocated`` is the stock taken per SKU and ``remaining`` what is left of the
    snapshot: for every SKU ``allocated + remaining == initial`` (SKUs missing from the snapshot
    count as 0). ``remaining`` goes negative only when channel-managed orders take more than
    the snapshot holds: the warehouse will handle that shortage.
    """

    decisions: tuple[Decision, ...]
    remaining: dict[str, Decimal] = attrs.field(repr=False)
    allocated: dict[str, Decimal] = attrs.field(repr=False)
    sequence: tuple[int, ...] = attrs.field(repr=False)

    @property
    def sent(self) -> tuple[Decision, ...]:
        """Decisions that send something (full or partial), in input order."""
        return tuple(d for d in self.decisions if d.action is not Action.HOLD)

    @property
    def full(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.action is Action.SEND_FULL)

    @property
    def partial(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.action is Action.SEND_PARTIAL)

    @property
    def held(self) -> tuple[Decision, ...]:
        """Decisions that hold the order as backordered, in input order."""
        return tuple(d for d in self.decisions if d.action is Action.HOLD)

    def decision_for(self, order_number: str, shipment_seq: int | None = None) -> Decision:
        """The decision for an order (the first one if the number repeats); ``KeyError`` if
        the order was not in the batch."""
        for decision in self.decisions:
            if decision.order.order_number == order_number and (
                shipment_seq is None or decision.order.shipment_seq == shipment_seq
            ):
                return decision
        raise KeyError(order_number)

    def summary(self) -> dict[str, int]:
        """Counts per action, e.g. ``{"send_full": 8, "send_partial": 1, "hold": 3}``."""
        counts = {action.value: 0 for action in Action}
        for decision in self.decisions:
            counts[decision.action.value] += 1
        return counts

    def as_rows(self) -> list[dict[str, object]]:
        """One plain dict per order (``Decision.as_dict``), ready for a data frame."""
        return [decision.as_dict() for decision in self.decisions]


def _ranking(orders: Sequence[SalesOrder], policy: BackorderPolicy) -> list[int]:
    if policy.allocation_order is AllocationOrder.PRIORITY_THEN_OLDEST:
        keys: list[tuple[object, ...]] = [
            (-o.priority, o.ordered_at, o.order_number, o.shipment_seq) for o in orders
        ]
    else:
        keys = [(o.ordered_at, o.order_number, o.shipment_seq) for o in orders]
    try:
        return sorted(range(len(orders)), key=keys.__getitem__)
    except TypeError:
        raise ValidationError(
            [Violation("ordered_at", "mixes timezone-aware and naive timestamps", rule="order")],
            subject="allocation batch",
        ) from None


def allocate(
    orders: Iterable[SalesOrder],
    stock: Mapping[str, Decimal],
    policy: BackorderPolicy | None = None,
) -> Allocation:
    """Serve a batch of orders from one stock snapshot (SKU -> available, primary units).

    Orders are served oldest first (``ordered_at``, then ``order_number``, then
    ``shipment_seq``), or by priority tiers first (higher ``priority`` is more urgent) with
    ``AllocationOrder.PRIORITY_THEN_OLDEST``. Each order is decided as by ``decide`` against
    what earlier orders left. Pure: neither ``orders`` nor ``stock`` is changed.
    """
    policy = policy or BackorderPolicy()
    batch = orders if isinstance(orders, tuple) else tuple(orders)
    compiled = policy._compiled
    buffers = compiled.buffers
    default_buffer = compiled.default_buffer
    usable: dict[str, Decimal] = {}
    for sku, available in stock.items():
        have = available - buffers.get(sku, default_buffer)
        usable[sku] = have if have > _ZERO else _ZERO
    initial_usable = dict(usable)
    plain = not compiled.customer_rules and not compiled.order_overrides
    rules_for = None if plain else compiled.rules_for
    sequence = _ranking(batch, policy)
    decisions = evaluate(batch, sequence, compiled.base, rules_for, compiled.lines, usable)
    allocated: dict[str, Decimal] = {}
    for sku, left in usable.items():
        before = initial_usable.get(sku, _ZERO)
        if left is not before:  # untouched SKUs keep their object: no arithmetic for them
            taken = before - left
            if taken:
                allocated[sku] = taken
    remaining = dict(stock)
    for sku, taken in allocated.items():
        remaining[sku] = remaining.get(sku, _ZERO) - taken
    return Allocation(
        decisions=tuple(decisions),  # type: ignore[arg-type] # every slot was filled
        remaining=remaining,
        allocated=allocated,
        sequence=tuple(sequence),
    )


def _remainder(order: SalesOrder, sent: Sequence[Decimal]) -> SalesOrder:
    subject = f"order {order.order_number}"
    if len(sent) != len(order.lines):
        raise ValidationError(
            [
                Violation(
                    "already_sent",
                    f"has {len(sent)} quantities for {len(order.lines)} line(s)",
                    rule="reevaluate",
                )
            ],
            subject=subject,
        )
    lines = []
    for index, (line, done) in enumerate(zip(order.lines, sent, strict=True)):
        if not _ZERO <= done <= line.quantity:
            raise ValidationError(
                [
                    Violation(
                        f"already_sent[{index}]",
                        f"{done} is outside 0..{line.quantity} (the ordered quantity)",
                        rule="reevaluate",
                    )
                ],
                subject=subject,
            )
        lines.append(attrs.evolve(line, quantity=line.quantity - done) if done else line)
    return attrs.evolve(order, lines=tuple(lines))


def reevaluate(
    backordered: Iterable[SalesOrder],
    stock: Mapping[str, Decimal],
    policy: BackorderPolicy | None = None,
    *,
    already_sent: Mapping[str, Sequence[Decimal]] | None = None,
) -> Allocation:
    """Re-decide backordered orders after stock rose (e.g. a receipt or a positive adjustment).

    ``already_sent`` maps an order number to what earlier partial shipments sent per line
    (aligned with its lines, in the ordered unit). Only the remainder of such an order is
    considered, so nothing already sent is ever taken back: each decision's ``order`` is the
    remainder (same lines, reduced quantities) and its ``line_quantities`` add to what was
    sent. Orders are served as by ``allocate`` (oldest first by default); without partial
    shipments an order goes only if stock now covers all of its remainder, otherwise it stays
    held. An order whose remainder is zero gets ``SEND_FULL`` with zero quantities: skip it.
    """
    sent = already_sent or {}
    orders = [
        _remainder(order, sent[order.order_number]) if order.order_number in sent else order
        for order in backordered
    ]
    return allocate(tuple(orders), stock, policy)
