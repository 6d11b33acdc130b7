"""``extensiv-connector demo``: every sync action end to end against the embedded sandbox.

No credentials and no network beyond loopback. Each step prints what it did, so the output
doubles as a tour of the library.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import attrs

from ._cli_io import Progress
from .backorder import BackorderMode, BackorderPolicy
from .config import ChannelConfig
from .models import Address, OrderLine, Product, Receipt, ReceiptLine, SalesOrder, Shipment
from .sandbox import Sandbox
from .sync import (
    Connector,
    LedgerKind,
    LedgerState,
    PushResult,
    PushStatus,
    SQLiteStore,
    StateStore,
)

__all__ = ["run_demo"]

_SHIP_TO = Address(
    name="Demo Customer",
    address1="1 Main St",
    city="Dallas",
    state="TX",
    postal_code="75201",
    country="US",
)


class _Printer:
    def __init__(self, out: TextIO, *, progress: bool = False) -> None:
        self._out = out
        self._step = 0
        self._progress = progress

    def progress(self, label: str) -> Progress:
        return Progress(sys.stderr, label, enabled=self._progress)

    def step(self, title: str) -> None:
        self._step += 1
        self._out.write(f"\n[{self._step}] {title}\n")
        self._out.flush()

    def line(self, text: str) -> None:
        self._out.write(f"    {text}\n")
        self._out.flush()


def _order(number: str, sku: str, qty: int | Decimal, hour: int) -> SalesOrder:
    return SalesOrder(
        order_number=number,
        lines=[OrderLine(sku=sku, quantity=qty, line_reference="1")],
        ship_to=_SHIP_TO,
        ordered_at=datetime(2026, 11, 1, hour),
        carrier="UPS",
        service="03",
    )


def run_demo(
    out: TextIO,
    *,
    catalog_size: int = 25,
    state_dir: Path | None = None,
    progress: bool = False,
) -> int:
    """Run the demo, writing its tour to ``out`` (and, with ``progress``, a progress line for
    long steps to stderr). ``state_dir`` keeps the SQLite state there. Returns an exit code."""
    p = _Printer(out, progress=progress)
    with tempfile.TemporaryDirectory(prefix="extensiv-demo-") as tmp:
        state_path = (state_dir or Path(tmp)) / "demo-state.sqlite3"
        p.step("Starting the Extensiv-compatible sandbox on loopback")
        with Sandbox(catalog_size=catalog_size, initial_stock=10) as sb:
            p.line(
                f"sandbox at {sb.base_url}, customer {sb.credentials.customer_id}, "
                f"facility {sb.credentials.facility_id}, {catalog_size} SKUs with 10 each"
            )
            store = SQLiteStore(str(state_path))
            try:
                code = _cycle(p, sb, store)
            finally:
                store.close()
            p.step("Done")
            if state_dir is None:
                p.line("state was kept in a temporary SQLite file, removed now")
                p.line("(run with --keep-state DIR to keep it and browse it with 'journal')")
            else:
                p.line(f"state kept in SQLite at {state_path}")
            return code


def _cycle(p: _Printer, sb: Sandbox, store: StateStore) -> int:
    base: ChannelConfig = sb.config
    warehouse = sb.warehouse
    failures: list[str] = []

    def status_of(result: PushResult, order_number: str) -> PushStatus | None:
        outcome = result.outcome_for(order_number)
        return outcome.status if outcome is not None else None

    def expect(condition: bool, what: str) -> None:
        if not condition:
            failures.append(what)
            p.line(f"!! unexpected: {what}")

    opened: list[Connector] = []

    def connector_with(policy: BackorderPolicy) -> Connector:
        connector = Connector(attrs.evolve(base, backorder=policy), store=store)
        opened.append(connector)
        return connector

    main = connector_with(BackorderPolicy())
    try:
        p.step("Quick action: check connection")
        check = main.check_connection()
        for name, passed, detail in check.steps:
            p.line(f"{'ok ' if passed else 'FAIL'} {name}: {detail}")
        expect(check.ok, "connection check passed")

        p.step("Sync: import products from the channel")
        bar = p.progress("import products")
        imported = main.import_products(on_progress=bar)
        bar.close()
        imported.ack()  # the demo has the records: the next import starts after them
        p.line(f"{len(imported.records)} products imported, e.g. {imported.records[0].sku}")

        p.step("Sync: export products to the channel")
        exported = main.export_products(
            [
                Product(
                    sku="DEMO-NEW-1",
                    description="Demo widget",
                    upc="000111222333",
                    weight=Decimal("1.5"),
                    weight_unit="lb",
                    length=Decimal(10),
                    width=Decimal(8),
                    height=Decimal(4),
                    dimension_unit="in",
                ),
                attrs.evolve(imported.records[0], description="Renamed by the OMS"),
                imported.records[1],
            ]
        )
        for outcome in exported.outcomes:
            p.line(f"{outcome.sku}: {outcome.status}")
        expect(exported.counts["created"] == 1, "one product created")

        p.step("Sync: receive inventory levels")
        levels = main.receive_inventory_levels()
        stock = {lvl.sku: lvl.available for lvl in levels.records}
        for level in levels.records[:3]:
            p.line(f"{level.sku}: available {level.available}, on hand {level.on_hand}")
        p.line(f"... {len(levels.records)} SKUs in all")
        skus = sorted(stock)

        p.step("Push sales orders: backorders managed in the OMS, no partial shipments")
        strict = connector_with(
            BackorderPolicy(mode=BackorderMode.MANAGE_IN_OMS, allow_partial=False)
        )
        result = strict.push_orders(
            [_order("SO-1001", skus[0], 4, 8), _order("SO-1002", skus[1], 15, 9)]
        )
        _show_push(p, result)
        expect(status_of(result, "SO-1002") is PushStatus.HELD, "SO-1002 held")

        p.step("Push sales orders: managed in the OMS, partial shipments allowed")
        partial = connector_with(
            BackorderPolicy(mode=BackorderMode.MANAGE_IN_OMS, allow_partial=True)
        )
        result = partial.push_orders([_order("SO-1003", skus[2], 14, 10)], include_backorders=False)
        _show_push(p, result)
        expect(status_of(result, "SO-1003") is PushStatus.SENT_PARTIAL, "SO-1003 partial")

        p.step("Push sales orders: backorders managed in the fulfillment channel")
        channel = connector_with(BackorderPolicy(mode=BackorderMode.MANAGE_IN_CHANNEL))
        result = channel.push_orders([_order("SO-1004", skus[3], 12, 11)], include_backorders=False)
        _show_push(p, result)
        expect(status_of(result, "SO-1004") is PushStatus.SENT_FULL, "SO-1004 sent full")

        p.step("Push the same orders again: nothing is sent twice")
        again = strict.push_orders([_order("SO-1001", skus[0], 4, 8)], include_backorders=False)
        _show_push(p, again)
        expect(again.outcomes[0].status is PushStatus.ALREADY_PRESENT, "re-push already present")

        p.step("Warehouse ships two orders (one short-shipped)")
        sent = _sent_ids(store, base.channel)
        full_id, short_id = sent["SO-1001-1"], sent["SO-1003-1"]
        warehouse.ship_order(full_id, tracking_number="1ZDEMO0000000001")
        warehouse.ship_order(short_id, shipped={skus[2]: 7}, tracking_number="1ZDEMO0000000002")
        p.line(f"SO-1001 (warehouse order {full_id}) shipped in full")
        p.line(f"SO-1003 (warehouse order {short_id}) short-shipped: 7 of the 10 sent")

        p.step("Sync: receive shipments")
        shipments: list[Shipment] = []
        received = main.receive_shipments(handler=shipments.append)
        for shipment in received.records:
            lines = ", ".join(
                f"{ln.sku} {ln.shipped_quantity}/{ln.ordered_quantity}" for ln in shipment.lines
            )
            changes = ", ".join(c.kind.value for c in shipment.changes) or "none"
            p.line(
                f"{shipment.reference}: {shipment.status.value}, tracking "
                f"{', '.join(shipment.tracking_numbers)}; shipped {lines}; changes: {changes}"
            )
        expect(len(shipments) == 2, "two shipments received")
        repeat = main.receive_shipments()
        p.line(f"receiving again: {len(repeat.records)} new, {repeat.skipped} already delivered")

        p.step("Sync: send a receipt (ASN) for the backordered SKU")
        receipt = Receipt(
            reference="ASN-2001",
            lines=[ReceiptLine(sku=skus[1], expected_quantity=20, line_reference="1")],
            po_number="PO-77",
        )
        sent_receipts = main.send_receipts([receipt])
        _show_push(p, sent_receipts)
        receiver_id = sent_receipts.outcomes[0].remote_id
        expect(receiver_id is not None, "receipt sent")
        warehouse.confirm_receiver(receiver_id or 0, received={skus[1]: 18})
        p.line(f"warehouse confirmed receiver {receiver_id}: 18 of 20 received")

        p.step("Sync: receive receipts")
        receipts = main.receive_receipts()
        receipts.ack()
        for got in receipts.records:
            for line in got.lines:
                p.line(
                    f"{got.reference}: {line.sku} expected {line.expected_quantity}, "
                    f"received {line.received_quantity} (variance {line.variance})"
                )
        expect(len(receipts.records) == 1, "one receipt received")

        p.step("Sync: receive inventory levels (re-evaluates backorders)")
        levels = strict.receive_inventory_levels()
        now = {lv.sku: lv.available for lv in levels.records}
        p.line(f"{len(levels.records)} SKUs; {skus[1]} now {now[skus[1]]}")
        if levels.pushed is not None:
            _show_push(p, levels.pushed)
            released = status_of(levels.pushed, "SO-1002")
            expect(released is PushStatus.SENT_FULL, "SO-1002 released")

        p.step("Sync: synchronize inventory (available to promise)")
        host_levels = {sku: Decimal(10) for sku in skus[:5]}
        sync = main.synchronize_inventory(host_levels)
        for change in sync.changes[:5]:
            p.line(
                f"{change.sku}: promise {change.available_to_promise} "
                f"(host had {change.host_level}, delta {change.delta:+})"
            )

        p.step("Sync actions journal")
        for action, summary in sorted(main.journal.summaries().items()):
            counts = ", ".join(f"{k}={v}" for k, v in sorted(summary.last_counts.items()))
            status = summary.last_status.value if summary.last_status else "-"
            p.line(f"{action:<26} {status:<8} {counts}")
    finally:
        for connector in opened:
            connector.close()

    if failures:
        p.step("Demo finished with unexpected results")
        for failure in failures:
            p.line(failure)
        return 1
    return 0


def _show_push(p: _Printer, result: PushResult) -> None:
    for outcome in result.outcomes:
        qty = "/".join(str(q) for q in outcome.line_quantities)
        extra = f" qty {qty}" if qty else ""
        ref = f" as {outcome.reference}" if outcome.reference else ""
        why = f" — {outcome.reason}" if outcome.reason else ""
        p.line(f"{outcome.order_number}: {outcome.status.value}{ref}{extra}{why}")


def _sent_ids(store: StateStore, channel: str) -> dict[str, int]:
    """Reference -> warehouse order id of every order this channel sent."""
    entries = store.ledger_list(channel, LedgerKind.ORDER, states=[LedgerState.SENT])
    return {e.reference: e.remote_id for e in entries if e.remote_id is not None}
