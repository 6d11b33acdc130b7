"""``ChannelStateMachine``: the channel's promises, checked over a real ``Connector`` and sandbox.

A Hypothesis ``RuleBasedStateMachine`` that plays host and warehouse at once: it pushes orders
(exact SKUs, aliases, case variants, packs, second host SKUs, SKUs the warehouse does not
know, several lines), receives and removes stock, ships and short-ships, cancels, changes the
warehouse's allocation timing, restarts the connector on the same store, crashes it in the
middle of a push (after a create; with ``LEDGER_CRASHES`` also after a window of claims or
instead of a group of settles; with ``DEAD_RUNS`` leaving a journal run unfinished), renames
the connection and switches the backorder mode. After every step it checks what the channel
promises (docs/backorders.md, "What the channel promises"):

- **no oversell** (OMS mode): for every warehouse SKU an OMS push sent, the units this channel
  has in open orders that the warehouse has not reserved are at most what it has available;
- **held means short**: a held order or remainder never fits in what is left to promise after
  a push or inventory receipt (it would have been sent), and nothing held is ever lost;
- **exactly once**: each reference exists in the warehouse at most once, and the warehouse
  never holds more of a host order than was ordered;
- **one visible state**: every order the host gave is sent, partly sent with its remainder
  held, held, rejected with a reason (only for a SKU the warehouse lacks) or canceled;
- **honest journal**: a push's journal counts equal the outcomes it returned, and a run a dead
  process left ``running`` stays so exactly until the next run of its action, which closes it
  as failed (``INTERRUPTED_RUN``).

Subclass it to run the same properties against your own store (override :meth:`make_store`;
it must keep state across :meth:`restart`) or with other settings; run it with
``TestChannel = ChannelStateMachine.TestCase`` in a pytest module. Needs the ``testing`` and
``sandbox`` extras.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ..config import ChannelConfig
from ..errors import ConfigError, ExtensivError, ValidationError
from ..models import Address, OrderLine, SalesOrder
from ..sync import (
    INTERRUPTED_RUN,
    Connector,
    EntryKind,
    LedgerKind,
    LedgerState,
    MemoryStore,
    PushResult,
    PushStatus,
    RunStatus,
)
from ..sync.store import StateStore

if TYPE_CHECKING:
    from ..sandbox import Sandbox

__all__ = ["ChannelStateMachine"]

T = TypeVar("T")

_ZERO = Decimal(0)
_SHIP_TO = Address(
    name="Machine Customer",
    address1="1 Main St",
    city="Dallas",
    state="TX",
    postal_code="75201",
    country="US",
)


# Which earlier order or warehouse order a rule acts on: an index drawn independently of the
# state, so replaying an example draws the same data whatever the warehouse looks like.
_PICK = st.integers(0, 1_000)


def _pick(choices: list[T], index: int) -> T | None:
    return choices[index % len(choices)] if choices else None


class _Crash(BaseException):
    """The process dies: not an ``Exception``, so nothing in the library handles it."""


class _DiesInTheLedger:
    """The machine's store, except that the process "dies" at one step of a push's ledger
    work: right after a window of claims committed (nothing of it sent yet), or instead of
    a group of settles (the warehouse has the orders, the ledger still says PENDING)."""

    def __init__(self, inner: StateStore, where: str) -> None:
        self._inner = inner
        self._where = where

    def ledger_begin_many(self, *args: Any, **kwargs: Any) -> Any:
        claims = self._inner.ledger_begin_many(*args, **kwargs)
        if self._where == "after_claims":
            raise _Crash
        return claims

    def ledger_settle_many(self, *args: Any, **kwargs: Any) -> Any:
        if self._where == "in_settles":
            raise _Crash
        return self._inner.ledger_settle_many(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class ChannelStateMachine(RuleBasedStateMachine):
    """System-level properties of one channel; see the module docstring."""

    #: Order-line SKU name -> (warehouse SKU, warehouse units per ordered unit).
    SKU_NAMES: ClassVar[dict[str, tuple[str, int]]] = {
        "A": ("SKU-000001", 1),
        "upc-a": ("SKU-000001", 1),  # an alias, in another case
        "a-6pk": ("SKU-000001", 6),  # a pack, as a case variant
        "A2": ("SKU-000001", 1),  # a second host SKU on the same warehouse SKU
        "B": ("SKU-000002", 1),
        "b": ("SKU-000002", 1),  # a case variant
        "C": ("SKU-000003", 1),
        "GHOST": ("NOT-IN-WAREHOUSE", 1),  # mapped, but the warehouse has no such item
    }
    SKU_MAPPINGS: ClassVar[list[dict[str, Any]]] = [
        {"host_sku": "A", "channel_sku": "SKU-000001", "aliases": ["UPC-A"]},
        {"host_sku": "A-6PK", "channel_sku": "SKU-000001", "pack_factor": 6},
        {"host_sku": "A2", "channel_sku": "SKU-000001"},
        {"host_sku": "B", "channel_sku": "SKU-000002"},
        {"host_sku": "C", "channel_sku": "SKU-000003"},
        {"host_sku": "GHOST", "channel_sku": "NOT-IN-WAREHOUSE"},
    ]
    WAREHOUSE_SKUS: ClassVar[tuple[str, ...]] = ("SKU-000001", "SKU-000002", "SKU-000003")
    INITIAL_STOCK: ClassVar[int] = 12
    #: Also crash between a push's batched claims and its grouped settles (a rule of its own;
    #: off by default so the base machine explores the same examples as before it existed).
    LEDGER_CRASHES: ClassVar[bool] = False
    #: Also let processes die with their journal run unfinished (off by default, as above).
    DEAD_RUNS: ClassVar[bool] = False
    TEMPLATES: ClassVar[tuple[str, ...]] = (
        "{order_number}-{shipment_seq}",
        "{channel}-{order_number}-{shipment_seq}",
        "{order_number}",
    )

    def __init__(self) -> None:
        super().__init__()
        from ..sandbox import Sandbox  # the sandbox extra, loaded when a machine runs

        self.sandbox: Sandbox = Sandbox(
            catalog_size=len(self.WAREHOUSE_SKUS), initial_stock=self.INITIAL_STOCK
        ).start()
        self.store = self.make_store()
        self.name = "machine"
        self.mode = "manage_in_oms"
        self.partial = False
        self.template = self.TEMPLATES[0]
        self.config = self._config()
        self.connector = self._open()
        self.next_number = 1
        self.orders: dict[str, SalesOrder] = {}  # every order the host gave
        self.rejected: set[str] = set()
        self.canceled: set[str] = set()
        self.dead_runs: dict[int, str] = {}  # journal entry id -> action, left running
        self.clock = datetime(2026, 1, 1)

    # ------------------------------------------------------------------ hooks

    def make_store(self) -> StateStore:
        """The store under test; it must keep state when the connector restarts."""
        return MemoryStore()

    def teardown(self) -> None:
        self.connector.close()
        self.store.close()
        self.sandbox.stop()

    # ------------------------------------------------------------------ plumbing

    def _config(self) -> ChannelConfig:
        info = self.sandbox.connection_info()
        general = self.config.general if hasattr(self, "config") else None
        return ChannelConfig.from_dict(
            {
                "general": {
                    "connection_name": self.name,
                    "channel_id": general.channel_id if general else "machine",
                },
                "credentials": info,
                "backorder": {"mode": self.mode, "allow_partial": self.partial},
                "references": {"order_template": self.template},
                "sku_mappings": {"entries": self.SKU_MAPPINGS, "unmapped": "hold"},
                # one create at a time: the same examples replay the same warehouse ids
                "sync": {"max_in_flight": 1},
                "client": {"max_retries": 0},
            },
            environ={},
        )

    def _open(self) -> Connector:
        return Connector(self.config, store=self.store, sleep=lambda _s: None)

    def _order(self, lines: list[tuple[str, int]]) -> SalesOrder:
        number = f"SO-{self.next_number}"
        self.next_number += 1
        self.clock += timedelta(minutes=1)
        return SalesOrder(
            order_number=number,
            lines=[
                OrderLine(sku=sku, quantity=qty, line_reference=str(i + 1))
                for i, (sku, qty) in enumerate(lines)
            ],
            ship_to=_SHIP_TO,
            ordered_at=self.clock,
            carrier="UPS",
            service="03",
        )

    def _warehouse_orders(self) -> list[dict[str, Any]]:
        wh = self.sandbox.warehouse
        with wh.lock:  # the server's threads may still be finishing a request
            return [wh.order_view(r, allocations=True) for r in wh.order_records()]

    def _open_ids(self) -> set[int]:
        return {
            int(d["readOnly"]["orderId"])
            for d in self._warehouse_orders()
            if d["readOnly"]["status"] == 0
        }

    def _unreserved(self) -> dict[str, Decimal]:
        """Per warehouse SKU: units of open orders the warehouse has not allocated."""
        totals: dict[str, Decimal] = {}
        for doc in self._warehouse_orders():
            if doc["readOnly"]["status"] != 0:
                continue
            for line in doc["orderItems"]:
                allocated = sum(
                    (Decimal(str(a["qty"])) for a in line["readOnly"].get("allocations", ())),
                    _ZERO,
                )
                sku = line["itemIdentifier"]["sku"]
                totals[sku] = totals.get(sku, _ZERO) + Decimal(str(line["qty"])) - allocated
        return totals

    def _available(self, sku: str) -> Decimal:
        return Decimal(str(self.sandbox.warehouse.stock(sku)["available"]))

    def _promisable(self) -> dict[str, Decimal]:
        unreserved = self._unreserved()
        return {
            sku: self._available(sku) - unreserved.get(sku, _ZERO) for sku in self.WAREHOUSE_SKUS
        }

    def _needs(self, order: SalesOrder) -> dict[str, Decimal]:
        needs: dict[str, Decimal] = {}
        for line in order.lines:
            sku, factor = self.SKU_NAMES[line.sku]
            needs[sku] = needs.get(sku, _ZERO) + line.quantity * factor
        return needs

    def _knows(self, order: SalesOrder) -> bool:
        return all(self.SKU_NAMES[line.sku][0] in self.WAREHOUSE_SKUS for line in order.lines)

    # ------------------------------------------------------------------ checks after a push

    def _check_push(self, result: PushResult, before: set[int], oms: bool) -> None:
        counts = Counter(o.status.value for o in result.outcomes)
        [run] = self.connector.journal.by_action("push_orders", limit=1)
        assert dict(counts) == {k: v for k, v in run.counts.items() if v}, (
            f"journal counts {run.counts} differ from the outcomes {dict(counts)}"
        )
        for outcome in result.outcomes:
            order = self.orders.get(outcome.order_number)
            if order is None:
                continue
            if outcome.status is PushStatus.REJECTED:
                assert not self._knows(order), (
                    f"{outcome.order_number} rejected though the warehouse knows every SKU:"
                    f" {outcome.reason}"
                )
                assert outcome.reason, "a rejection carries a reason"
                self.rejected.add(outcome.order_number)
            else:
                assert self._knows(order) or outcome.status is PushStatus.FAILED, (
                    f"{outcome.order_number} names a SKU the warehouse lacks but is"
                    f" {outcome.status.value}, not rejected"
                )
                self.rejected.discard(outcome.order_number)
        if oms:
            self._check_no_oversell(before)
            self._check_held_are_short()
        else:
            assert [] == [e.key for e in self.connector.backorders() if self._knows(e.order)], (
                "channel mode sends every held order"
            )

    def _check_no_oversell(self, before: set[int]) -> None:
        new = [
            d
            for d in self._warehouse_orders()
            if int(d["readOnly"]["orderId"]) not in before and d["readOnly"]["status"] == 0
        ]
        touched = {line["itemIdentifier"]["sku"] for d in new for line in d["orderItems"]}
        unreserved = self._unreserved()
        for sku in sorted(touched):
            assert unreserved.get(sku, _ZERO) <= self._available(sku), (
                f"oversold {sku}: {unreserved.get(sku)} sent but unreserved,"
                f" {self._available(sku)} available"
            )

    def _check_held_are_short(self) -> None:
        left = self._promisable()
        for entry in self.connector.backorders():
            needs = self._needs(entry.order)
            if not self._knows(entry.order):
                continue
            fits = all(q <= left.get(sku, _ZERO) for sku, q in needs.items())
            assert not fits, (
                f"{entry.key} is held though stock covers it: needs {needs}, promisable {left}"
            )

    # ------------------------------------------------------------------ invariants

    @invariant()
    def a_dead_run_stays_running_until_the_next_run_of_its_action(self) -> None:
        journal = self.connector.journal
        for entry_id, action in self.dead_runs.items():
            runs = journal.store.journal_query(journal.channel, action=action, kind=EntryKind.RUN)
            [dead] = [e for e in runs if e.entry_id == entry_id]
            later = [
                e
                for e in runs
                if e.entry_id is not None
                and e.entry_id > entry_id
                and e.entry_id not in self.dead_runs
            ]
            if later:
                closed = (dead.status, INTERRUPTED_RUN in dead.errors)
                assert (RunStatus.FAILED, True) == closed, (
                    f"{action} run {entry_id} of a dead process is {dead.status} after a later run"
                )
            else:
                assert RunStatus.RUNNING == dead.status, (
                    f"{action} run {entry_id} was closed ({dead.status}) with no later run"
                )

    @invariant()
    def every_order_is_in_one_visible_state(self) -> None:
        connector = self.connector
        held: dict[str, list[int]] = {}
        for entry in connector.backorders():
            held.setdefault(entry.order_number, []).append(entry.order.shipment_seq)
        sent: dict[str, list[str]] = {}
        for e in connector.store.ledger_list(connector.channel, LedgerKind.ORDER):
            if e.state in (LedgerState.SENT, LedgerState.PENDING, LedgerState.CANCELED):
                sent.setdefault(e.host_key, []).append(e.reference)
        for number in self.orders:
            if number in self.canceled:
                assert number not in held, f"{number} was canceled but is still held"
                continue
            if number in self.rejected:
                continue
            assert number in held or number in sent, (
                f"{number} is lost: not held, not sent, not rejected (channel"
                f" {connector.channel!r})"
            )
            for seq in held.get(number, []):
                try:
                    reference = self.config.references.order.render(number, seq, connector.channel)
                except ValidationError as exc:
                    raise AssertionError(
                        f"{number} shipment {seq} is held but can never be sent: {exc}"
                    ) from exc
                sent_as = connector.store.ledger_get(connector.channel, LedgerKind.ORDER, reference)
                assert sent_as is None or sent_as.state is not LedgerState.SENT, (
                    f"{number} shipment {seq} is both held and sent"
                )

    @invariant()
    def the_warehouse_never_holds_more_than_was_ordered(self) -> None:
        refs: Counter[str] = Counter()
        shipped: dict[str, dict[str, Decimal]] = {}
        for doc in self._warehouse_orders():
            refs[doc["referenceNum"]] += 1
            if doc["readOnly"]["status"] == 2:
                continue  # canceled
            per = shipped.setdefault(doc.get("externalId") or "", {})
            for line in doc["orderItems"]:
                sku = line["itemIdentifier"]["sku"]
                ordered = Decimal(str(line["readOnly"].get("originalPrimaryQty") or line["qty"]))
                per[sku] = per.get(sku, _ZERO) + ordered
        assert [] == [r for r, n in refs.items() if n > 1], f"duplicated references: {refs}"
        for number, per in shipped.items():
            order = self.orders.get(number)
            if order is None:
                continue
            needs = self._needs(order)
            for sku, qty in per.items():
                assert qty <= needs.get(sku, _ZERO), (
                    f"{number}: the warehouse holds {qty} of {sku}, ordered {needs.get(sku)}"
                )

    # ------------------------------------------------------------------ setup

    @initialize(
        allocation=st.sampled_from(["immediate", "late", "none"]),
        template=st.sampled_from(TEMPLATES),
        partial=st.booleans(),
    )
    def choose_warehouse_and_references(
        self, allocation: str, template: str, partial: bool
    ) -> None:
        self._set_allocation(allocation)
        self.template = template
        self.config = self._config()
        self.connector.close()
        self.connector = self._open()
        self._check_remainders_can_be_named()
        self.change_backorder_mode("manage_in_oms", partial)

    def _check_remainders_can_be_named(self) -> None:
        """Whatever partial setting is drawn: a channel that accepts partial shipments with
        this template must be able to name shipment 2."""
        self.partial, kept = True, self.partial
        try:
            config = self._config()
        except ConfigError as exc:
            refused_at: str | None = exc.path
        else:
            refused_at = None
        finally:
            self.partial = kept
        if refused_at is not None:
            assert "references.order_template" == refused_at
            return
        try:
            config.references.order.render("SO-1", 2, config.channel)
        except ValidationError as exc:
            message = f"partial shipments whose remainders cannot be sent: {exc}"
            raise AssertionError(message) from exc

    def _set_allocation(self, allocation: str) -> None:
        warehouse = self.sandbox.warehouse
        warehouse.options = attrs.evolve(warehouse.options, allocation=allocation)

    # ------------------------------------------------------------------ host rules

    @rule(
        lines=st.lists(
            st.lists(
                st.tuples(st.sampled_from(sorted(SKU_NAMES)), st.integers(1, 7)),
                min_size=1,
                max_size=3,
                unique_by=lambda t: t[0],
            ),
            min_size=1,
            max_size=2,
        )
    )
    def push_new_orders(self, lines: list[list[tuple[str, int]]]) -> None:
        # packs in ones and twos (6 or 12 units), everything else in units
        orders = [
            self._order([(s, q if self.SKU_NAMES[s][1] == 1 else 1 + q // 4) for s, q in ls])
            for ls in lines
        ]
        for order in orders:
            self.orders[order.order_number] = order
        self._push(orders)

    @rule(pick=_PICK)
    def push_an_earlier_order_again(self, pick: int) -> None:
        number = _pick(sorted(self.orders), pick)
        if number is None:
            return
        if number in self.canceled:
            return
        self._push([self.orders[number]])

    def _push(self, orders: list[SalesOrder]) -> None:
        before = self._open_ids()
        oms = self.mode == "manage_in_oms"
        result = self.connector.push_orders(orders)
        self._check_push(result, before, oms)

    @rule(pick=_PICK)
    def cancel_an_order(self, pick: int) -> None:
        number = _pick(sorted(self.orders), pick)
        if number is None:
            return
        result = self.connector.cancel_order(number, "customer changed their mind")
        if all(o.status != "refused" for o in result.outcomes):
            self.canceled.add(number)

    @rule(mode=st.sampled_from(["manage_in_oms", "manage_in_channel"]), partial=st.booleans())
    def change_backorder_mode(self, mode: str, partial: bool) -> None:
        old = (self.mode, self.partial)
        self.mode, self.partial = mode, partial
        try:
            config = self._config()
        except ConfigError as exc:
            refused: tuple[object, ...] | None = (
                exc.path,
                partial,
                "shipment_seq" in self.template,
            )
        else:
            refused = None
        if refused is not None:
            # Only partial shipments with references that cannot number remainders are refused.
            assert ("references.order_template", True, False) == refused
            self.mode, self.partial = old
            return
        self.config = config
        self.connector.close()
        self.connector = self._open()

    @rule(name=st.sampled_from(["Acme West", "Acme East", "machine"]))
    def rename_the_connection(self, name: str) -> None:
        """Rename, save the returned config and carry on with it, as a user would."""
        self.config = self.connector.rename(name)
        self.name = name
        self.connector.close()
        self.connector = Connector(self.config, store=self.store, sleep=lambda _s: None)

    @rule()
    def restart(self) -> None:
        self.connector.close()
        self.connector = self._open()

    @precondition(lambda self: self.DEAD_RUNS)
    @rule(action=st.sampled_from(["push_orders", "cancel_order", "receive_inventory_levels"]))
    def a_process_dies_with_its_run_unfinished(self, action: str) -> None:
        """A process is killed mid-run: its journal entry stays ``running`` (and its lease has
        run out by the time the next run comes: the machine does not model the wait)."""
        entry = self.connector.journal.start(action).entry
        assert entry.entry_id is not None
        self.dead_runs[entry.entry_id] = action

    @rule(pick=_PICK)
    def crash_in_the_middle_of_a_push(self, pick: int) -> None:
        """The process dies right after the warehouse created an order (before the answer
        is recorded); a new process on the same store pushes the same orders again."""
        number = _pick(sorted(self.orders), pick)
        if number is None or number in self.canceled:
            return
        orders = [self.orders[number]]
        create = self.connector.client.orders.create

        def dying_create(*args: Any, **kwargs: Any) -> Any:
            create(*args, **kwargs)
            raise _Crash

        self.connector.client.orders.create = dying_create  # type: ignore[method-assign]
        try:
            self.connector.push_orders(orders)
        except _Crash:
            pass
        finally:
            self.connector.client.orders.create = create  # type: ignore[method-assign]
            self.connector.close()
        self.connector = self._open()
        self._push(orders)

    @precondition(lambda self: self.LEDGER_CRASHES)
    @rule(
        pick=_PICK,
        new=st.booleans(),
        where=st.sampled_from(["after_claims", "in_settles"]),
    )
    def crash_between_claims_and_settles(self, pick: int, new: bool, where: str) -> None:
        """The process dies between a push's batched claims and its grouped settles (see
        ``_DiesInTheLedger``); a new process on the same store pushes the same orders again:
        every reference still reaches the warehouse exactly once."""
        if new or not self.orders:
            orders = [self._order([("A", 1)]), self._order([("B", 2), ("C", 1)])]
            for order in orders:
                self.orders[order.order_number] = order
        else:
            number = _pick(sorted(self.orders), pick)
            if number is None or number in self.canceled:
                return
            orders = [self.orders[number]]
        self.connector.close()
        dying = _DiesInTheLedger(self.store, where)
        crashing = Connector(self.config, store=cast(StateStore, dying), sleep=lambda _s: None)
        try:
            crashing.push_orders(orders)
        except _Crash:
            pass
        finally:
            crashing.close()
        self.connector = self._open()
        self._push(orders)

    @rule()
    def receive_inventory_levels(self) -> None:
        before = self._open_ids()
        oms = self.mode == "manage_in_oms"
        result = self.connector.receive_inventory_levels()
        if result.pushed is not None:
            self._check_push_outcomes_only(result.pushed)
        if oms:
            self._check_no_oversell(before)
            self._check_held_are_short()

    def _check_push_outcomes_only(self, result: PushResult) -> None:
        for outcome in result.outcomes:
            order = self.orders.get(outcome.order_number)
            if order is not None and outcome.status is PushStatus.REJECTED:
                assert not self._knows(order), f"{outcome.order_number}: {outcome.reason}"
                self.rejected.add(outcome.order_number)

    @rule()
    def receive_shipments(self) -> None:
        """Shipped orders reach the host: the channel still knows every order it sent."""
        self.connector.receive_shipments()
        closed = {
            d["referenceNum"] for d in self._warehouse_orders() if d["readOnly"]["status"] == 1
        }
        ledger = {
            e.reference for e in self.store.ledger_list(self.connector.channel, LedgerKind.ORDER)
        }
        assert closed <= ledger, (
            f"shipped orders the channel no longer knows (never delivered): {closed - ledger}"
        )

    # ------------------------------------------------------------------ warehouse rules

    @rule(sku=st.sampled_from(WAREHOUSE_SKUS), qty=st.integers(1, 15))
    def receive_stock(self, sku: str, qty: int) -> None:
        self.sandbox.warehouse.receive({sku: qty})

    @rule(sku=st.sampled_from(WAREHOUSE_SKUS), qty=st.integers(1, 6))
    def remove_stock(self, sku: str, qty: int) -> None:
        if self._available(sku) >= qty:
            self.sandbox.warehouse.adjust_stock(sku, -qty)

    @rule(pick=_PICK, short=st.booleans())
    def ship_an_order(self, pick: int, short: bool) -> None:
        order_id = _pick(sorted(self._open_ids()), pick)
        if order_id is None:
            return
        doc, _etag = self.sandbox.warehouse.get_order(order_id)
        shipped = None
        if short:
            line = doc["orderItems"][0]
            shipped = {line["readOnly"]["orderItemId"]: Decimal(str(line["qty"])) - 1}
        with contextlib.suppress(
            ExtensivError
        ):  # SandboxError included  # short of stock: it waits
            self.sandbox.warehouse.ship_order(order_id, shipped=shipped)

    @rule(allocation=st.sampled_from(["immediate", "late", "none"]))
    def change_allocation_timing(self, allocation: str) -> None:
        self._set_allocation(allocation)

    @rule()
    def warehouse_allocates_open_orders(self) -> None:
        self.sandbox.warehouse.allocate_open_orders()
