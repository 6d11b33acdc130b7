"""One worker process of the fleet test (and of bench/workers.py).

    python -m tests.postgres._fleet '<json settings>'

Settings: ``info`` (sandbox connection info), ``url`` and ``schema`` (the PostgreSQL store),
``channels``, ``orders`` (per channel), ``lease`` (seconds). Runs ``Worker.run`` until SIGTERM.
Every channel's host hands the worker all its orders on each push (as an OMS outbox that only
forgets an order once the warehouse has it would); the ledger keeps that idempotent.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, OrderLine, SalesOrder
from extensiv_connector.sync import PostgresStore
from extensiv_connector.worker import Worker, stop_on_signals

_SHIP_TO = Address(name="F", address1="1 Main St", city="Dallas", postal_code="75201", country="US")
#: Every HELD_EVERY-th order asks for more than the warehouse will ever have: it must stay held.
HELD_EVERY = 40


def channel_name(c: int) -> str:
    return f"fleet-{c:02d}"


def reference(c: int, i: int) -> str:
    return f"F{c:02d}-{i:05d}"


def orders(c: int, n: int) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=reference(c, i),
            lines=[
                OrderLine(
                    sku=f"SKU-{(c * 7 + i) % 50 + 1:06d}",
                    quantity=Decimal(10**7 if i % HELD_EVERY == HELD_EVERY - 1 else 1),
                    line_reference="1",
                )
            ],
            ship_to=_SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(n)
    ]


def config(info: dict[str, Any], c: int, lease: float) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": channel_name(c)},
            "credentials": info,
            "sync": {
                "max_in_flight": 4,
                "lease_seconds": max(int(lease), 1),
                "schedule": {"push_orders": "every 1s"},
            },
            # A killed worker's claims not found wait one read timeout before they are sent
            # again; the local sandbox answers in milliseconds, so 5 s keeps the race short.
            "client": {"backoff_initial": 0.001, "backoff_max": 0.01, "read_timeout": 5},
        }
    )


def main(settings: dict[str, Any]) -> int:
    stop = threading.Event()
    channels, per_channel, lease = settings["channels"], settings["orders"], settings["lease"]
    configs = [config(settings["info"], c, lease) for c in range(channels)]
    by_channel = {channel_name(c): orders(c, per_channel) for c in range(channels)}
    store = PostgresStore(settings["url"], schema=settings["schema"], pool_size=3)
    with (
        stop_on_signals(stop, [signal.SIGTERM]),
        Worker(
            configs,
            store,
            sources={"push_orders": lambda cfg: by_channel[cfg.channel]},
            lease_seconds=lease,
            poll_seconds=0.2,
        ) as worker,
    ):
        print("ready", flush=True)
        worker.run(stop)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
