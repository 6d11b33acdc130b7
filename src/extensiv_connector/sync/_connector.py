"""``Connector``: the channel's sync and quick actions, composed from the client, the pure core
and the state store. The pure modules decide; the flows in ``_push_flows``/``_pull`` carry their
decisions out; this module gives each action its lease, journal run and typed result."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from .. import translate, wire
from ..client import ExtensivClient
from ..client.rql import Expr, field
from ..config import ChannelConfig
from ..errors import ChannelNotEmptyError, ExtensivError, NotFoundError, ValidationError, Violation
from ..mapping import SkuImportResult
from ..models import (
    InventoryLevel,
    Item,
    Order,
    Product,
    Receipt,
    Receiver,
    SalesOrder,
    Shipment,
    ShipmentStatus,
)
from ._errors import LeaseHeldError
from ._inventory import (
    available_to_promise,
    level_changes,
    promisable,
    warehouse_available,
    warehouse_key,
)
from ._items import merge_item
from ._journal import Journal, RunRecorder
from ._outcomes import reason_of
from ._plan import PlannedPush, plan_orders, plan_receipts
from ._pull import ProgressCallback, PullSpec, run_pull, state_key
from ._push_flows import SENT_PREFIX, OrderPush, ReceiptPush
from ._records import BackorderEntry, Fence, LedgerEntry, LedgerKind, LedgerState
from ._results import (
    CancelOutcome,
    CancelResult,
    CheckResult,
    CheckStep,
    InventorySyncResult,
    MappingFinding,
    ProductOutcome,
    ProductResult,
    PullResult,
    PushResult,
)
from ._review import review_carriers, review_skus
from ._scope import ORDERS_LEASE, action_scope, run_lease
from ._snapshot import unreserved_sent
from ._telemetry import ConnectorEvent, EventHook, EventKind, emit
from .store import LeaseHandle, StateStore, hold_lease, open_store

if TYPE_CHECKING:
    from ..webhooks import WebhookReceiver

__all__ = ["ACTIONS", "Connector"]

log = logging.getLogger("extensiv_connector.sync")

_ORDER_DETAIL = "OrderItems,Packages"

#: Every sync and quick action, as journaled.
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
    "cancel_order",
)


def _utc_now() -> datetime:
    # Extensiv timestamps carry no offset; compare naive UTC with naive UTC.
    return datetime.now(timezone.utc).replace(tzinfo=None)


@attrs.define
class _Run:
    """One action in progress: its journal recorder and what every result carries."""

    recorder: RunRecorder
    lease: LeaseHandle
    action: str
    started_at: datetime
    _t0: float

    def common(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "started_at": self.started_at,
            "duration_seconds": time.perf_counter() - self._t0,
            "errors": tuple(self.recorder.errors),
        }


class Connector:
    """One fulfillment channel: push orders, pull what the warehouse did, keep a journal.

    ``store`` defaults to ``open_store(config.sync.store_url)`` (the SQLite file at
    ``sync.state_path`` unless ``sync.state_url`` names another backend); ``client`` defaults to
    ``ExtensivClient.from_config(config)``. What the connector creates it also closes.
    Every action holds a lease (``LeaseHeldError`` if another process runs the same action of
    the same channel) and writes one journal run. Everything that writes the order ledger or
    the backorder queue (``push_orders``, the backorder release of
    ``receive_inventory_levels``, ``cancel_order``) shares one lease per channel, so held
    backorders are released by one path at a time; the release and a cancel wait up to
    ``orders_lease_wait`` seconds for it. ``on_event`` receives a
    :class:`ConnectorEvent` for each action start and finish, acknowledged batch and lease
    refusal (for metrics; see docs/connector.md).
    """

    #: Seconds the backorder release and ``cancel_order`` wait for a running push to finish.
    orders_lease_wait: float = 30.0

    def __init__(
        self,
        config: ChannelConfig,
        store: StateStore | None = None,
        client: ExtensivClient | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        on_event: EventHook | None = None,
    ) -> None:
        self.config = config
        self.on_event = on_event
        self.channel = config.channel
        self._owns_store = store is None
        self._owns_client = client is None
        self.store: StateStore = store if store is not None else open_store(config.sync.store_url)
        if client is None:  # ``sleep`` goes to the client: its retry loop is all that waits
            client = ExtensivClient.from_config(config, sleep=sleep)
        self.client = client
        self.journal = Journal(self.store, self.channel)
        self._clock = clock
        self._converter = wire.make_converter()
        self._overlap = timedelta(minutes=config.sync.overlap_minutes)
        self._start = wire.parse_timestamp(config.sync.initial_cursor)
        self._retry_listener: Callable[[str, str, float], None] | None = None
        if on_event is not None:

            def retried(method: str, path: str, delay: float) -> None:
                self._emit(EventKind.RETRY, "", value=delay, detail=f"{method} {path}")

            self._retry_listener = retried
            self.client.retry_listeners.append(retried)
        self._orders = OrderPush(config, self.store, self.client, self._converter)
        self._receipts = ReceiptPush(config, self.store, self.client, self._converter)

    def __repr__(self) -> str:
        return f"Connector(channel={self.channel!r}, client={self.client!r})"

    def close(self) -> None:
        if self._retry_listener in self.client.retry_listeners:
            self.client.retry_listeners.remove(self._retry_listener)
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

    @contextlib.contextmanager
    def _run(
        self,
        action: str,
        *,
        targeted: bool = False,
        lease: str | None = None,
        wait_seconds: float = 0.0,
    ) -> Iterator[_Run]:
        started, t0 = self._clock(), time.perf_counter()
        name = lease or run_lease(action, targeted=targeted)
        recorder: RunRecorder | None = None
        try:
            with action_scope(
                self.store,
                self.journal,
                self.channel,
                action,
                lease_seconds=self.config.sync.lease_seconds,
                lease=name,
                wait_seconds=wait_seconds,
            ) as scope:
                recorder = scope.recorder
                self._emit(EventKind.ACTION_STARTED, action)
                yield _Run(scope.recorder, scope.lease, action, started, t0)
        except LeaseHeldError as exc:
            if recorder is None:  # refused at the door, not raised by the action itself
                self._emit(EventKind.LEASE_HELD, action, detail=str(exc))
            raise
        finally:
            if recorder is not None:  # the journal run is finished: report what it says
                self._finished(recorder, action, t0)

    def _finished(self, recorder: RunRecorder, action: str, t0: float) -> None:
        status = recorder.entry.status
        self._emit(
            EventKind.ACTION_FINISHED,
            action,
            duration_seconds=time.perf_counter() - t0,
            status=status.value if status is not None else "",
            counts=dict(recorder.counts),
        )

    def _emit(self, kind: str, action: str, **fields: Any) -> None:
        if self.on_event is not None:
            event = ConnectorEvent(kind=kind, channel=self.channel, action=action, **fields)
            emit(self.on_event, event)

    # ------------------------------------------------------------------ orders

    def push_orders(
        self, orders: Iterable[SalesOrder], *, include_backorders: bool = True
    ) -> PushResult:
        """Send sales orders to the warehouse, deciding backorders against one stock snapshot.

        Held (backordered) orders from earlier pushes are re-evaluated in the same allocation
        (oldest first) unless ``include_backorders`` is false. Re-running a push never creates
        a second warehouse order.
        """
        with self._run("push_orders") as run:
            outcomes = self._orders.push(
                list(orders), include_backorders, run.recorder, lease=run.lease
            )
        return PushResult(outcomes=tuple(outcomes), **run.common())

    def plan_orders(
        self, orders: Iterable[SalesOrder], *, include_backorders: bool = True
    ) -> list[PlannedPush]:
        """Dry run of :meth:`push_orders`: each order's decision and the exact payload that
        would be sent. Nothing is sent, recorded or journaled; no lease is taken."""
        return plan_orders(
            list(orders),
            config=self.config,
            store=self.store,
            client=self.client,
            include_backorders=include_backorders,
        )

    def receive_shipments(
        self,
        order_ids: Sequence[int] | None = None,
        handler: Callable[[Shipment], None] | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        keep_records: bool = True,
    ) -> PullResult[Shipment]:
        """Closed warehouse orders pushed by this channel, as host shipments.

        Incremental on ``lastModifiedDate`` with an overlap window; each shipment reaches
        ``handler`` before the cursor moves past it (at least once, with a stable
        ``dedupe_key``). Without a handler the result's records are unacknowledged until
        ``result.ack()``. ``order_ids`` pulls just those orders (webhooks) without moving the
        cursor. ``on_progress(done, total)`` is called as records are examined;
        ``keep_records=False`` (with a handler) keeps them out of the result, for long pulls.
        """
        closed: Expr = (field("readOnly.isClosed") == True) & self._customer()  # noqa: E712 - RQL, not a Python comparison

        def source(since: datetime) -> Iterator[Order]:
            return self.client.orders.list(
                closed & (field("readOnly.lastModifiedDate") >= since),
                sort="readOnly.lastModifiedDate",
                detail=_ORDER_DETAIL,
            )

        def by_id(order_id: int) -> Order:
            return self.client.orders.get(order_id, detail=_ORDER_DETAIL).value

        spec = PullSpec(
            action="receive_shipments",
            source=source,
            modified=lambda o: o.read_only.last_modified_date if o.read_only else None,
            convert=self._shipment,
            dedupe=lambda o: state_key(
                "shipment", o.order_id, o.read_only.last_modified_date if o.read_only else None
            ),
        )
        return self._pull(spec, handler, _fetch_each(order_ids, by_id), on_progress, keep_records)

    def _shipment(self, order: Order) -> Shipment | None:
        read_only = order.read_only
        if read_only is None or not read_only.is_closed:
            return None  # open orders are not shipments yet
        reference = order.reference_num or ""
        entry = self.store.ledger_get(self.channel, LedgerKind.ORDER, reference)
        if entry is None:
            return None  # not pushed by this channel
        sent = self._sent(reference, Order)
        shipment = translate.order_to_shipment(order, self.config, sent, converter=self._converter)
        if shipment.status is ShipmentStatus.CANCELED and entry.state is not LedgerState.CANCELED:
            self.store.ledger_update(
                self.channel, LedgerKind.ORDER, reference, state=LedgerState.CANCELED
            )
        return shipment

    # ------------------------------------------------------------------ receipts

    def send_receipts(self, receipts: Iterable[Receipt]) -> PushResult:
        """Send receipts (ASNs) as receivers, exactly once per reference."""
        with self._run("send_receipts") as run:
            outcomes = self._receipts.push(list(receipts), run.recorder, lease=run.lease)
        return PushResult(outcomes=tuple(outcomes), **run.common())

    def plan_receipts(self, receipts: Iterable[Receipt]) -> list[PlannedPush]:
        """Dry run of :meth:`send_receipts` (payloads, nothing sent or recorded)."""
        return plan_receipts(list(receipts), config=self.config, store=self.store)

    def receive_receipts(
        self,
        receiver_ids: Sequence[int] | None = None,
        handler: Callable[[Receipt], None] | None = None,
        *,
        include_unsent: bool = False,
        on_progress: ProgressCallback | None = None,
        keep_records: bool = True,
    ) -> PullResult[Receipt]:
        """Closed receivers sent by this channel, with received versus expected quantities
        (and lot, serial and expiry per line); delivery, acknowledgement and progress as for
        :meth:`receive_shipments`.

        ``include_unsent`` also delivers receivers created in the warehouse itself (not sent
        by this channel; their expected quantity is the received one unless the warehouse
        kept ``expectedQty``). Off by default: a channel shares the customer with others.
        """
        closed: Expr = (field("readOnly.status") == 1) & self._customer()

        def source(since: datetime) -> Iterator[Receiver]:
            return self.client.receivers.list(
                closed & (field("readOnly.lastModifiedDate") >= since),
                sort="readOnly.lastModifiedDate",
                detail="ReceiveItems",
            )

        def by_id(receiver_id: int) -> Receiver:
            return self.client.receivers.get(receiver_id, detail="ReceiveItems").value

        spec = PullSpec(
            action="receive_receipts",
            source=source,
            modified=lambda r: r.read_only.last_modified_date if r.read_only else None,
            convert=lambda r: self._receipt(r, include_unsent=include_unsent),
            dedupe=lambda r: state_key(
                "receipt", r.receiver_id, r.read_only.last_modified_date if r.read_only else None
            ),
        )
        return self._pull(
            spec, handler, _fetch_each(receiver_ids, by_id), on_progress, keep_records
        )

    def _receipt(self, receiver: Receiver, *, include_unsent: bool = False) -> Receipt | None:
        if receiver.read_only is None or receiver.read_only.status != 1:
            return None
        reference = receiver.reference_num or ""
        if self.store.ledger_get(self.channel, LedgerKind.RECEIPT, reference) is None:
            if not include_unsent:
                return None  # not sent by this channel
            return translate.receiver_to_receipt(receiver, self.config)
        # What was sent gives the expected quantities when the warehouse does not keep them.
        planned = self._sent(reference, Receiver)
        sent = translate.receiver_to_receipt(planned, self.config) if planned else None
        return translate.receiver_to_receipt(receiver, self.config, sent)

    # ------------------------------------------------------------------ inventory

    def receive_inventory_levels(
        self,
        skus: Sequence[str] | None = None,
        handler: Callable[[InventoryLevel], None] | None = None,
        *,
        release_backorders: bool = True,
        detail: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> PullResult[InventoryLevel]:
        """Warehouse stock per host SKU. Held backorders are re-evaluated against it (and sent
        when covered) unless ``release_backorders`` is false. Levels keep no cursor, so
        ``ack()`` on the result does nothing. ``on_progress(done, total)`` counts the stock
        rows as they stream (``total`` None), then once more with the final count.

        The release runs under the channel's orders lease. If a push still holds it after
        ``orders_lease_wait`` seconds, the release is deferred (that push re-evaluates the
        held orders itself): ``pushed`` is ``None`` and the journal counts ``release_deferred``.

        ``detail="lots"``: one level per SKU, lot number and expiry date (from stock details),
        ``available`` counting only sellable stock (held and quarantined rows are ``on_hold``).
        """
        if detail not in (None, "lots"):
            raise ValidationError(
                [Violation("detail", f"expected None or 'lots', got {str(detail)[:20]!r}")],
                "receive_inventory_levels",
            )
        with self._run("receive_inventory_levels", targeted=skus is not None) as run:
            summaries = (
                None
                if detail == "lots"
                else list(_counted(self.client.inventory.stock_summaries(), on_progress))
            )
            translation = (
                translate.stock_details_to_lot_levels(
                    _counted(self.client.inventory.stock_details(), on_progress), self.config
                )
                if summaries is None
                else translate.stock_summaries_to_inventory(summaries, self.config)
            )
            wanted = set(skus) if skus is not None else None
            levels = [lvl for lvl in translation.levels if wanted is None or lvl.sku in wanted]
            for level in levels:
                if handler is not None:
                    handler(level)
            for violation in translation.violations:
                run.recorder.error(str(violation))
            run.recorder.count("received", len(levels))
            pushed: PushResult | None = None
            if release_backorders and self.store.backorder_list(self.channel):
                # What may be promised: per warehouse SKU, minus sent-but-unreserved (lot
                # levels do not give it: the push then takes its own snapshot).
                stock = (
                    None
                    if summaries is None
                    else promisable(
                        warehouse_available(summaries),
                        unreserved_sent(self.client, self.config, self.store),
                    )
                )
                pushed = self._release(stock, run.recorder)
        return PullResult(records=tuple(levels), pushed=pushed, **run.common())

    def _release(
        self, stock: Mapping[str, Decimal] | None, recorder: RunRecorder
    ) -> PushResult | None:
        """Re-evaluate held backorders against ``stock`` under the orders lease (one release
        per channel at a time); ``None`` when a running push kept the lease (deferred)."""
        t0, started = time.perf_counter(), self._clock()
        try:
            with hold_lease(
                self.store,
                self.channel,
                ORDERS_LEASE,
                ttl_seconds=self.config.sync.lease_seconds,
                wait_seconds=self.orders_lease_wait,
            ) as lease:
                outcomes = self._orders.push([], True, recorder, stock, lease=lease)
        except LeaseHeldError:
            recorder.count("release_deferred")
            log.info("backorder release deferred: a push of channel %s is running", self.channel)
            return None
        return PushResult(
            action="push_orders",
            started_at=started,
            duration_seconds=time.perf_counter() - t0,
            outcomes=tuple(outcomes),
        )

    def synchronize_inventory(
        self, host_levels: Mapping[str, Decimal | int]
    ) -> InventorySyncResult:
        """Available-to-promise per SKU for the host: warehouse available, minus what this
        channel sent that the warehouse has not allocated yet, minus the safety buffer, never
        below zero. ``config.sync.inventory_mode`` says whether the host applies absolute
        levels or deltas (both are in the result)."""
        with self._run("synchronize_inventory") as run:
            summaries = list(self.client.inventory.stock_summaries())
            levels = translate.stock_summaries_to_inventory(summaries, self.config).levels
            in_flight = unreserved_sent(self.client, self.config, self.store)
            names = {
                warehouse_key(s.item_identifier.sku or ""): s.item_identifier.sku or ""
                for s in summaries
            }
            warehouse = self._host_view(
                promisable(warehouse_available(summaries), in_flight), names
            )
            policy = self.config.backorder
            atp = available_to_promise(
                warehouse, {}, policy.safety_buffer, policy.default_safety_buffer
            )
            changes = level_changes(atp, {sku: Decimal(q) for sku, q in host_levels.items()})
            result = InventorySyncResult(
                mode=self.config.sync.inventory_mode,
                changes=changes,
                levels=levels,
                action="synchronize_inventory",
                started_at=run.started_at,
                duration_seconds=0.0,
            )
            for name, value in result.counts.items():
                run.recorder.count(name, value)
        return attrs.evolve(result, **run.common())

    def _host_view(
        self, promisable_stock: Mapping[str, Decimal], names: Mapping[str, str]
    ) -> dict[str, Decimal]:
        """Warehouse stock (per ``warehouse_key``, primary units) as whole host units per host
        SKU: the SKU each warehouse SKU maps back to, and every mapped host SKU (packs too)."""
        skus = self.config.sku_mappings
        result: dict[str, Decimal] = {}
        for key, amount in promisable_stock.items():
            back = skus.to_host(names.get(key, key))
            if not back.held:
                result[back.sku] = result.get(back.sku, Decimal(0)) + amount // back.pack_factor
        for entry in skus.entries:
            shared = promisable_stock.get(warehouse_key(entry.channel_sku))
            if shared is not None:
                result[entry.host_sku] = shared // entry.pack_factor
        return result

    # ------------------------------------------------------------------ products

    def import_products(
        self,
        skus: Sequence[str] | None = None,
        handler: Callable[[Product], None] | None = None,
        *,
        aliases: bool = False,
        on_progress: ProgressCallback | None = None,
        keep_records: bool = True,
    ) -> PullResult[Product]:
        """Warehouse items as host products, incrementally (or just ``skus``); delivery,
        acknowledgement and progress as for :meth:`receive_shipments`.

        ``aliases``: first seed the SKU mapping from the warehouse's item aliases
        (:meth:`seed_sku_aliases`), so products and later pulls resolve them.
        """
        if aliases:
            self.seed_sku_aliases()

        def source(since: datetime) -> Iterator[Item]:
            return self.client.items.list(
                field("readOnly.lastModifiedDate") >= since, sort="readOnly.lastModifiedDate"
            )

        def by_sku(sku: str) -> Item | None:
            channel_sku = self.config.sku_mappings.to_channel(sku, "sku")
            return self.client.items.find_by_sku(channel_sku.sku or sku)

        spec = PullSpec(
            action="import_products",
            source=source,
            modified=lambda i: i.read_only.last_modified_date if i.read_only else None,
            convert=lambda item: translate.item_to_product(item, self.config),
            dedupe=lambda i: state_key(
                "item", i.item_id, i.read_only.last_modified_date if i.read_only else None
            ),
        )
        return self._pull(spec, handler, _fetch_each(skus, by_sku), on_progress, keep_records)

    def seed_sku_aliases(self, *, dry_run: bool = False) -> SkuImportResult:
        """Add the warehouse's item aliases (``GET /customers/{id}/itemaliases``) to the SKU
        mapping this connector uses (``config.sku_mappings``; see
        :meth:`SkuMapping.with_aliases`). Persist ``result.mapping`` (e.g. ``export_csv``) to
        keep it; with ``dry_run`` nothing changes."""
        pairs = []
        for alias in self.client.items.aliases():
            if alias.active is False or len(alias.details) != 1:
                continue  # an inactive alias, or a kit of several items: not a SKU synonym
            detail = alias.details[0]
            if alias.alias_identifier.sku and detail.item_identifier.sku:
                pairs.append(
                    (
                        alias.alias_identifier.sku,
                        detail.item_identifier.sku,
                        detail.qty if detail.qty is not None else Decimal(1),
                    )
                )
        result = self.config.sku_mappings.with_aliases(pairs, dry_run=dry_run)
        if not dry_run:
            self.config = attrs.evolve(self.config, sku_mappings=result.mapping)
            self._orders.config = self._receipts.config = self.config
        return result

    def export_products(self, products: Iterable[Product]) -> ProductResult:
        """Create the products the warehouse lacks and update the ones that differ."""
        outcomes: list[ProductOutcome] = []
        with self._run("export_products") as run:
            for product in products:
                outcome = self._export_one(product)
                outcomes.append(outcome)
                run.recorder.count(outcome.status)
                run.recorder.touch(product.sku)
                if outcome.status == "rejected":
                    run.recorder.error(f"{product.sku}: {outcome.reason}")
        return ProductResult(outcomes=tuple(outcomes), **run.common())

    def _export_one(self, product: Product) -> ProductOutcome:
        try:
            item = translate.product_to_item(product, self.config, converter=self._converter)
            sku = item.sku or product.sku
            existing = self.client.items.find_by_sku(sku)
            if existing is None:
                try:
                    created_id = self.client.items.create(item).value.item_id
                except ExtensivError:
                    # Ambiguous or duplicate: the SKU is the natural key, so look it up.
                    found = self.client.items.find_by_sku(sku)
                    if found is None:
                        raise
                    created_id = found.item_id
                return ProductOutcome(sku=product.sku, status="created", item_id=created_id)
            if existing.item_id is None:
                raise NotFoundError(404, "item has no id", path="/customers/items")
            if merge_item(existing, item) == existing:
                return ProductOutcome(sku=product.sku, status="unchanged", item_id=existing.item_id)
            self.client.items.update(existing.item_id, lambda current: merge_item(current, item))
            return ProductOutcome(sku=product.sku, status="updated", item_id=existing.item_id)
        except ExtensivError as exc:
            return ProductOutcome(sku=product.sku, status="rejected", reason=reason_of(exc))

    # ------------------------------------------------------------------ withdrawals

    def backorders(self) -> list[BackorderEntry]:
        """Shipments held as backordered, oldest first (``entry.order``, ``entry.reason``,
        ``entry.held_since``): what the host shows as "contains backordered lines"."""
        return self.store.backorder_list(self.channel)

    def cancel_order(self, order_number: str, reason: str) -> CancelResult:
        """The host canceled ``order_number``: withdraw its held shipments and cancel the ones
        sent to the warehouse (``POST /orders/{id}/canceler`` with ``If-Match``).

        A shipment the warehouse refuses to cancel (already confirmed, in a pick job) is
        reported as ``refused`` with the warehouse's reason; nothing else changes for it.
        """
        outcomes: list[CancelOutcome] = []
        # Under the orders lease: a push or release cannot send what is being withdrawn.
        with self._run("cancel_order", wait_seconds=self.orders_lease_wait) as run:
            fence = run.lease.fence
            for held in self.store.backorder_list(self.channel):
                if held.order_number == order_number:
                    self.store.backorder_remove(self.channel, held.key, fence=fence)
                    outcomes.append(CancelOutcome(reference=held.key, status="withdrawn"))
            ledger = self.store.ledger_list(self.channel, LedgerKind.ORDER)
            for pushed in (e for e in ledger if e.host_key == order_number):
                run.lease.check()
                outcomes.append(self._cancel_sent(pushed, reason, fence))
            for outcome in outcomes:
                run.recorder.count(outcome.status)
                run.recorder.touch(order_number, outcome.reference)
                if outcome.status == "refused":
                    run.recorder.error(f"{outcome.reference}: {outcome.reason}")
        return CancelResult(order_number=order_number, outcomes=tuple(outcomes), **run.common())

    def _cancel_sent(self, entry: LedgerEntry, reason: str, fence: Fence) -> CancelOutcome:
        if entry.state is LedgerState.CANCELED:
            return CancelOutcome(
                reference=entry.reference, status="already_canceled", remote_id=entry.remote_id
            )
        if entry.state is not LedgerState.SENT or entry.remote_id is None:
            # Held, rejected or never resolved: nothing exists in the warehouse to cancel.
            self.store.ledger_update(
                self.channel,
                LedgerKind.ORDER,
                entry.reference,
                state=LedgerState.CANCELED,
                fence=fence,
            )
            return CancelOutcome(reference=entry.reference, status="withdrawn")
        try:
            self.client.orders.cancel(entry.remote_id, reason)
        except ExtensivError as exc:
            if getattr(exc, "error_code", "") != "OrderCanceled":
                return CancelOutcome(
                    reference=entry.reference,
                    status="refused",
                    remote_id=entry.remote_id,
                    reason=reason_of(exc),
                )
        self.store.ledger_update(
            self.channel, LedgerKind.ORDER, entry.reference, state=LedgerState.CANCELED, fence=fence
        )
        return CancelOutcome(
            reference=entry.reference, status="canceled", remote_id=entry.remote_id
        )

    # ------------------------------------------------------------------ quick actions

    def check_connection(self) -> CheckResult:
        """Health check: token, customer, facility, carriers and stock are reachable."""
        creds = self.config.credentials
        steps: list[CheckStep] = []

        def step(name: str, probe: Callable[[], str]) -> bool:
            try:
                steps.append(CheckStep(name, True, probe()))
            except ExtensivError as exc:
                steps.append(CheckStep(name, False, reason_of(exc)))
            return steps[-1].passed

        def customer() -> str:
            found = self.client.customers.get(creds.customer_id).value
            return f"customer {found.customer_id} visible"

        def facility() -> str:
            ids = {f.facility_id for f in self.client.facilities.list()}
            if creds.facility_id not in ids:
                raise NotFoundError(404, f"facility {creds.facility_id} not visible")
            return f"facility {creds.facility_id} visible"

        findings: list[MappingFinding] = []

        def carriers() -> str:
            known = list(self.client.carriers.list())
            found = review_carriers(self.config.carrier_mappings, known)
            findings.extend(found)
            if found:
                raise ValidationError([], f"{len(found)} carrier mapping row(s) not honoured")
            return f"{len(known)} carriers; every carrier mapping row is known"

        def stock() -> str:
            first = next(iter(self.client.inventory.stock_summaries(page_size=1)), None)
            return "stock summaries readable" + ("" if first else " (empty)")

        def skus() -> str:
            catalog = {warehouse_key(item.sku or "") for item in self.client.items.list()}
            found = review_skus(self.config.sku_mappings, catalog)
            findings.extend(found)
            if found:
                raise ValidationError([], f"{len(found)} SKU mapping row(s) not in the catalog")
            return f"{len(self.config.sku_mappings.entries)} SKU mapping rows in the catalog"

        with self._run("check_connection") as run:
            if step("customer", customer):  # the token works: the rest is worth asking
                step("facility", facility)
                step("carriers", carriers)
                step("stock", stock)
                if self.config.sku_mappings.entries:
                    step("sku mappings", skus)
            for name, passed, detail in steps:
                run.recorder.count("passed" if passed else "failed")
                if not passed:
                    run.recorder.error(f"{name}: {detail}")
            for finding in findings:
                run.recorder.error(f"{finding.path}: {finding.message}")
        return CheckResult(steps=tuple(steps), findings=tuple(findings), **run.common())

    def prune(
        self,
        *,
        keep_runs: int = 5000,
        forget_after: timedelta = timedelta(days=30),
        forget_sent_after: timedelta | None = None,
    ) -> dict[str, int]:
        """Bound the state that only grows (see docs/state.md, "Retention"). Returns how many
        entries of each kind were dropped.

        * journal: the newest ``keep_runs`` entries are kept;
        * webhook event ids and targeted-delivery marks: forgotten after ``forget_after``
          (Extensiv retries a webhook for about six hours; a month-old mark protects nothing);
        * ledger entries that sent nothing (``REJECTED``, ``HELD``): forgotten after
          ``pii.retention_days`` (``forget_after`` when that is 0). A re-push validates again
          and claims afresh, exactly as it would over the kept entry;
        * ledger entries that reached the warehouse (``SENT``, ``CANCELED``): forgotten only
          after ``forget_sent_after``, which the host passes once it will neither push those
          orders again nor expect shipments for them (a forgotten entry cannot stop a re-push
          from creating a second order, and its shipments are no longer recognised);
        * ``PENDING`` entries (outcome unknown) and held backorders (live orders) never;
        * each forgotten ledger entry's ``sent:`` baseline goes with it.

        Runs under the channel's orders lease, so no push writes while it prunes.
        """
        now = self._clock().replace(tzinfo=timezone.utc)
        retention = self.config.pii.retention_days
        unsent_cutoff = now - (timedelta(days=retention) if retention else forget_after)
        cutoffs = {LedgerState.REJECTED: unsent_cutoff, LedgerState.HELD: unsent_cutoff}
        if forget_sent_after is not None:
            cutoffs[LedgerState.SENT] = cutoffs[LedgerState.CANCELED] = now - forget_sent_after
        with hold_lease(
            self.store,
            self.channel,
            ORDERS_LEASE,
            ttl_seconds=self.config.sync.lease_seconds,
            wait_seconds=self.orders_lease_wait,
        ):
            doomed = [
                e
                for e in self.store.ledger_list(self.channel, states=cutoffs)
                if e.updated_at < cutoffs[e.state]
            ]
            baselines = self.store.kv_delete(
                self.channel, [SENT_PREFIX + e.reference for e in doomed]
            )
            ledger = 0
            for state, cutoff in cutoffs.items():
                ledger += self.store.ledger_prune(
                    self.channel, states=[state], updated_before=cutoff
                )
        return {
            "journal": self.store.journal_prune(self.channel, keep_last=keep_runs),
            "events": self.store.forget_events(self.channel, seen_before=now - forget_after),
            "ledger": ledger,
            "baselines": baselines,
        }

    def delete_channel(self, force: bool = False) -> None:
        """The Delete quick action: forget every piece of this channel's state.

        Held orders and remainders of partial shipments exist nowhere else: while there are
        any, this raises :class:`~extensiv_connector.errors.ChannelNotEmptyError` listing them
        unless ``force`` is true (CLI: ``delete --yes``).

        It holds the channel's push leases while it deletes (waiting up to
        ``orders_lease_wait`` for a running push, else ``LeaseHeldError``): deleting a lease
        row lets anyone take it at once, and a pusher trusts its lease without reading it
        until it could have expired (``LeaseTrust``)."""
        with contextlib.ExitStack() as leases:
            for name in (ORDERS_LEASE, "send_receipts"):
                leases.enter_context(
                    hold_lease(
                        self.store,
                        self.channel,
                        name,
                        ttl_seconds=self.config.sync.lease_seconds,
                        wait_seconds=self.orders_lease_wait,
                        renew_every=0,
                    )
                )
            held = [entry.key for entry in self.store.backorder_list(self.channel)]
            if held and not force:
                raise ChannelNotEmptyError(self.channel, held)
            self.store.delete_channel(self.channel)

    def rename(self, new_name: str) -> ChannelConfig:
        """Change the connection's display name; returns the new configuration.

        The channel id (``general.channel_id``), which keys the state, the ledger and
        ``{channel}`` in references, stays what it was, so held orders, the journal and
        shipments of earlier orders carry on. Save the returned config (``to_toml``): it
        pins the id, so later processes use the same one."""
        general = attrs.evolve(
            self.config.general, connection_name=new_name, channel_id=self.channel
        )
        config = attrs.evolve(self.config, general=general)
        old_name = self.config.general.connection_name
        self.config = self._orders.config = self._receipts.config = config
        self.journal.log(f"connection renamed from {old_name!r} to {new_name!r}")
        return config

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

    def _customer(self) -> Expr:
        return field("readOnly.customerIdentifier.id") == self.config.credentials.customer_id

    def _sent(self, reference: str, cls: type[Any]) -> Any:
        """The payload sent under ``reference``, as a model (``None`` if not recorded)."""
        text = self.store.kv_get(self.channel, SENT_PREFIX + reference)
        return self._converter.structure(wire.loads(text), cls) if text else None

    def _pull(
        self,
        spec: PullSpec[Any],
        handler: Callable[[Any], None] | None,
        targeted: Iterator[Any] | None,
        on_progress: ProgressCallback | None,
        keep_records: bool,
    ) -> PullResult[Any]:
        with self._run(spec.action, targeted=targeted is not None) as run:
            pulled = run_pull(
                spec,
                store=self.store,
                channel=self.channel,
                overlap=self._overlap,
                start=self._start,
                run=run.recorder,
                handler=handler,
                targeted=targeted,
                on_progress=on_progress,
                keep_records=keep_records,
            )
        delivery = pulled.delivery

        def acknowledge() -> int:
            written = delivery.ack()
            if written:
                self._emit(EventKind.RECORDS_ACKNOWLEDGED, spec.action, value=written)
            return written

        if handler is not None and delivery.acknowledged:
            self._emit(EventKind.RECORDS_ACKNOWLEDGED, spec.action, value=delivery.acknowledged)
        return PullResult(
            records=pulled.records,
            skipped=pulled.skipped,
            rejected=pulled.rejected,
            received=pulled.received,
            acknowledge=acknowledge,
            **run.common(),
        )


def _counted(records: Iterable[Any], on_progress: ProgressCallback | None) -> Iterator[Any]:
    """``records``, reporting ``on_progress(n, None)`` per record and ``(n, n)`` at the end."""
    done = 0
    for record in records:
        done += 1
        if on_progress is not None:
            on_progress(done, None)
        yield record
    if on_progress is not None:
        on_progress(done, done)


def _fetch_each(keys: Sequence[Any] | None, fetch: Callable[[Any], Any]) -> Iterator[Any] | None:
    """Targeted records, one lookup each; records the warehouse no longer has are skipped."""
    if keys is None:
        return None

    def records() -> Iterator[Any]:
        for key in keys:
            try:
                record = fetch(key)
            except NotFoundError:
                continue
            if record is not None:
                yield record

    return records()
