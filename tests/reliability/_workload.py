"""What the killed child process and its parent both run.

    python -m tests.reliability._workload push  '<json settings>'
    python -m tests.reliability._workload ship  '<json settings>'

Settings: ``info`` (sandbox connection info), ``state`` (SQLite path), ``orders`` (how many),
``die_after`` (ship: exit abruptly inside the handler after this many records; push: SIGKILL
itself right after the warehouse answered this many creates, before the ledger records the
last one), ``die_in`` (push, instead of ``die_after``: ``["claims", n]`` SIGKILLs itself right
after the n-th window of claims committed, ``["settles", n]`` in the n-th group of settles,
before it is written), ``log`` (ship: file the handler appends dedupe keys to, flushed and
synced before returning), ``lease`` (lease seconds, default 1).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from extensiv_connector.client import Versioned
from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, Order, OrderLine, SalesOrder, Shipment
from extensiv_connector.sync import Connector, SQLiteStore

_SHIP_TO = Address(name="K", address1="1 Main St", city="Dallas", postal_code="75201", country="US")
#: Exit status of a child that died on purpose inside the handler.
DIED = 37


def config(info: dict[str, Any], *, lease_seconds: float = 1) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": "killed"},
            "credentials": info,
            "sync": {"max_in_flight": 8, "lease_seconds": lease_seconds},
            "client": {"backoff_initial": 0.001, "backoff_max": 0.005},
        }
    )


def orders(n: int) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=f"K-{i:04d}",
            lines=[OrderLine(sku=f"SKU-{i % 10 + 1:06d}", quantity=1, line_reference="1")],
            ship_to=_SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(n)
    ]


def record_to(path: str) -> Any:
    def handler(shipment: Shipment) -> None:
        with open(path, "a", encoding="utf-8") as log:
            log.write(shipment.dedupe_key + "\n")
            log.flush()
            os.fsync(log.fileno())

    return handler


def _die_after_creates(connector: Connector, count: int) -> None:
    """SIGKILL this process right after the warehouse answered the ``count``-th create: that
    order exists remotely while the ledger still says PENDING (the worst moment to die)."""
    create = connector.client.orders.create
    lock = threading.Lock()
    answered = 0

    def dying_create(order: Order | Mapping[str, Any], **hooks: Any) -> Versioned[Order]:
        nonlocal answered
        result = create(order, **hooks)
        with lock:
            answered += 1
            if answered >= count:
                os.kill(os.getpid(), signal.SIGKILL)
        return result

    # patched on this one instance on purpose: the kill must land inside the real push.
    connector.client.orders.create = dying_create  # type: ignore[method-assign]


class _KilledInTheLedger:
    """The SQLite store, except that the process SIGKILLs itself at the ``count``-th window of
    claims (after it committed) or group of settles (before it is written)."""

    def __init__(self, inner: SQLiteStore, where: str, count: int) -> None:
        self._inner = inner
        self._where = where
        self._count = count
        self._lock = threading.Lock()

    def _due(self, where: str) -> bool:
        with self._lock:
            if where != self._where:
                return False
            self._count -= 1
            return self._count == 0

    def ledger_begin_many(self, *args: Any, **kwargs: Any) -> Any:
        claims = self._inner.ledger_begin_many(*args, **kwargs)
        if self._due("claims"):
            os.kill(os.getpid(), signal.SIGKILL)
        return claims

    def ledger_settle_many(self, *args: Any, **kwargs: Any) -> Any:
        if self._due("settles"):
            os.kill(os.getpid(), signal.SIGKILL)
        return self._inner.ledger_settle_many(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def main(argv: list[str]) -> int:
    command, settings = argv[0], json.loads(argv[1])
    store = SQLiteStore(settings["state"])
    lease = settings.get("lease", 1)
    die_in = settings.get("die_in")
    used: Any = store if die_in is None else _KilledInTheLedger(store, die_in[0], die_in[1])
    with Connector(config(settings["info"], lease_seconds=lease), store=used) as connector:
        if command == "push":
            kill_after = settings.get("die_after")
            if kill_after:
                _die_after_creates(connector, kill_after)
            connector.push_orders(orders(settings["orders"]))
        elif command == "ship":
            record = record_to(settings["log"])
            delivered = 0

            def handler(shipment: Shipment) -> None:
                nonlocal delivered
                record(shipment)
                delivered += 1
                if delivered == settings["die_after"]:
                    os._exit(DIED)  # the host has it; the cursor has not moved past it

            connector.receive_shipments(handler=handler)
        else:
            raise SystemExit(f"unknown command {command!r}")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
