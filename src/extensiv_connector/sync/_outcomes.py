"""Pure helpers of the push flows: keys, remainders, and outcomes from ledger results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs

from ..backorder import Decision
from ..errors import ExtensivError, ValidationError
from ..models import SalesOrder
from ._push_engine import CreateOutcome
from ._records import LedgerState
from ._results import PushOutcome, PushStatus

__all__ = [
    "keys_in_order",
    "line_key",
    "order_key",
    "outcome_from_create",
    "reason_of",
    "rejected",
    "remainder_after",
    "remainder_from_sent",
]

_ZERO = Decimal(0)


def order_key(order: SalesOrder) -> str:
    """One shipment of an order: the backorder-queue key and the batch de-duplication key."""
    return f"{order.order_number}#{order.shipment_seq}"


def line_key(order: SalesOrder, index: int) -> str:
    """How the ledger names a line in ``sent_lines``."""
    line = order.lines[index]
    return line.line_reference or f"{index}:{line.sku}"


def keys_in_order(orders: Sequence[SalesOrder], outcomes: Mapping[str, PushOutcome]) -> list[str]:
    """Outcome keys in input order, then the re-evaluated backorders in queue order."""
    first = list(dict.fromkeys(k for k in map(order_key, orders) if k in outcomes))
    known = set(first)
    return first + [k for k in outcomes if k not in known]


def _with_lines(order: SalesOrder, left: Sequence[Decimal]) -> SalesOrder | None:
    """The next shipment of ``order`` carrying ``left`` per line (``None`` if nothing is left)."""
    if not any(q > _ZERO for q in left):
        return None
    lines = tuple(
        attrs.evolve(line, quantity=qty)
        for line, qty in zip(order.lines, left, strict=True)
        if qty > _ZERO
    )
    return attrs.evolve(order, lines=lines, shipment_seq=order.shipment_seq + 1)


def remainder_after(order: SalesOrder, decision: Decision) -> SalesOrder | None:
    """What a partial shipment leaves backordered, as the order's next shipment."""
    return _with_lines(order, decision.backordered)


def remainder_from_sent(order: SalesOrder, sent_lines: Mapping[str, Decimal]) -> SalesOrder | None:
    """The same, rebuilt from what the ledger says went out (crash recovery)."""
    if not sent_lines:
        return None
    left = [
        max(line.quantity - sent_lines.get(line_key(order, i), _ZERO), _ZERO)
        for i, line in enumerate(order.lines)
    ]
    return _with_lines(order, left)


def outcome_from_create(
    name: str, result: CreateOutcome, quantities: tuple[Decimal, ...]
) -> PushOutcome:
    """A push outcome for one record from what the push engine recorded."""
    if result.state is LedgerState.SENT:
        status = PushStatus.ALREADY_PRESENT if result.adopted else PushStatus.SENT_FULL
        reason = "found in the warehouse by reference; adopted" if result.adopted else result.reason
    elif result.state is LedgerState.REJECTED:
        status, reason = PushStatus.REJECTED, result.reason
    else:
        status, reason = PushStatus.FAILED, result.reason
    return PushOutcome(
        order_number=name,
        status=status,
        reference=result.reference,
        remote_id=result.remote_id,
        reason=reason,
        reasons=(reason,) if reason else (),
        line_quantities=quantities,
    )


def rejected(name: str, reference: str, exc: ValidationError) -> PushOutcome:
    """A record refused before sending, with every error violation as a reason."""
    reasons = tuple(str(v) for v in exc.violations if v.severity == "error") or (str(exc),)
    return PushOutcome(
        order_number=name,
        status=PushStatus.REJECTED,
        reference=reference,
        reason="; ".join(reasons),
        reasons=reasons,
    )


def reason_of(exc: ExtensivError) -> str:
    """One short line for journals and outcomes (library messages carry no secrets)."""
    return str(exc).splitlines()[0][:300]
