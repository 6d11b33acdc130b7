"""The two push flows: sales orders (with backorder allocation) and receipts (ASNs).

Both screen records against the ledger first, then hand create jobs to the push engine, which
records each reference before its request goes out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs

from .. import translate, wire
from ..backorder import Action, BackorderMode, Decision, allocate
from ..client import ExtensivClient
from ..client.rql import field
from ..config import ChannelConfig
from ..errors import ValidationError, Violation
from ..models import Receipt, SalesOrder
from ._baseline import sent_baseline
from ._inventory import warehouse_key
from ._journal import RunRecorder
from ._outcomes import (
    keys_in_order,
    line_key,
    order_key,
    outcome_from_create,
    rejected,
    remainder_after,
    remainder_from_sent,
)
from ._push_engine import CreateCall, CreateJob, CreateOutcome, PushEngine, item_key
from ._records import Fence, LedgerEntry, LedgerKind, LedgerState
from ._results import PushOutcome, PushStatus
from ._snapshot import stock_snapshot
from ._stock import AllocationInputs, allocation_inputs, warehouse_skus
from .store import LeaseHandle, StateStore, utc_now

__all__ = [
    "SENT_PREFIX",
    "OrderPush",
    "ReceiptPush",
    "serve_in_order",
]

#: Store key-value prefix holding the comparison baseline of the payload sent under a
#: reference (see ``_baseline``: lines, quantities, carrier; never addresses or notes).
SENT_PREFIX = "sent:"


def _record_outcomes(outcomes: Sequence[PushOutcome], run: RunRecorder) -> None:
    for outcome in outcomes:
        run.count(outcome.status.value)
        run.touch(outcome.order_number)
        if outcome.status in (PushStatus.REJECTED, PushStatus.FAILED):
            run.error(f"{outcome.order_number}: {outcome.reason}")


def _store_clock(store: StateStore) -> Callable[[], datetime]:
    """The clock ``store`` stamps its entries with (``StateStore.now``): the engine measures
    how long ago a create was marked in flight against it. A store written before ``now``
    joined the protocol has none; the wall clock stands in, as it did for such stores."""
    now = getattr(store, "now", None)
    return now if callable(now) else utc_now


@attrs.define
class _Context:
    config: ChannelConfig
    store: StateStore
    client: ExtensivClient
    converter: cattrs.Converter

    @property
    def channel(self) -> str:
        return self.config.channel

    def engine(
        self,
        kind: LedgerKind,
        create: CreateCall,
        lookup: Callable[[str], int | None],
        lease: LeaseHandle | None,
        found_lines: Callable[[int], Iterable[tuple[str, Any]]] | None = None,
    ) -> PushEngine:
        return PushEngine(
            self.store,
            self.channel,
            kind,
            create=create,
            lookup=lookup,
            max_in_flight=self.config.sync.max_in_flight,
            lease=lease,
            found_lines=found_lines,
            in_flight_wait=self.config.client.read_timeout,
            clock=_store_clock(self.store),
        )

    @staticmethod
    def baseline(reference: str, payload: Mapping[str, Any]) -> dict[str, str]:
        """The ``sent:`` entry a job's claim writes (in the claim's own transaction)."""
        return {SENT_PREFIX + reference: wire.dumps(sent_baseline(payload))}


@attrs.define
class _Screened:
    """Orders that passed the ledger checks (translation comes later, while sending)."""

    candidates: list[SalesOrder] = attrs.field(factory=list)
    #: Keys of candidates that came from the backorder queue: already validated when they
    #: were first pushed, so they are not validated again before allocation.
    queued: set[str] = attrs.field(factory=set)
    outcomes: dict[str, PushOutcome] = attrs.field(factory=dict)


@attrs.define
class _Plan:
    """One allocation over the screened candidates, decided before anything is translated:
    every order counts as valid until its translation says otherwise (see ``_jobs``)."""

    candidates: list[SalesOrder]
    inputs: AllocationInputs
    decisions: list[Decision]
    sequence: tuple[int, ...]


T = TypeVar("T")


def serve_in_order(
    plan: _Plan, validate: Callable[[int], T | None], trusted: Callable[[int], bool]
) -> Iterator[tuple[int, T | None]]:
    """The plan's candidates in its allocation sequence, each with ``plan.decisions[index]``
    final when it is yielded, validated one at a time: ``(index, validate(index))``, or
    ``(index, None)`` for a ``trusted`` candidate (not validated) or one validated ahead.

    The allocation counted every candidate as valid, and an order's decision depends only on
    the orders before it in the sequence; so a candidate is yielded only once all before it
    were validated. One that ``validate`` refuses after it was given stock gives that stock
    back: the orders after it are allocated again without it, so every yielded decision is
    what allocating the valid candidates alone would give. That happens at most once per
    plan: the rest of the candidates are then validated first (and their results dropped,
    so memory stays bounded; ``validate`` is called again for them when they are reached).
    """
    invalid: set[int] = set()
    checked: set[int] = set()  # validated ahead, after a re-allocation: not again
    for position, index in enumerate(plan.sequence):
        if index in invalid:
            continue
        result: T | None = None
        if not trusted(index) and index not in checked:
            result = validate(index)
            if result is None:
                invalid.add(index)
                if plan.decisions[index].consumed and not checked:
                    rest = plan.sequence[position + 1 :]
                    checked.update(rest)
                    invalid.update(i for i in rest if not trusted(i) and validate(i) is None)
                    _reallocate(plan, position, invalid)
                continue
        yield index, result


def _reallocate(plan: _Plan, position: int, invalid: set[int]) -> None:
    """Decide the orders after ``position`` again, from what the orders up to it left
    (invalid ones took nothing), as ``allocate`` over the valid orders alone would."""
    left = dict(plan.inputs.stock)
    for index in plan.sequence[: position + 1]:
        if index not in invalid:
            for sku, amount in plan.decisions[index].consumed.items():
                left[sku] = left.get(sku, Decimal(0)) - amount
    rest = [i for i in plan.sequence[position + 1 :] if i not in invalid]
    again = allocate([plan.candidates[i] for i in rest], left, plan.inputs.policy)
    for index, decision in zip(rest, again.decisions, strict=True):
        plan.decisions[index] = decision


class OrderPush(_Context):
    """Push sales orders: screen, allocate over one stock snapshot, send, queue backorders."""

    def push(
        self,
        orders: list[SalesOrder],
        include_backorders: bool,
        run: RunRecorder,
        stock: Mapping[str, Decimal] | None = None,
        lease: LeaseHandle | None = None,
    ) -> list[PushOutcome]:
        """``stock`` is a snapshot the caller already holds; otherwise one is read if needed.

        ``lease`` is the channel's orders lease (see ``ORDERS_LEASE``): every ledger and
        backorder write carries its fence, so a worker that lost it writes nothing more.

        Translation streams into the push engine: orders are allocated first (one stock
        snapshot), then translated and validated one at a time, oldest first, while the
        engine's workers send what is already translated and claimed."""
        engine = self.engine(LedgerKind.ORDER, self._create, self._lookup, lease, self._lines)
        fence = lease.fence if lease is not None else None
        screened = self._screen_all(orders, engine, fence)
        if include_backorders:
            known = {order_key(o) for o in orders}
            for entry in self.store.backorder_list(self.channel):
                if entry.key not in known:
                    known.add(entry.key)
                    if self._in_ledger(entry.order):  # a crash came after sending, before dequeuing
                        verdict = self._screen(entry.order, engine, fence)
                        if verdict is not None:
                            screened.outcomes[entry.key] = verdict
                            continue
                    screened.candidates.append(entry.order)
                    screened.queued.add(entry.key)
        outcomes = screened.outcomes
        plan = self._plan(screened, stock, fence)
        decided: dict[int, tuple[SalesOrder, Decision, str | None]] = {}
        results = engine.run(self._jobs(plan, screened, decided, fence)) if plan else {}
        for index in sorted(decided):  # candidates' order, whatever order they were sent in
            order, decision, reference = decided[index]
            outcomes[order_key(order)] = self._finish(order, decision, reference, results, fence)
        ordered = [outcomes[k] for k in keys_in_order(orders, outcomes)]
        _record_outcomes(ordered, run)
        return ordered

    def _create(
        self,
        payload: dict[str, Any],
        *,
        resolve: Callable[[str], None],
        before_attempt: Callable[[], None],
    ) -> int | None:
        created = self.client.orders.create(payload, resolve=resolve, before_attempt=before_attempt)
        return created.value.order_id

    def _lines(self, order_id: int) -> list[tuple[str, Any]]:
        order = self.client.orders.get(order_id, detail="OrderItems").value
        return [
            (item_key(i.item_identifier.sku, i.item_identifier.id), i.qty)
            for i in order.order_items
        ]

    def _in_ledger(self, order: SalesOrder) -> bool:
        try:
            reference = self.reference(order)
        except ValidationError:
            return False
        entry = self.store.ledger_get(self.channel, LedgerKind.ORDER, reference)
        return entry is not None and entry.state in (LedgerState.SENT, LedgerState.PENDING)

    def _lookup(self, reference: str) -> int | None:
        found = self.client.orders.find_by_reference(reference)
        return found.order_id if found is not None else None

    def reference(self, order: SalesOrder) -> str:
        return self.config.references.order.render(
            order.order_number, order.shipment_seq, self.channel
        )

    def _screen_all(
        self, orders: list[SalesOrder], engine: PushEngine, fence: Fence | None
    ) -> _Screened:
        screened = _Screened()
        candidates: set[str] = set()
        references: dict[str, str] = {}  # order key -> reference (rendered once)
        for order in orders:
            with contextlib.suppress(ValidationError):  # rejected by _screen below
                references[order_key(order)] = self.reference(order)
        entries = self.store.ledger_get_many(
            self.channel, LedgerKind.ORDER, set(references.values())
        )
        for order in orders:
            key = order_key(order)
            if key in screened.outcomes or key in candidates:
                continue  # the same shipment twice in one batch is one shipment
            verdict = self._screen(order, engine, fence, entries, references.get(key))
            if verdict is not None:
                screened.outcomes[key] = verdict
            else:
                screened.candidates.append(order)
                candidates.add(key)
        return screened

    def _screen(
        self,
        order: SalesOrder,
        engine: PushEngine,
        fence: Fence | None,
        entries: Mapping[str, LedgerEntry] | None = None,
        reference: str | None = None,
    ) -> PushOutcome | None:
        """Ledger checks before allocation; ``None`` means "allocate it" (it is translated
        and validated later, while earlier orders are being sent). ``entries``: the batch's
        ledger entries, read at once (otherwise this order's is read); ``reference``: the
        order's, rendered already."""
        if reference is None:
            try:
                reference = self.reference(order)
            except ValidationError as exc:
                return rejected(order.order_number, "", exc)
        entry = (
            entries.get(reference)
            if entries is not None
            else self.store.ledger_get(self.channel, LedgerKind.ORDER, reference)
        )
        state = entry.state if entry is not None else None
        if entry is not None and state is LedgerState.PENDING:
            resolved = engine.resolve_pending(reference)
            if resolved is not None:
                if resolved.state is LedgerState.SENT:
                    self.store.backorder_remove(self.channel, order_key(order), fence=fence)
                    self._restore_remainder(order, entry.sent_lines, fence)
                quantities = tuple(line.quantity for line in order.lines)
                return outcome_from_create(order.order_number, resolved, quantities)
        elif entry is not None and state is LedgerState.SENT:
            self.store.backorder_remove(self.channel, order_key(order), fence=fence)  # sent
            self._restore_remainder(order, entry.sent_lines, fence)
            return PushOutcome(
                order_number=order.order_number,
                status=PushStatus.ALREADY_PRESENT,
                reference=reference,
                remote_id=entry.remote_id,
                reason="already sent under this reference",
            )
        elif entry is not None and state is LedgerState.CANCELED:
            return PushOutcome(
                order_number=order.order_number,
                status=PushStatus.REJECTED,
                reference=reference,
                remote_id=entry.remote_id,
                reason="this shipment was canceled in the warehouse",
                reasons=("canceled",),
            )
        return None

    def _validate(
        self, order: SalesOrder, screened: _Screened, fence: Fence | None
    ) -> translate.OrderTranslation | None:
        """The full order's translation (validation rules and mappings in one pass), or
        ``None`` after recording why it is rejected."""
        try:
            return translate.sales_order_to_order(order, self.config, converter=self.converter)
        except ValidationError as exc:
            reference = self.reference(order)  # screening rendered it already
            self._record_rejection(reference, order, exc, fence)
            screened.outcomes[order_key(order)] = rejected(order.order_number, reference, exc)
            return None

    def _needs_stock(self) -> bool:
        policy = self.config.backorder
        if policy.mode is BackorderMode.MANAGE_IN_OMS:
            return True
        overrides = [*policy.customer_overrides.values(), *policy.order_overrides.values()]
        return any(o.mode is BackorderMode.MANAGE_IN_OMS for o in overrides)

    def _plan(
        self, screened: _Screened, stock: Mapping[str, Decimal] | None, fence: Fence | None
    ) -> _Plan | None:
        candidates = screened.candidates
        if not candidates:
            return None
        if stock is None:
            stock = (
                stock_snapshot(self.client, self.config, self.store) if self._needs_stock() else {}
            )
        if stock or self._needs_stock():
            candidates = self._reject_unknown(screened, stock, fence)
        inputs = allocation_inputs(
            candidates, stock, self.config.backorder, self.config.sku_mappings
        )
        allocation = allocate(candidates, inputs.stock, inputs.policy)
        return _Plan(
            candidates=candidates,
            inputs=inputs,
            decisions=list(allocation.decisions),
            sequence=allocation.sequence,
        )

    def _jobs(
        self,
        plan: _Plan,
        screened: _Screened,
        decided: dict[int, tuple[SalesOrder, Decision, str | None]],
        fence: Fence | None,
    ) -> Iterator[CreateJob]:
        """Create jobs, oldest first (the allocation's own order), translated one at a time.

        The allocation counted every candidate as valid. An order is served only after every
        order before it in that sequence was validated, so when one turns out invalid after
        it was given stock, the orders after it are allocated again without it: each order
        is decided exactly as if the invalid ones had been left out from the start. That
        happens at most once per push: the rest of the batch is validated first then.
        """
        candidates = plan.candidates

        def validate(index: int) -> translate.OrderTranslation | None:
            return self._validate(candidates[index], screened, fence)

        def trusted(index: int) -> bool:
            return order_key(candidates[index]) in screened.queued

        for index, translation in serve_in_order(plan, validate, trusted):
            order = candidates[index]
            key = order_key(order)
            decision = plan.decisions[index]
            if decision.action is Action.HOLD:
                decided[index] = (order, decision, None)
                continue
            full = decision.line_quantities == tuple(line.quantity for line in order.lines)
            try:
                if translation is None or not full:  # a partial, a queued or checked order
                    translation = translate.sales_order_to_order(
                        order, self.config, decision, converter=self.converter
                    )
            except ValidationError as exc:
                screened.outcomes[key] = rejected(order.order_number, "", exc)
                continue
            decided[index] = (order, decision, translation.reference)
            yield CreateJob(
                reference=translation.reference,
                payload=translation.payload,
                sent_lines={
                    line_key(order, i): q for i, q in enumerate(decision.line_quantities) if q
                },
                host_key=order.order_number,
                metadata=self.baseline(translation.reference, translation.payload),
                release=key,
            )

    def _reject_unknown(
        self, screened: _Screened, stock: Mapping[str, Decimal], fence: Fence | None
    ) -> list[SalesOrder]:
        """Orders naming an item the warehouse does not have are rejected, not held: no
        receipt can ever cover them. Held ones leave the queue with that reason."""
        names = warehouse_skus(screened.candidates, self.config.backorder, self.config.sku_mappings)
        missing = {
            name: sku
            for name, sku in names.items()
            if warehouse_key(sku) not in stock and not self._in_catalog(sku)
        }
        if not missing:
            return screened.candidates
        kept: list[SalesOrder] = []
        for order in screened.candidates:
            violations = [
                Violation(
                    f"lines[{i}].sku",
                    f"the warehouse has no item {missing[line.sku]!r} (Item does not exist)",
                    rule="sku.unknown",
                )
                for i, line in enumerate(order.lines)
                if line.sku in missing
            ]
            if not violations:
                kept.append(order)
                continue
            key = order_key(order)
            if key not in screened.queued and self._validate(order, screened, fence) is None:
                continue  # invalid as well: rejected for that, as before it was allocated
            exc = ValidationError(violations, f"order {order.order_number}")
            try:
                reference = self.reference(order)
            except ValidationError:
                reference = ""
            self.store.backorder_remove(self.channel, key, fence=fence)
            if reference:
                self._record_rejection(reference, order, exc, fence)
            screened.outcomes[key] = rejected(order.order_number, reference, exc)
        return kept

    def _in_catalog(self, sku: str) -> bool:
        wanted = warehouse_key(sku)
        items = self.client.items.list(field("sku") == sku, concurrency=1)
        return any(warehouse_key(item.sku or "") == wanted for item in items)

    def _finish(
        self,
        order: SalesOrder,
        decision: Decision,
        reference: str | None,
        results: Mapping[str, CreateOutcome],
        fence: Fence | None,
    ) -> PushOutcome:
        key = order_key(order)
        if reference is None:
            self.store.backorder_put(
                self.channel, order, key=key, reason=decision.reason, fence=fence
            )
            return PushOutcome(
                order_number=order.order_number,
                status=PushStatus.HELD,
                reason=decision.reason,
                line_quantities=decision.line_quantities,
            )
        result = results[reference]
        outcome = outcome_from_create(order.order_number, result, decision.line_quantities)
        if outcome.status not in (PushStatus.SENT_FULL, PushStatus.ALREADY_PRESENT):
            return outcome
        if not result.released:  # recorded SENT by an earlier run: drop the entry here
            self.store.backorder_remove(self.channel, key, fence=fence)
        if decision.action is not Action.SEND_PARTIAL:
            return outcome
        remainder = remainder_after(order, decision)
        if remainder is not None:
            self.store.backorder_put(
                self.channel,
                remainder,
                key=order_key(remainder),
                reason=decision.reason,
                fence=fence,
            )
        return attrs.evolve(outcome, status=PushStatus.SENT_PARTIAL, reason=decision.reason)

    def _restore_remainder(
        self, order: SalesOrder, sent_lines: Mapping[str, Decimal], fence: Fence | None
    ) -> None:
        """Queue what a partial send left over, if a crash came between the send and queueing
        it: the ledger knows what went out, and neither the queue nor the ledger knows the next
        shipment yet."""
        remainder = remainder_from_sent(order, sent_lines)
        if remainder is None:
            return
        key = order_key(remainder)
        if self.store.backorder_get(self.channel, key) is not None:
            return
        try:
            next_reference = self.reference(remainder)
        except ValidationError:
            return
        if self.store.ledger_get(self.channel, LedgerKind.ORDER, next_reference) is not None:
            return
        self.store.backorder_put(
            self.channel, remainder, key=key, reason="remainder of a partial shipment", fence=fence
        )

    def _record_rejection(
        self, reference: str, order: SalesOrder, exc: ValidationError, fence: Fence | None
    ) -> None:
        claim = self.store.ledger_begin(
            self.channel, LedgerKind.ORDER, reference, host_key=order.order_number, fence=fence
        )
        if claim.claimed:
            self.store.ledger_update(
                self.channel,
                LedgerKind.ORDER,
                reference,
                state=LedgerState.REJECTED,
                reasons=tuple(str(v) for v in exc.violations),
                fence=fence,
            )


class ReceiptPush(_Context):
    """Send receipts (ASNs) as receivers, exactly once per reference."""

    def push(
        self, receipts: list[Receipt], run: RunRecorder, lease: LeaseHandle | None = None
    ) -> list[PushOutcome]:
        engine = self.engine(LedgerKind.RECEIPT, self._create, self._lookup, lease, self._lines)
        screened: dict[str, PushOutcome] = {}
        jobs: list[tuple[Receipt, str]] = []

        def produce() -> Iterator[CreateJob]:  # translated while earlier ones are sent
            seen: set[str] = set()
            for receipt in receipts:
                if receipt.reference in seen:
                    continue  # the same receipt twice in one batch is one receipt
                seen.add(receipt.reference)
                verdict = self._screen(receipt, engine)
                if isinstance(verdict, PushOutcome):
                    screened[receipt.reference] = verdict
                else:
                    jobs.append((receipt, verdict.reference))
                    yield verdict

        results = engine.run(produce())
        outcomes = dict(screened)
        for receipt, reference in jobs:
            quantities = tuple(line.expected_quantity for line in receipt.lines)
            outcomes[receipt.reference] = outcome_from_create(
                receipt.reference, results[reference], quantities
            )
        ordered = list(outcomes.values())
        _record_outcomes(ordered, run)
        return ordered

    def _create(
        self,
        payload: dict[str, Any],
        *,
        resolve: Callable[[str], None],
        before_attempt: Callable[[], None],
    ) -> int | None:
        created = self.client.receivers.create(
            payload, resolve=resolve, before_attempt=before_attempt
        )
        return created.value.receiver_id

    def _lines(self, receiver_id: int) -> list[tuple[str, Any]]:
        receiver = self.client.receivers.get(receiver_id, detail="ReceiveItems").value
        return [
            (item_key(i.item_identifier.sku, i.item_identifier.id), i.qty)
            for i in receiver.receive_items
        ]

    def _lookup(self, reference: str) -> int | None:
        found = self.client.receivers.find_by_reference(reference)
        return found.receiver_id if found is not None else None

    def _screen(self, receipt: Receipt, engine: PushEngine) -> PushOutcome | CreateJob:
        try:
            translation = translate.receipt_to_receiver(
                receipt, self.config, converter=self.converter
            )
        except ValidationError as exc:
            return rejected(receipt.reference, "", exc)
        reference = translation.reference
        entry = self.store.ledger_get(self.channel, LedgerKind.RECEIPT, reference)
        if entry is not None and entry.state is LedgerState.SENT:
            return PushOutcome(
                order_number=receipt.reference,
                status=PushStatus.ALREADY_PRESENT,
                reference=reference,
                remote_id=entry.remote_id,
                reason="already sent under this reference",
            )
        if entry is not None and entry.state is LedgerState.PENDING:
            resolved = engine.resolve_pending(reference)
            if resolved is not None:
                quantities = tuple(line.expected_quantity for line in receipt.lines)
                return outcome_from_create(receipt.reference, resolved, quantities)
        return CreateJob(
            reference=reference,
            payload=translation.payload,
            sent_lines={
                line.line_reference or line.sku: line.expected_quantity for line in receipt.lines
            },
            host_key=receipt.reference,
            metadata=self.baseline(reference, translation.payload),
        )
