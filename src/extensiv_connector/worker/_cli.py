"""The ``worker`` subcommand and ``--state`` for every channel command (hooked into cli.py)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

import attrs

from .. import wire
from ..config import ChannelConfig
from ..errors import ConfigError

__all__ = ["add_commands", "run_worker_command", "with_state"]

_STATE_HELP = "state store URL (sqlite:///path, postgresql://..., memory:); overrides the config"


def add_commands(sub: Any) -> None:
    """Add ``--state`` to every subcommand that reads a channel config, and ``worker``."""
    for parser in sub.choices.values():
        if any("--config" in action.option_strings for action in parser._actions):
            parser.add_argument("--state", metavar="URL", help=_STATE_HELP)
    worker = sub.add_parser(
        "worker", help="run every channel's [sync.schedule], sharing the work with other workers"
    )
    worker.add_argument(
        "--config", required=True, action="append", type=Path, help="channel TOML (repeatable)"
    )
    worker.add_argument("--state", metavar="URL", help=_STATE_HELP)
    worker.add_argument("--once", action="store_true", help="run what is due now, then exit")
    worker.add_argument(
        "--lease-seconds", type=float, default=30.0, help="job lease TTL, renewed while running"
    )
    worker.add_argument(
        "--poll-seconds", type=float, default=5.0, help="longest idle wait between checks"
    )


def with_state(config: ChannelConfig, state: str | None) -> ChannelConfig:
    """``config`` with ``--state`` applied (unchanged when it was not given)."""
    if not state:
        return config
    return attrs.evolve(config, sync=attrs.evolve(config.sync, state_url=state))


def _store_url(configs: list[ChannelConfig], state: str | None) -> str:
    if state:
        return state
    urls = {c.sync.store_url for c in configs}
    if len(urls) != 1:
        raise ConfigError(
            "sync.state_url", "the channels name different state stores; pass --state URL"
        )
    return urls.pop()


def run_worker_command(args: argparse.Namespace, out: TextIO) -> int:
    """``extensiv-connector worker``: exit 0 when stopped (or, with ``--once``, when every due
    job ran cleanly), 1 if a job failed under ``--once``."""
    from ..sync import open_store
    from ._worker import Worker

    configs = [ChannelConfig.from_toml(path) for path in args.config]
    store = open_store(_store_url(configs, args.state))
    lock = threading.Lock()  # pulls of several channels may print at once

    def printer(config: ChannelConfig, record: Any) -> None:
        row = {"channel": config.channel, "record": converter.unstructure(record)}
        with lock:
            out.write(wire.dumps(row) + "\n")
            out.flush()

    converter = wire.make_converter()
    handlers = dict.fromkeys(
        ("receive_shipments", "receive_receipts", "import_products", "receive_inventory_levels"),
        printer,
    )
    stop = threading.Event()
    try:
        with Worker(
            configs,
            store,
            handlers=handlers,
            lease_seconds=args.lease_seconds,
            poll_seconds=args.poll_seconds,
        ) as worker:
            if args.once:
                outcomes = worker.run_once(stop)
                for outcome in outcomes:
                    print(wire.dumps(attrs.asdict(outcome)), file=sys.stderr)
                return 1 if any(o.status == "failed" for o in outcomes) else 0
            previous = {
                sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)
            }
            try:
                worker.run(stop)
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
            return 0
    finally:
        store.close()
