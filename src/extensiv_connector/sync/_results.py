"""Typed results of the connector's actions: one outcome per record, counts, errors."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, NamedTuple, TypeVar

import attrs

from ..models import InventoryLevel

__all__ = [
    "ActionResult",
    "CancelOutcome",
    "CancelResult",
    "CheckResult",
    "CheckStep",
    "InventorySyncResult",
    "LevelChange",
    "ProductOutcome",
    "ProductResult",
    "PullResult",
    "PushOutcome",
    "PushResult",
    "PushStatus",
]

T = TypeVar("T")


class PushStatus(enum.Enum):
    """What happened to one pushed record."""

    SENT_FULL = "sent_full"
    SENT_PARTIAL = "sent_partial"
    HELD = "held"  # backordered: nothing sent, kept for re-evaluation
    REJECTED = "rejected"  # validation, mapping or API refusal; reasons say which
    ALREADY_PRESENT = "already_present"  # the warehouse already has it: adopted, not re-sent
    FAILED = "failed"  # transient trouble; the ledger keeps it for the next run


@attrs.frozen(kw_only=True)
class PushOutcome:
    """One order (or receipt) of a push: its reference, status, remote id and why."""

    order_number: str
    status: PushStatus
    reference: str = ""
    remote_id: int | None = None
    reason: str = ""
    reasons: tuple[str, ...] = ()
    line_quantities: tuple[Decimal, ...] = ()
    warnings: tuple[str, ...] = ()

    def as_row(self) -> dict[str, Any]:
        return {
            "order_number": self.order_number,
            "status": self.status.value,
            "reference": self.reference,
            "remote_id": self.remote_id,
            "reason": self.reason,
            "quantities": ";".join(str(q) for q in self.line_quantities),
        }


@attrs.frozen(kw_only=True)
class ActionResult:
    """Common fields: which action, when, how long, and what went wrong."""

    action: str
    started_at: datetime
    duration_seconds: float
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@attrs.frozen(kw_only=True)
class PushResult(ActionResult):
    outcomes: tuple[PushOutcome, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(o.status.value for o in self.outcomes)
        return {status.value: counter.get(status.value, 0) for status in PushStatus}

    def by_status(self, status: PushStatus) -> tuple[PushOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is status)

    def outcome_for(self, order_number: str) -> PushOutcome | None:
        return next((o for o in self.outcomes if o.order_number == order_number), None)

    def as_rows(self) -> list[dict[str, Any]]:
        return [o.as_row() for o in self.outcomes]


def _nothing_to_ack() -> int:
    return 0


@attrs.frozen(kw_only=True)
class PullResult(ActionResult, Generic[T]):
    """Records handed to the host, in warehouse order. ``skipped`` were already delivered.

    Pulled without a handler, the records are **not yet acknowledged**: call :meth:`ack` once
    they are safely used or stored, and the next pull moves on; otherwise it returns them again
    (at least once). With a handler they were acknowledged as each handler call returned, and
    ``ack()`` does nothing. ``received`` counts records even when they were not kept.
    """

    records: tuple[T, ...] = ()
    skipped: int = 0
    rejected: tuple[str, ...] = ()
    pushed: PushResult | None = None  # backorders released by this pull, if any
    received: int | None = None  # None: len(records)
    _acknowledge: Callable[[], int] = attrs.field(
        default=_nothing_to_ack, eq=False, repr=False, alias="acknowledge"
    )

    def ack(self) -> int:
        """Acknowledge every record of this result; returns how many acknowledgements this
        call wrote (0 when called again). A late ``ack()`` never moves the cursor backwards."""
        return self._acknowledge()

    @property
    def counts(self) -> dict[str, int]:
        return {
            "received": len(self.records) if self.received is None else self.received,
            "skipped": self.skipped,
            "rejected": len(self.rejected),
        }


@attrs.frozen(kw_only=True)
class CancelOutcome:
    """One shipment of a withdrawn order.

    ``status``: ``withdrawn`` (was held, never sent: dropped from the backorder queue),
    ``canceled`` (canceled in the warehouse), ``already_canceled``, or ``refused`` (the warehouse
    would not cancel it, e.g. it already shipped; ``reason`` says why).
    """

    reference: str
    status: str
    remote_id: int | None = None
    reason: str = ""


@attrs.frozen(kw_only=True)
class CancelResult(ActionResult):
    order_number: str = ""
    outcomes: tuple[CancelOutcome, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(o.status for o in self.outcomes)
        statuses = ("withdrawn", "canceled", "already_canceled", "refused")
        return {s: counter.get(s, 0) for s in statuses}


@attrs.frozen(kw_only=True)
class ProductOutcome:
    """One exported product: ``created``, ``updated``, ``unchanged`` or ``rejected``."""

    sku: str
    status: str
    item_id: int | None = None
    reason: str = ""


@attrs.frozen(kw_only=True)
class ProductResult(ActionResult):
    outcomes: tuple[ProductOutcome, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(o.status for o in self.outcomes)
        return {s: counter.get(s, 0) for s in ("created", "updated", "unchanged", "rejected")}


@attrs.frozen(kw_only=True)
class LevelChange:
    """What the host should set (absolute) or add (delta) for one SKU."""

    sku: str
    available_to_promise: Decimal
    host_level: Decimal | None
    delta: Decimal


@attrs.frozen(kw_only=True)
class InventorySyncResult(ActionResult):
    mode: str = "absolute"
    changes: tuple[LevelChange, ...] = ()
    levels: tuple[InventoryLevel, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {
            "skus": len(self.changes),
            "changed": sum(1 for c in self.changes if c.delta != 0),
        }


@attrs.frozen
class MappingFinding:
    """A mapping row the warehouse cannot honour: ``path`` is the row's setting
    (``carrier_mappings.entries[2]``), ``kind`` one of ``carrier``, ``service``, ``sku``."""

    path: str
    message: str
    kind: str


class CheckStep(NamedTuple):
    """One Health Check step. A tuple, so ``name, passed, detail = step`` works too."""

    name: str
    passed: bool
    #: What was found (a count, a name) or why the step failed; never a secret.
    detail: str


@attrs.frozen(kw_only=True)
class CheckResult(ActionResult):
    """The Health Check quick action: each step, and whether it passed. ``findings`` lists
    every mapping row the warehouse cannot honour (each also fails its step)."""

    steps: tuple[CheckStep, ...] = ()
    findings: tuple[MappingFinding, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {
            "passed": sum(1 for step in self.steps if step.passed),
            "failed": sum(1 for step in self.steps if not step.passed),
        }
