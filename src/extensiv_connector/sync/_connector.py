"""``Connector``: the channel's sync and quick actions, composed from the client, the pure core
and the state store. The pure modules decide; this module carries their decisions out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .. import translate, wire
from ..backorder import Action, BackorderMode, Decision, allocate
from ..client import ExtensivClient
from ..client.rql import Expr, field
from ..config import ChannelConfig
from ..errors import ExtensivError, NotFoundError, ValidationError
from ..models import (
    InventoryLevel,
    Order,
    Product,
    Receipt,
    Receiver,
    SalesOrder,
    Shipment,
    ShipmentStatus,
)
from ._inventory import available_to_promise, level_changes
from ._journal import Journal, RunRecorder
from ._push import CreateJob, CreateOutcome, PushEngine
from ._records import LedgerKind, LedgerState
from ._results import (
    CheckResult,
    InventorySyncResult,
    ProductOutcome,
    ProductResult,
    PullResult,
    PushOutcome,
    PushResult,
    PushStatus,
)
from .store import SQLiteStore, StateStore, hold_lease

if TYPE_CHECKING:
    from ..webhooks import WebhookReceiver

__all__ = ["Connector"]

log = logging.getLogger("extensiv_connector.sync")

T = TypeVar("T")

_ORDER_DETAIL = "OrderItems,Packages"
_DELIVERED_PREFIX = "delivered:"
_SENT_PREFIX = "sent:"

ACTIONS = (
    "push_orders",
    "receive_inventory_levels",
    "synchronize_inventory",
    "receive_shipments",
    "send_receipts",
    "receive_receipts",
    "import_products",
    "export_products",
    "check_connection",
)


def _utc_now() -> datetime:
    # Extensiv timestamps carry no offset; compare naive UTC with naive UTC.
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Connector:
    """One fulfillment channel: push orders, pull what the warehouse did, keep a journal.

    ``store`` defaults to SQLite at ``config.sync.state_path``; ``client`` defaults to
    ``ExtensivClient.from_config(config)``. What the connector creates it also closes.
    """

    def __init__(
        self,
        config: ChannelConfig,
        store: StateStore | None = None,
        client: ExtensivClient | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.channel = config.channel
        self._owns_store = store is None
        self._owns_client = client is None
        self.store: StateStore = store if store is not None else SQLiteStore(config.sync.state_path)
        self.client = client if client is not None else ExtensivClient.from_config(config)
        self.journal = Journal(self.store, self.channel)
        self._clock = clock
        self._sleep = sleep
        self._converter = wire.make_converter()
        self._overlap = timedelta(minutes=config.sync.overlap_minutes)

    def __repr__(self) -> str:
        return f"Connector(channel={self.channel!r}, client={self.client!r})"

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Connector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ push orders

    def push_orders(
        self, orders: Iterable[SalesOrder], *, include_backorders: bool = True
    ) -> PushResult:
        """Send sales orders to the warehouse, deciding backorders against one stock snapshot.

        Held (backordered) orders from earlier pushes are re-evaluated in the same allocation
        (oldest first) unless ``include_backorders`` is false. Re-running a push never creates
        a second warehouse order.
        """
        started, t0 = self._clock(), time.perf_counter()
        with self._action("push_orders") as run:
            outcomes = self._push(list(orders), include_backorders, run)
        return PushResult(
            action="push_orders",
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            outcomes=tuple(outcomes),
            errors=tuple(run.errors),
        )

    def _push(
        self, orders: list[SalesOrder], include_backorders: bool, run: RunRecorder
    ) -> list[PushOutcome]:
        outcomes: dict[str, PushOutcome] = {}
        candidates: list[SalesOrder] = []
        engine = self._order_engine()
        seen_keys: set[str] = set()
        screened: dict[str, translate.OrderTranslation] = {}
        for order in orders:
            key = _order_key(order)
            if key in seen_keys:
                continue  # the same shipment twice in one batch is one shipment
            seen_keys.add(key)
            verdict = self._screen(order, engine)
            if isinstance(verdict, PushOutcome):
                outcomes[key] = verdict
            else:
                candidates.append(order)
                screened[key] = verdict
        if include_backorders:
            for entry in self.store.backorder_list(self.channel):
                if entry.key not in seen_keys:
                    seen_keys.add(entry.key)
                    candidates.append(entry.order)
        jobs, decided = self._decide_batch(candidates, outcomes, screened)
        results = engine.run(jobs)
        for order, decision, job in decided:
            outcomes[_order_key(order)] = self._finish_push(order, decision, job, results)
        ordered = [outcomes[k] for k in _keys_in_order(orders, outcomes)]
        for outcome in ordered:
            run.count(outcome.status.value)
            run.touch(outcome.order_number)
            if outcome.status in (PushStatus.REJECTED, PushStatus.FAILED):
                run.error(f"{outcome.order_number}: {outcome.reason}")
        return ordered

    def _screen(
        self, order: SalesOrder, engine: PushEngine
    ) -> PushOutcome | translate.OrderTranslation:
        """Ledger and validation checks before allocation; a translation means "allocate it"
        (it is the full order's payload, reused when the whole order is sent)."""
        try:
            reference = self._order_reference(order)
        except ValidationError as exc:
            return _rejected(order, "", exc)
        entry = self.store.ledger_get(self.channel, LedgerKind.ORDER, reference)
        if entry is not None and entry.state is LedgerState.PENDING:
            resolved = engine.resolve_pending(reference)
            if resolved is not None:
                if resolved.state is LedgerState.SENT:
                    self._restore_remainder(order, entry.sent_lines)
                return _from_create(order, reference, resolved, Decision_quantities(order))
        elif entry is not None and entry.state is LedgerState.SENT:
            self._restore_remainder(order, entry.sent_lines)
            return PushOutcome(
                order_number=order.order_number,
                status=PushStatus.ALREADY_PRESENT,
                reference=reference,
                remote_id=entry.remote_id,
                reason="already sent under this reference",
            )
        elif entry is not None and entry.state is LedgerState.CANCELED:
            return PushOutcome(
                order_number=order.order_number,
                status=PushStatus.REJECTED,
                reference=reference,
                remote_id=entry.remote_id,
                reason="this shipment was canceled in the warehouse",
                reasons=("canceled",),
            )
        try:
            # Translation applies the validation rules and the mappings: one pass finds all.
            return translate.sales_order_to_order(order, self.config, converter=self._converter)
        except ValidationError as exc:
            self._record_rejection(reference, order, exc)
            return _rejected(order, reference, exc)

    def _decide_batch(
        self,
        candidates: list[SalesOrder],
        outcomes: dict[str, PushOutcome],
        screened: Mapping[str, translate.OrderTranslation],
    ) -> tuple[list[CreateJob], list[tuple[SalesOrder, Decision, CreateJob | None]]]:
        if not candidates:
            return [], []
        stock = self._stock_snapshot() if self._needs_stock(candidates) else {}
        allocation = allocate(candidates, stock, self.config.backorder)
        jobs: list[CreateJob] = []
        decided: list[tuple[SalesOrder, Decision, CreateJob | None]] = []
        for order, decision in zip(candidates, allocation.decisions, strict=True):
            if decision.action is Action.HOLD:
                decided.append((order, decision, None))
                continue
            full = tuple(decision.line_quantities) == tuple(ln.quantity for ln in order.lines)
            translation = screened.get(_order_key(order)) if full else None
            try:
                if translation is None:  # a partial shipment, or a held order from the queue
                    translation = translate.sales_order_to_order(
                        order, self.config, decision, converter=self._converter
                    )
            except ValidationError as exc:
                outcomes[_order_key(order)] = _rejected(order, "", exc)
                continue
            sent_lines = {
                _line_key(order, i): q for i, q in enumerate(decision.line_quantities) if q
            }
            job = CreateJob(
                reference=translation.reference,
                payload=translation.payload,
                sent_lines=sent_lines,
                host_key=order.order_number,
            )
            self.store.kv_set(self.channel, _SENT_PREFIX + job.reference, wire.dumps(job.payload))
            jobs.append(job)
            decided.append((order, decision, job))
        return jobs, decided

    def _needs_stock(self, orders: Sequence[SalesOrder]) -> bool:
        policy = self.config.backorder
        if policy.mode is BackorderMode.MANAGE_IN_OMS:
            return True
        overrides = [*policy.customer_overrides.values(), *policy.order_overrides.values()]
        return any(o.mode is BackorderMode.MANAGE_IN_OMS for o in overrides)

    def _finish_push(
        self,
        order: SalesOrder,
        decision: Decision,
        job: CreateJob | None,
        results: Mapping[str, CreateOutcome],
    ) -> PushOutcome:
        key = _order_key(order)
        if job is None:
            self.store.backorder_put(self.channel, order, key=key, reason=decision.reason)
            return PushOutcome(
                order_number=order.order_number,
                status=PushStatus.HELD,
                reason=decision.reason,
                line_quantities=decision.line_quantities,
            )
        outcome = _from_create(
            order, job.reference, results[job.reference], decision.line_quantities
        )
        if outcome.status in (PushStatus.SENT_FULL, PushStatus.ALREADY_PRESENT):
            self.store.backorder_remove(self.channel, key)
            if decision.action is Action.SEND_PARTIAL:
                outcome = attrs.evolve(
                    outcome, status=PushStatus.SENT_PARTIAL, reason=decision.reason
                )
                remainder = _remainder(order, decision)
                if remainder is not None:
                    self.store.backorder_put(
                        self.channel, remainder, key=_order_key(remainder), reason=decision.reason
                    )
        return outcome

    def _restore_remainder(self, order: SalesOrder, sent_lines: Mapping[str, Decimal]) -> None:
        """Queue what a partial send left over, if a crash came between the send and queueing
        it: the ledger knows what went out, and neither the queue nor the ledger knows the next
        shipment yet."""
        if not sent_lines:
            return
        left = tuple(
            max(line.quantity - sent_lines.get(_line_key(order, i), Decimal(0)), Decimal(0))
            for i, line in enumerate(order.lines)
        )
        if not any(left):
            return
        lines = tuple(
            attrs.evolve(line, quantity=qty)
            for line, qty in zip(order.lines, left, strict=True)
            if qty > 0
        )
        remainder = attrs.evolve(order, lines=lines, shipment_seq=order.shipment_seq + 1)
        key = _order_key(remainder)
        if self.store.backorder_get(self.channel, key) is not None:
            return
        try:
            next_reference = self._order_reference(remainder)
        except ValidationError:
            return
        if self.store.ledger_get(self.channel, LedgerKind.ORDER, next_reference) is not None:
            return
        self.store.backorder_put(
            self.channel, remainder, key=key, reason="remainder of a partial shipment"
        )

    def _record_rejection(self, reference: str, order: SalesOrder, exc: ValidationError) -> None:
        if not reference:
            return
        claim = self.store.ledger_begin(
            self.channel, LedgerKind.ORDER, reference, host_key=order.order_number
        )
        if claim.claimed:
            self.store.ledger_update(
                self.channel,
                LedgerKind.ORDER,
                reference,
                state=LedgerState.REJECTED,
                reasons=tuple(str(v) for v in exc.violations),
            )

    def _order_reference(self, order: SalesOrder) -> str:
        return self.config.references.order.render(
            order.order_number, order.shipment_seq, self.channel
        )

    def _order_engine(self) -> PushEngine:
        orders = self.client.orders

        def create(payload: dict[str, Any]) -> int | None:
            return orders.create(payload).value.order_id

        def lookup(reference: str) -> int | None:
            found = orders.find_by_reference(reference)
            return found.order_id if found is not None else None

        return PushEngine(
            self.store,
            self.channel,
            LedgerKind.ORDER,
            create=create,
            lookup=lookup,
            max_in_flight=self.config.sync.max_in_flight,
            sleep=self._sleep,
        )

    def _stock_snapshot(self) -> dict[str, Decimal]:
        """Available stock per host SKU, from one pass over stock summaries."""
        levels = translate.stock_summaries_to_inventory(
            self.client.inventory.stock_summaries(), self.config
        ).levels
        stock: dict[str, Decimal] = {}
        for level in levels:
            stock[level.sku] = stock.get(level.sku, Decimal(0)) + level.available
        return stock

    # ------------------------------------------------------------------ shipments

    def receive_shipments(
        self,
        order_ids: Sequence[int] | None = None,
        handler: Callable[[Shipment], None] | None = None,
    ) -> PullResult[Shipment]:
        """Closed warehouse orders pushed by this channel, as host shipments.

        Incremental on ``lastModifiedDate`` with an overlap window; each shipment reaches
        ``handler`` before the cursor moves past it (at least once, with a stable
        ``dedupe_key``). ``order_ids`` pulls just those orders (webhooks) without moving the
        cursor.
        """
        customer = field("readOnly.customerIdentifier.id") == self.config.credentials.customer_id
        query: Expr = (field("readOnly.isClosed") == True) & customer  # noqa: E712 - RQL, not a Python comparison

        def source(since: datetime | None) -> Iterator[Order]:
            rql = query if since is None else query & (field("readOnly.lastModifiedDate") >= since)
            return self.client.orders.list(
                rql, sort="readOnly.lastModifiedDate", detail=_ORDER_DETAIL
            )

        def targeted(ids: Sequence[int]) -> Iterator[Order]:
            for order_id in ids:
                try:
                    yield self.client.orders.get(order_id, detail=_ORDER_DETAIL).value
                except NotFoundError:
                    continue

        return self._pull(
            "receive_shipments",
            source=source,
            targeted=targeted(order_ids) if order_ids is not None else None,
            modified=lambda o: o.read_only.last_modified_date if o.read_only else None,
            convert=self._shipment,
            key=lambda s: s.dedupe_key,
            handler=handler,
        )

    def _shipment(self, order: Order) -> Shipment | None:
        read_only = order.read_only
        if read_only is None or not read_only.is_closed:
            return None  # open orders are not shipments yet
        reference = order.reference_num or ""
        entry = self.store.ledger_get(self.channel, LedgerKind.ORDER, reference)
        if entry is None:
            return None  # not pushed by this channel
        sent_text = self.store.kv_get(self.channel, _SENT_PREFIX + reference)
        sent = self._converter.structure(wire.loads(sent_text), Order) if sent_text else None
        shipment = translate.order_to_shipment(order, self.config, sent, converter=self._converter)
        if shipment.status is ShipmentStatus.CANCELED and entry.state is not LedgerState.CANCELED:
            self.store.ledger_update(
                self.channel, LedgerKind.ORDER, reference, state=LedgerState.CANCELED
            )
        return shipment

    # ------------------------------------------------------------------ receipts

    def send_receipts(self, receipts: Iterable[Receipt]) -> PushResult:
        """Send receipts (ASNs) as receivers, exactly once per reference."""
        started, t0 = self._clock(), time.perf_counter()
        with self._action("send_receipts") as run:
            outcomes = self._send_receipts(list(receipts), run)
        return PushResult(
            action="send_receipts",
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            outcomes=tuple(outcomes),
            errors=tuple(run.errors),
        )

    def _send_receipts(self, receipts: list[Receipt], run: RunRecorder) -> list[PushOutcome]:
        receivers = self.client.receivers

        def create(payload: dict[str, Any]) -> int | None:
            return receivers.create(payload).value.receiver_id

        def lookup(reference: str) -> int | None:
            found = receivers.find_by_reference(reference)
            return found.receiver_id if found is not None else None

        engine = PushEngine(
            self.store,
            self.channel,
            LedgerKind.RECEIPT,
            create=create,
            lookup=lookup,
            max_in_flight=self.config.sync.max_in_flight,
            sleep=self._sleep,
        )
        outcomes: dict[str, PushOutcome] = {}
        jobs: list[tuple[Receipt, CreateJob]] = []
        for receipt in receipts:
            if receipt.reference in outcomes:
                continue
            try:
                translation = translate.receipt_to_receiver(
                    receipt, self.config, converter=self._converter
                )
            except ValidationError as exc:
                outcomes[receipt.reference] = _rejected_receipt(receipt, exc)
                continue
            reference = translation.reference
            entry = self.store.ledger_get(self.channel, LedgerKind.RECEIPT, reference)
            if entry is not None and entry.state is LedgerState.SENT:
                outcomes[receipt.reference] = PushOutcome(
                    order_number=receipt.reference,
                    status=PushStatus.ALREADY_PRESENT,
                    reference=reference,
                    remote_id=entry.remote_id,
                )
                continue
            if entry is not None and entry.state is LedgerState.PENDING:
                resolved = engine.resolve_pending(reference)
                if resolved is not None:
                    outcomes[receipt.reference] = _from_create_receipt(receipt, resolved)
                    continue
            sent_lines = {
                line.line_reference or line.sku: line.expected_quantity for line in receipt.lines
            }
            job = CreateJob(
                reference=reference,
                payload=translation.payload,
                sent_lines=sent_lines,
                host_key=receipt.reference,
            )
            self.store.kv_set(self.channel, _SENT_PREFIX + reference, wire.dumps(job.payload))
            jobs.append((receipt, job))
        results = engine.run([job for _, job in jobs])
        for receipt, job in jobs:
            outcomes[receipt.reference] = _from_create_receipt(receipt, results[job.reference])
        ordered = list(outcomes.values())
        for outcome in ordered:
            run.count(outcome.status.value)
            run.touch(outcome.order_number)
            if outcome.status in (PushStatus.REJECTED, PushStatus.FAILED):
                run.error(f"{outcome.order_number}: {outcome.reason}")
        return ordered

    def receive_receipts(
        self,
        receiver_ids: Sequence[int] | None = None,
        handler: Callable[[Receipt], None] | None = None,
    ) -> PullResult[Receipt]:
        """Closed receivers sent by this channel, with received versus expected quantities."""
        customer = field("readOnly.customerIdentifier.id") == self.config.credentials.customer_id
        query: Expr = (field("readOnly.status") == 1) & customer

        def source(since: datetime | None) -> Iterator[Receiver]:
            rql = query if since is None else query & (field("readOnly.lastModifiedDate") >= since)
            return self.client.receivers.list(
                rql, sort="readOnly.lastModifiedDate", detail="ReceiveItems"
            )

        def targeted(ids: Sequence[int]) -> Iterator[Receiver]:
            for receiver_id in ids:
                try:
                    yield self.client.receivers.get(receiver_id, detail="ReceiveItems").value
                except NotFoundError:
                    continue

        return self._pull(
            "receive_receipts",
            source=source,
            targeted=targeted(receiver_ids) if receiver_ids is not None else None,
            modified=lambda r: r.read_only.last_modified_date if r.read_only else None,
            convert=self._receipt,
            key=lambda r: r.dedupe_key,
            handler=handler,
        )

    def _receipt(self, receiver: Receiver) -> Receipt | None:
        if receiver.read_only is None or receiver.read_only.status != 1:
            return None
        reference = receiver.reference_num or ""
        if self.store.ledger_get(self.channel, LedgerKind.RECEIPT, reference) is None:
            return None  # not sent by this channel
        # What was sent gives the expected quantities when the warehouse does not keep them.
        sent_text = self.store.kv_get(self.channel, _SENT_PREFIX + reference)
        sent = None
        if sent_text:
            planned = self._converter.structure(wire.loads(sent_text), Receiver)
            sent = translate.receiver_to_receipt(planned, self.config)
        return translate.receiver_to_receipt(receiver, self.config, sent)

    # ------------------------------------------------------------------ inventory

    def receive_inventory_levels(
        self,
        skus: Sequence[str] | None = None,
        handler: Callable[[InventoryLevel], None] | None = None,
        *,
        release_backorders: bool = True,
    ) -> PullResult[InventoryLevel]:
        """Warehouse stock per host SKU. Held backorders are re-evaluated against it (and sent
        when covered) unless ``release_backorders`` is false."""
        started, t0 = self._clock(), time.perf_counter()
        with self._action("receive_inventory_levels") as run:
            translation = translate.stock_summaries_to_inventory(
                self.client.inventory.stock_summaries(), self.config
            )
            wanted = set(skus) if skus is not None else None
            levels = [lvl for lvl in translation.levels if wanted is None or lvl.sku in wanted]
            for level in levels:
                if handler is not None:
                    handler(level)
            for violation in translation.violations:
                run.error(str(violation))
            run.count("received", len(levels))
            pushed: PushResult | None = None
            if release_backorders and self.store.backorder_list(self.channel):
                outcomes = self._push([], True, run)
                pushed = PushResult(
                    action="push_orders",
                    started_at=started,
                    duration_seconds=time.perf_counter() - t0,
                    outcomes=tuple(outcomes),
                )
        return PullResult(
            action="receive_inventory_levels",
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            records=tuple(levels),
            errors=tuple(run.errors),
            pushed=pushed,
        )

    def synchronize_inventory(
        self, host_levels: Mapping[str, Decimal | int]
    ) -> InventorySyncResult:
        """Available-to-promise per SKU for the host: warehouse available, minus what this
        channel sent that the warehouse has not allocated yet, minus the safety buffer, never
        below zero. ``config.sync.inventory_mode`` says whether the host applies absolute
        levels or deltas (both are in the result)."""
        started, t0 = self._clock(), time.perf_counter()
        with self._action("synchronize_inventory") as run:
            levels = translate.stock_summaries_to_inventory(
                self.client.inventory.stock_summaries(), self.config
            ).levels
            warehouse: dict[str, Decimal] = {}
            for level in levels:
                warehouse[level.sku] = warehouse.get(level.sku, Decimal(0)) + level.available
            policy = self.config.backorder
            atp = available_to_promise(
                warehouse,
                self._in_flight(),
                policy.safety_buffer,
                policy.default_safety_buffer,
            )
            host = {sku: Decimal(q) for sku, q in host_levels.items()}
            changes = level_changes(atp, host)
            run.count("skus", len(changes))
            run.count("changed", sum(1 for c in changes if c.delta != 0))
        return InventorySyncResult(
            action="synchronize_inventory",
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            mode=self.config.sync.inventory_mode,
            changes=changes,
            levels=tuple(levels),
            errors=tuple(run.errors),
        )

    def _in_flight(self) -> dict[str, Decimal]:
        """Quantities in this channel's open orders the warehouse has not fully allocated."""
        sent = {
            e.reference
            for e in self.store.ledger_list(
                self.channel, LedgerKind.ORDER, states=[LedgerState.SENT]
            )
        }
        if not sent:
            return {}
        customer = field("readOnly.customerIdentifier.id") == self.config.credentials.customer_id
        query = (
            customer
            & (field("readOnly.isClosed") == False)  # noqa: E712 - RQL, not a Python comparison
            & (field("readOnly.fullyAllocated") == False)  # noqa: E712
        )
        totals: dict[str, Decimal] = {}
        for order in self.client.orders.list(query, detail="OrderItems"):
            if order.reference_num not in sent:
                continue
            for item in order.order_items:
                host = self.config.sku_mappings.to_host(item.item_identifier.sku or "", "sku")
                if host.held or item.qty is None:
                    continue
                qty = item.qty / (host.pack_factor or Decimal(1))
                totals[host.sku] = totals.get(host.sku, Decimal(0)) + qty
        return totals

    # ------------------------------------------------------------------ products

    def import_products(
        self,
        skus: Sequence[str] | None = None,
        handler: Callable[[Product], None] | None = None,
    ) -> PullResult[Product]:
        """Warehouse items as host products, incrementally (or just ``skus``)."""

        def source(since: datetime | None) -> Iterator[Any]:
            rql = None if since is None else field("readOnly.lastModifiedDate") >= since
            return self.client.items.list(rql, sort="readOnly.lastModifiedDate")

        def targeted(wanted: Sequence[str]) -> Iterator[Any]:
            for sku in wanted:
                channel_sku = self.config.sku_mappings.to_channel(sku, "sku")
                item = self.client.items.find_by_sku(channel_sku.sku or sku)
                if item is not None:
                    yield item

        return self._pull(
            "import_products",
            source=source,
            targeted=targeted(skus) if skus is not None else None,
            modified=lambda i: i.read_only.last_modified_date if i.read_only else None,
            convert=lambda item: translate.item_to_product(item, self.config),
            key=lambda p: f"product:{p.sku}",
            handler=handler,
            key_from_source=lambda i: (
                f"item:{i.item_id}:{i.read_only.last_modified_date.isoformat()}"
                if i.read_only and i.read_only.last_modified_date
                else f"item:{i.item_id}"
            ),
        )

    def export_products(self, products: Iterable[Product]) -> ProductResult:
        """Create the products the warehouse lacks and update the ones that differ."""
        started, t0 = self._clock(), time.perf_counter()
        outcomes: list[ProductOutcome] = []
        with self._action("export_products") as run:
            for product in products:
                outcome = self._export_one(product)
                outcomes.append(outcome)
                run.count(outcome.status)
                run.touch(product.sku)
                if outcome.status == "rejected":
                    run.error(f"{product.sku}: {outcome.reason}")
        return ProductResult(
            action="export_products",
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            outcomes=tuple(outcomes),
            errors=tuple(run.errors),
        )

    def _export_one(self, product: Product) -> ProductOutcome:
        try:
            item = translate.product_to_item(product, self.config, converter=self._converter)
            existing = self.client.items.find_by_sku(item.sku or product.sku)
            if existing is None:
                try:
                    created = self.client.items.create(item).value
                except ExtensivError as exc:
                    # Ambiguous or duplicate: the SKU is the natural key, so look it up.
                    found = self.client.items.find_by_sku(item.sku or product.sku)
                    if found is None:
                        raise
                    del exc
                    return ProductOutcome(sku=product.sku, status="created", item_id=found.item_id)
                return ProductOutcome(sku=product.sku, status="created", item_id=created.item_id)
            if existing.item_id is None:
                raise NotFoundError(404, "item has no id", path="/customers/items")
            merged = _merge_item(existing, item)
            if merged == existing:
                return ProductOutcome(sku=product.sku, status="unchanged", item_id=existing.item_id)
            self.client.items.update(existing.item_id, lambda current: _merge_item(current, item))
            return ProductOutcome(sku=product.sku, status="updated", item_id=existing.item_id)
        except ExtensivError as exc:
            return ProductOutcome(sku=product.sku, status="rejected", reason=_reason(exc))

    # ------------------------------------------------------------------ quick actions

    def check_connection(self) -> CheckResult:
        """Health check: token, customer, facility, carriers and stock are reachable."""
        started, t0 = self._clock(), time.perf_counter()
        creds = self.config.credentials
        steps: list[tuple[str, bool, str]] = []

        def step(name: str, probe: Callable[[], str]) -> None:
            try:
                steps.append((name, True, probe()))
            except ExtensivError as exc:
                steps.append((name, False, _reason(exc)))

        def customer() -> str:
            found = self.client.customers.get(creds.customer_id).value
            return f"customer {found.customer_id} visible"

        def facility() -> str:
            ids = {f.facility_id for f in self.client.facilities.list()}
            if creds.facility_id not in ids:
                raise NotFoundError(404, f"facility {creds.facility_id} not visible")
            return f"facility {creds.facility_id} visible"

        def carriers() -> str:
            return f"{len(self.client.carriers.list())} carriers"

        def stock() -> str:
            first = next(iter(self.client.inventory.stock_summaries(page_size=1)), None)
            return "stock summaries readable" + ("" if first else " (empty)")

        with self._action("check_connection") as run:
            step("customer", customer)
            if steps[-1][1]:
                step("facility", facility)
                step("carriers", carriers)
                step("stock", stock)
            for name, passed, detail in steps:
                run.count("passed" if passed else "failed")
                if not passed:
                    run.error(f"{name}: {detail}")
        return CheckResult(
            action="check_connection",
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            steps=tuple(steps),
            errors=tuple(run.errors),
        )

    def delete_channel(self) -> None:
        """The Delete quick action: forget every piece of this channel's state."""
        self.store.delete_channel(self.channel)

    def fetch_resource(self, href: str) -> dict[str, Any]:
        """GET a resource by the relative ``href`` an event carries (for webhooks)."""
        document = self.client.request("GET", href).json()
        if not isinstance(document, dict):
            raise ValidationError([], f"resource {href!r} is not an object")
        return document

    def webhook_receiver(self, **options: Any) -> WebhookReceiver:
        """A :class:`~extensiv_connector.webhooks.WebhookReceiver` (WSGI app) for this channel.

        Options (``on_shipment=``, ``on_receipt=``, ``path_token=``...) pass through. Raises
        ``ConfigError`` when ``[webhooks] enabled`` is false."""
        from ..webhooks import WebhookReceiver  # imported lazily: webhooks is an optional edge

        return WebhookReceiver(self, **options)

    # ------------------------------------------------------------------ plumbing

    def _action(self, action: str) -> Any:
        return _ActionScope(self, action)

    def _pull(
        self,
        action: str,
        *,
        source: Callable[[datetime | None], Iterator[Any]],
        targeted: Iterator[Any] | None,
        modified: Callable[[Any], datetime | None],
        convert: Callable[[Any], T | None],
        key: Callable[[T], str],
        handler: Callable[[T], None] | None,
        key_from_source: Callable[[Any], str] | None = None,
    ) -> PullResult[T]:
        started, t0 = self._clock(), time.perf_counter()
        records: list[T] = []
        rejected: list[str] = []
        skipped = 0
        with self._action(action) as run:
            cursor = self.store.cursor_get(self.channel, action)
            if targeted is None:
                since = cursor.since(self._overlap) or wire.parse_timestamp(
                    self.config.sync.initial_cursor
                )
                stream = source(since)
            else:
                stream = targeted
            for raw in stream:
                when = modified(raw)
                try:
                    record = convert(raw)
                except ValidationError as exc:
                    rejected.append(_reason(exc))
                    run.error(_reason(exc))
                    record = None
                    dedupe = key_from_source(raw) if key_from_source else f"rejected:{id(raw)}"
                    self._delivered(action, dedupe, when, targeted is not None)
                    continue
                if record is None:
                    continue
                dedupe = key_from_source(raw) if key_from_source else key(record)
                if cursor.is_delivered(dedupe) or self.store.kv_get(
                    self.channel, _DELIVERED_PREFIX + dedupe
                ):
                    skipped += 1
                    continue
                if handler is not None:
                    handler(record)  # the host has it before the cursor moves past it
                records.append(record)
                self._delivered(action, dedupe, when, targeted is not None)
                run.touch(dedupe)
            run.count("received", len(records))
            run.count("skipped", skipped)
            if rejected:
                run.count("rejected", len(rejected))
        return PullResult(
            action=action,
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            records=tuple(records),
            skipped=skipped,
            rejected=tuple(rejected),
            errors=tuple(run.errors),
        )

    def _delivered(self, action: str, dedupe: str, when: datetime | None, targeted: bool) -> None:
        if targeted or when is None:
            # A targeted pull must not move the watermark past records not polled yet.
            self.store.kv_set(self.channel, _DELIVERED_PREFIX + dedupe, "1")
        else:
            self.store.cursor_advance(self.channel, action, {dedupe: when}, overlap=self._overlap)


class _ActionScope:
    """Lease + journal run for one action."""

    def __init__(self, connector: Connector, action: str) -> None:
        self._connector = connector
        self._action = action
        self._lease: Any = None
        self._run: Any = None

    def __enter__(self) -> RunRecorder:
        connector = self._connector
        self._lease = hold_lease(
            connector.store,
            connector.channel,
            self._action,
            ttl_seconds=connector.config.sync.lease_seconds,
        )
        self._lease.__enter__()
        try:
            self._run = connector.journal.run(self._action)
            recorder: RunRecorder = self._run.__enter__()
        except BaseException:
            self._lease.__exit__(None, None, None)
            raise
        return recorder

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._run.__exit__(exc_type, exc, tb)
        finally:
            self._lease.__exit__(exc_type, exc, tb)


# ---------------------------------------------------------------------- pure helpers


def _order_key(order: SalesOrder) -> str:
    return f"{order.order_number}#{order.shipment_seq}"


def _line_key(order: SalesOrder, index: int) -> str:
    line = order.lines[index]
    return line.line_reference or f"{index}:{line.sku}"


def _keys_in_order(orders: list[SalesOrder], outcomes: Mapping[str, PushOutcome]) -> list[str]:
    keys = [_order_key(o) for o in orders]
    first = list(dict.fromkeys(k for k in keys if k in outcomes))
    rest = [k for k in outcomes if k not in set(first)]
    return first + rest


def Decision_quantities(order: SalesOrder) -> tuple[Decimal, ...]:  # noqa: N802 - reads as a type
    return tuple(line.quantity for line in order.lines)


def _remainder(order: SalesOrder, decision: Decision) -> SalesOrder | None:
    left = decision.backordered
    if not any(left):
        return None
    lines = tuple(
        attrs.evolve(line, quantity=qty)
        for line, qty in zip(order.lines, left, strict=True)
        if qty > 0
    )
    return attrs.evolve(order, lines=lines, shipment_seq=order.shipment_seq + 1)


def _from_create(
    order: SalesOrder, reference: str, result: CreateOutcome, quantities: tuple[Decimal, ...]
) -> PushOutcome:
    if result.state is LedgerState.SENT:
        status = PushStatus.ALREADY_PRESENT if result.adopted else PushStatus.SENT_FULL
        reason = "found in the warehouse by reference; adopted" if result.adopted else ""
    elif result.state is LedgerState.REJECTED:
        status, reason = PushStatus.REJECTED, result.reason
    else:
        status, reason = PushStatus.FAILED, result.reason
    return PushOutcome(
        order_number=order.order_number,
        status=status,
        reference=reference,
        remote_id=result.remote_id,
        reason=reason,
        reasons=(reason,) if reason else (),
        line_quantities=quantities,
    )


def _from_create_receipt(receipt: Receipt, result: CreateOutcome) -> PushOutcome:
    quantities = tuple(line.expected_quantity for line in receipt.lines)
    return _from_create_generic(receipt.reference, result, quantities)


def _from_create_generic(
    name: str, result: CreateOutcome, quantities: tuple[Decimal, ...]
) -> PushOutcome:
    if result.state is LedgerState.SENT:
        status = PushStatus.ALREADY_PRESENT if result.adopted else PushStatus.SENT_FULL
    elif result.state is LedgerState.REJECTED:
        status = PushStatus.REJECTED
    else:
        status = PushStatus.FAILED
    return PushOutcome(
        order_number=name,
        status=status,
        reference=result.reference,
        remote_id=result.remote_id,
        reason=result.reason,
        reasons=(result.reason,) if result.reason else (),
        line_quantities=quantities,
    )


def _rejected(order: SalesOrder, reference: str, exc: ValidationError) -> PushOutcome:
    reasons = tuple(str(v) for v in exc.violations if v.severity == "error") or (str(exc),)
    return PushOutcome(
        order_number=order.order_number,
        status=PushStatus.REJECTED,
        reference=reference,
        reason="; ".join(reasons),
        reasons=reasons,
    )


def _rejected_receipt(receipt: Receipt, exc: ValidationError) -> PushOutcome:
    reasons = tuple(str(v) for v in exc.violations if v.severity == "error") or (str(exc),)
    return PushOutcome(
        order_number=receipt.reference,
        status=PushStatus.REJECTED,
        reason="; ".join(reasons),
        reasons=reasons,
    )


def _reason(exc: ExtensivError) -> str:
    return str(exc).splitlines()[0][:300]


def _merge_item(current: Any, desired: Any) -> Any:
    """``current`` with the fields the host manages taken from ``desired``; everything else
    (ids, read-only block, fields we do not model) is kept for the PUT."""
    changes = {
        name: getattr(desired, name)
        for name in ("description", "description2", "upc", "cost", "price")
        if getattr(desired, name) is not None
    }
    if desired.options is not None:
        options = current.options or desired.options
        option_changes = {
            name: _merge_unit(getattr(options, name), getattr(desired.options, name))
            for name in ("inventory_unit", "secondary_unit", "package_unit")
            if getattr(desired.options, name) is not None
        }
        changes["options"] = attrs.evolve(options, **option_changes)
    return attrs.evolve(current, **changes)


def _merge_unit(current: Any, desired: Any) -> Any:
    """A unit option with the host's non-empty fields over the warehouse's. A unit named like
    the current one keeps the warehouse's unit id (the host only knows the name), so an
    unchanged product compares equal and is not rewritten."""
    if current is None:
        return desired
    unit = desired.unit_identifier
    have = current.unit_identifier
    if (
        unit is not None
        and have is not None
        and unit.id is None
        and (unit.name or "").casefold() == (have.name or "").casefold()
    ):
        unit = have
    changes = {
        name: getattr(desired, name)
        for name in ("inventory_units_per_unit", "inventory_also", "upc", "imperial", "metric")
        if getattr(desired, name) is not None
    }
    if unit is not None:
        changes["unit_identifier"] = unit
    return attrs.evolve(current, **changes)
