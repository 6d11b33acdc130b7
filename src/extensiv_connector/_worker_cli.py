"""The ``worker`` subcommand and ``--state`` for the channel commands (hooked into cli.py and
_cli_commands.py). Heavy imports stay inside the functions: building the parser must be cheap."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .errors import ConfigError

if TYPE_CHECKING:
    from ._cli_io import Output
    from .config import ChannelConfig

__all__ = ["WORKER", "add_state_option", "load_sources", "run_worker_command", "with_state"]

_STATE_HELP = "state store URL (sqlite:///path, postgresql://..., memory:); overrides the config"


def add_state_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", metavar="URL", help=_STATE_HELP)


def with_state(config: ChannelConfig, state: str | None) -> ChannelConfig:
    """``config`` with ``--state`` applied (unchanged when it was not given)."""
    if not state:
        return config
    return attrs.evolve(config, sync=attrs.evolve(config.sync, state_url=state))


def _worker_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", required=True, action="append", type=Path, help="channel TOML (repeatable)"
    )
    add_state_option(parser)
    parser.add_argument("--once", action="store_true", help="run what is due now, then exit")
    parser.add_argument(
        "--lease-seconds", type=float, default=30.0, help="job lease TTL, renewed while running"
    )
    parser.add_argument(
        "--poll-seconds", type=float, default=5.0, help="longest idle wait between checks"
    )
    parser.add_argument(
        "--sources",
        metavar="MODULE:NAME",
        help="the host's input: a mapping {action: source(config)}, or a function taking no"
        " arguments that returns one (e.g. oms.extensiv:sources; the module must be importable)",
    )


_SOURCES = "--sources"


def _check_callable(target: Callable[..., Any], arity: int) -> bool:
    """Whether ``target`` can be called with ``arity`` positional arguments (True when its
    signature cannot be read, as for some builtins: calling it will tell)."""
    import inspect

    try:
        inspect.signature(target).bind(*([None] * arity))
    except TypeError:
        return False
    except ValueError:
        return True
    return True


def load_sources(spec: str) -> dict[str, Callable[[ChannelConfig], Any]]:
    """The sources ``--sources MODULE:NAME`` names: ``NAME`` (dotted for an attribute of an
    attribute) is a mapping ``{action: source}``, or a callable taking no arguments that returns
    one (called once, at start: open the host's connections there). ``ConfigError`` (exit 2)
    says what is wrong; a host exception is reported by its type only, since its message may
    carry personal data or secrets."""
    import importlib

    from .worker._jobs import NEEDS_SOURCE

    module_name, colon, name = spec.partition(":")
    if not colon or not module_name or not name:
        raise ConfigError(
            _SOURCES, f"expected MODULE:NAME (e.g. oms.extensiv:sources), got {spec!r}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # the module, or something it imports, is missing
        raise ConfigError(_SOURCES, f"cannot import {module_name!r}: {exc}") from None
    except SyntaxError as exc:
        raise ConfigError(
            _SOURCES, f"cannot import {module_name!r}: SyntaxError at line {exc.lineno}"
        ) from None
    except Exception as exc:
        raise ConfigError(
            _SOURCES, f"importing {module_name!r} raised {type(exc).__name__}"
        ) from None
    target: Any = module
    for part in name.split("."):
        if not hasattr(target, part):
            raise ConfigError(_SOURCES, f"module {module_name!r} has no {name!r}")
        target = getattr(target, part)
    if callable(target) and not isinstance(target, Mapping):
        if not _check_callable(target, 0):
            raise ConfigError(
                _SOURCES,
                f"{spec} takes arguments; name a mapping {{action: source}} or a function"
                " taking no arguments that returns one",
            )
        try:
            target = target()
        except Exception as exc:
            raise ConfigError(_SOURCES, f"{spec}() raised {type(exc).__name__}") from None
    if not isinstance(target, Mapping):
        raise ConfigError(
            _SOURCES,
            f"{spec} gave a {type(target).__name__}, not a mapping {{action: source}}",
        )
    accepted = ("push_orders", *sorted(NEEDS_SOURCE))
    sources: dict[str, Callable[[ChannelConfig], Any]] = {}
    for action, source in target.items():
        if action not in accepted:
            raise ConfigError(
                _SOURCES, f"{action!r} takes no source; sources feed {', '.join(accepted)}"
            )
        if not callable(source) or not _check_callable(source, 1):
            raise ConfigError(
                _SOURCES,
                f"the source of {action} must be a callable taking the channel config,"
                f" not a {type(source).__name__}",
            )
        sources[action] = source
    return sources


def _store_url(configs: list[ChannelConfig], state: str | None) -> str:
    if state:
        return state
    urls = {c.sync.store_url for c in configs}
    if len(urls) != 1:
        raise ConfigError(
            "sync.state_url", "the channels name different state stores; pass --state URL"
        )
    return urls.pop()


def run_worker_command(args: argparse.Namespace, output: Output) -> int:
    """``extensiv-connector worker``: exit 0 when stopped by SIGTERM/SIGINT (or, with
    ``--once``, when every due job ran cleanly), 1 if a job failed under ``--once``. Pulled
    records are JSON lines on stdout; with ``--once`` each job's outcome is a JSON line on
    stderr."""
    from . import wire
    from .config import ChannelConfig
    from .sync import open_store
    from .worker import Worker, stop_on_signals

    configs = [ChannelConfig.from_toml(path) for path in args.config]
    sources = load_sources(args.sources) if args.sources else {}
    store = open_store(_store_url(configs, args.state))
    lock = threading.Lock()
    converter = wire.make_converter()

    def printer(config: ChannelConfig, record: Any) -> None:
        with lock:
            output.line({"channel": config.channel, "record": converter.unstructure(record)})

    handlers = dict.fromkeys(
        ("receive_shipments", "receive_receipts", "import_products", "receive_inventory_levels"),
        printer,
    )
    stop = threading.Event()
    try:
        with Worker(
            configs,
            store,
            sources=sources,
            handlers=handlers,
            lease_seconds=args.lease_seconds,
            poll_seconds=args.poll_seconds,
        ) as worker:
            if args.once:
                outcomes = worker.run_once(stop)
                for outcome in outcomes:
                    output.note(wire.dumps(attrs.asdict(outcome)))
                return 1 if any(o.status == "failed" for o in outcomes) else 0
            with stop_on_signals(stop):
                worker.run(stop)
            return 0
    finally:
        store.close()


#: (configure, run) for the ``worker`` row of ``cli.COMMANDS``.
WORKER = (_worker_args, run_worker_command)
