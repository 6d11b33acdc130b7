"""Entry points of one channel racing each other, and the books that must balance afterwards.

The parent seeds a sandbox (duplicate references accepted, so only the ledger stands between
a race and a second warehouse order) with orders held for lack of stock, adds the stock, then
runs two entry points at once, as threads or as processes on one SQLite file::

    python -m tests.reliability._race <entry point> '<json settings>'

Settings: ``info`` (sandbox connection info), ``state`` (SQLite path), ``start`` (a file whose
appearance starts the run), ``cancel`` (order numbers), ``skus`` (host SKUs), ``lease``.
Standalone, ``python -m tests.reliability._race scenario <held> <a> <b> <threads|processes>``
prints the counts of one race (used to reproduce the numbers before and after the fix).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from extensiv_connector.config import ChannelConfig
from extensiv_connector.errors import ExtensivError
from extensiv_connector.models import Address, OrderLine, SalesOrder, WebhookEvent
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import Connector, SQLiteStore
from extensiv_connector.webhooks import WebhookAction, WebhookActionKind
from extensiv_connector.webhooks._dispatch import Dispatcher  # the webhook path, minus HTTP

ENTRY_POINTS = ("push", "inventory", "webhook", "pull", "cancel")
ROOT = Path(__file__).resolve().parents[2]
SKUS = tuple(f"SKU-{n:06d}" for n in range(1, 6))
_SHIP_TO = Address(
    name="Race Person", address1="9 Race Rd", city="Dallas", postal_code="75201", country="US"
)


#: Short (the sandbox answers in milliseconds): a create whose outcome a reset left unknown is
#: looked up again only a read timeout after the push gave up on it.
READ_TIMEOUT = 2.0


def config(info: dict[str, Any], *, lease_seconds: float = 30) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": "race"},
            "credentials": info,
            "sync": {"max_in_flight": 4, "lease_seconds": lease_seconds},
            "client": {
                "backoff_initial": 0.001,
                "backoff_max": 0.005,
                "max_retries": 2,
                "read_timeout": READ_TIMEOUT,
            },
        }
    )


def held_orders(n: int) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=f"H-{i:05d}",
            lines=[OrderLine(sku=SKUS[i % len(SKUS)], quantity=1, line_reference="1")],
            ship_to=_SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(n)
    ]


def run_entry(connector: Connector, entry: str, settings: dict[str, Any]) -> str:
    """Run one entry point once; returns a short description of what it did. A library error
    (a refused lease, faults beyond the retries) is an outcome, not a failure of the race."""
    try:
        return _run_entry(connector, entry, settings)
    except ExtensivError as exc:
        return f"{entry} stopped: {type(exc).__name__}"


def _run_entry(connector: Connector, entry: str, settings: dict[str, Any]) -> str:
    if entry == "push":
        result = connector.push_orders([])
        return f"push {collections.Counter(o.status.value for o in result.outcomes)}"
    if entry == "inventory":
        pulled = connector.receive_inventory_levels()
        pushed = pulled.pushed.outcomes if pulled.pushed else ()
        return f"inventory pushed={len(pushed)}"
    if entry == "webhook":
        dispatcher = Dispatcher(connector)
        for n, sku in enumerate(settings.get("skus", SKUS)):
            event = WebhookEvent(wms_event_id=n + 1, event_type="InventorySummaryUpdate")
            dispatcher.run(event, WebhookAction(kind=WebhookActionKind.INVENTORY, target=sku))
        return "webhook"
    if entry == "pull":
        return f"pull {len(connector.receive_shipments().records)}"
    if entry == "cancel":
        statuses = collections.Counter(
            o.status
            for n in settings.get("cancel", ())
            for o in connector.cancel_order(n, "race").outcomes
        )
        return f"cancel {dict(statuses)}"
    raise ValueError(f"unknown entry point {entry!r}")


@attrs.frozen
class Books:
    """What the warehouse and the store hold after the race (and a final clean-up push)."""

    references: collections.Counter[str]
    held: frozenset[str]
    canceled: frozenset[str]
    seeded: frozenset[str]

    @property
    def duplicated(self) -> list[str]:
        return sorted(r for r, n in self.references.items() if n > 1)

    @property
    def lost(self) -> list[str]:
        """Seeded orders neither in the warehouse, nor still held, nor canceled by the host."""
        present = {r.rsplit("-", 1)[0] for r in self.references}
        return sorted(self.seeded - present - self.held - self.canceled)

    @property
    def canceled_but_held(self) -> list[str]:
        return sorted(self.canceled & self.held)


def references(sb: Sandbox) -> collections.Counter[str]:
    return collections.Counter(
        sb.warehouse.order_view(r)["referenceNum"] for r in sb.warehouse.order_records()
    )


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.001)


def race_threads(
    make: Callable[[], Connector], entries: Sequence[str], settings: dict[str, Any]
) -> list[str]:
    """Run each entry point on its own thread and connector, released together."""
    barrier = threading.Barrier(len(entries))
    done: list[str] = []
    errors: list[BaseException] = []

    def go(entry: str) -> None:
        with make() as connector:
            barrier.wait()
            try:
                done.append(run_entry(connector, entry, settings))
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=go, args=(e,)) for e in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return done


def race_processes(entries: Sequence[str], settings: dict[str, Any], tmp: Path) -> list[str]:
    """Run each entry point in its own process on the shared SQLite file, started together."""
    start = tmp / "start"
    children = [
        subprocess.Popen(  # noqa: S603 - our own test module, fixed arguments
            [
                sys.executable,
                "-m",
                "tests.reliability._race",
                entry,
                json.dumps({**settings, "start": str(start)}),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": os.environ.get("RACE_SRC", str(ROOT))},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for entry in entries
    ]
    time.sleep(0.5)  # let every child import and open its connector
    start.touch()
    out: list[str] = []
    for child in children:
        stdout, stderr = child.communicate(timeout=120)
        if child.returncode != 0:
            raise AssertionError(f"race child failed: {stderr.decode()[-2000:]}")
        out.append(stdout.decode().strip())
    return out


def seed(sb: Sandbox, state: Path, held: int, *, lease_seconds: float = 30) -> list[SalesOrder]:
    """Hold ``held`` orders (no stock yet), then make stock for all of them."""
    orders = held_orders(held)
    for sku in SKUS:
        current = sb.warehouse.stock(sku)
        sb.warehouse.adjust_stock(sku, -int(current.get("available", 0) or 0))
    with Connector(
        config(sb.connection_info(), lease_seconds=lease_seconds), store=SQLiteStore(state)
    ) as connector:
        result = connector.push_orders(orders)
        connector.store.close()
    assert {"held"} == {o.status.value for o in result.outcomes}, result.outcomes[:3]
    for sku in SKUS:
        sb.warehouse.adjust_stock(sku, held)
    return orders


FAULTS: dict[str, Any] = {
    "latency_ms": 1,
    "error_rate": 0.04,
    "reset_rate": 0.03,
    "lost_response_rate": 0.05,
}


def flush(sb: Sandbox, state: Path) -> None:
    """After the race: no faults, and pushes until nothing is left unresolved."""
    sb.faults.clear()
    with Connector(config(sb.connection_info()), store=SQLiteStore(state)) as connector:
        for _ in range(3):
            result = connector.push_orders([])
            if all(o.status.value != "failed" for o in result.outcomes):
                break
            time.sleep(READ_TIMEOUT)  # a create that may have been in flight: look it up later
        connector.store.close()


def books(sb: Sandbox, state: Path, seeded: Sequence[SalesOrder], canceled: Sequence[str]) -> Books:
    store = SQLiteStore(state)
    try:
        held = frozenset(e.order_number for e in store.backorder_list("race"))
    finally:
        store.close()
    return Books(
        references=references(sb),
        held=held,
        canceled=frozenset(canceled),
        seeded=frozenset(o.order_number for o in seeded),
    )


def scenario(
    held: int,
    a: str,
    b: str,
    mode: str,
    tmp: Path,
    *,
    faults: dict[str, Any] | None = None,
    cancel: int = 0,
    seed_faults: int = 0,
) -> Books:
    """``held`` orders, two entry points racing on one SQLite file (as threads or processes),
    with ``faults`` on during the race; then :func:`flush` and the books. ``cancel`` orders
    are canceled by the host (the ``cancel`` entry point)."""
    state = tmp / "state.sqlite3"
    options = WarehouseOptions(enforce_unique_references=False)
    with Sandbox(catalog_size=len(SKUS), initial_stock=0, options=options) as sb:
        seeded = seed(sb, state, held)
        canceled = [o.order_number for o in seeded[:cancel]]
        settings = {"info": sb.connection_info(), "state": str(state), "cancel": canceled}
        if faults:
            sb.faults.configure(seed=seed_faults, **faults)
        if mode == "processes":
            race_processes([a, b], settings, tmp)
        else:

            def make() -> Connector:
                return Connector(config(sb.connection_info()), store=SQLiteStore(state))

            race_threads(make, [a, b], settings)
        if faults or "cancel" in (a, b):
            flush(sb, state)
        return books(sb, state, seeded, canceled if "cancel" in (a, b) else ())


def main(argv: list[str]) -> int:
    if argv[0] == "scenario":
        import tempfile

        held, a, b, mode = int(argv[1]), argv[2], argv[3], argv[4]
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = scenario(held, a, b, mode, Path(tmp))
            took = time.perf_counter() - t0
        print(
            json.dumps(
                {
                    "held": held,
                    "race": f"{a} vs {b} ({mode})",
                    "warehouse_orders": sum(result.references.values()),
                    "references": len(result.references),
                    "duplicated_references": len(result.duplicated),
                    "lost": len(result.lost),
                    "still_held": len(result.held),
                    "seconds": round(took, 1),
                }
            )
        )
        return 0
    entry, settings = argv[0], json.loads(argv[1])
    store = SQLiteStore(settings["state"])
    lease = settings.get("lease", 30)
    with Connector(config(settings["info"], lease_seconds=lease), store=store) as connector:
        _wait_for(Path(settings["start"]))
        print(run_entry(connector, entry, settings))
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
