"""The subcommands of `extensiv-connector`: each is a ``(configure, run)`` pair that
``cli.COMMANDS`` names. Every command honours ``--json`` (snake_case JSON lines on stdout)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._cli_io import (
    InputError,
    Output,
    Progress,
    note_host,
    progress_enabled,
    read_input,
    read_levels,
)
from ._worker_cli import add_state_option, with_state

if TYPE_CHECKING:
    from .config import ChannelConfig
    from .sync import Connector

__all__ = [
    "BACKORDERS",
    "CANCEL",
    "CHECK",
    "DELETE",
    "DEMO",
    "JOURNAL",
    "PRUNE",
    "RENAME",
    "SANDBOX",
    "SYNC",
    "SYNC_ACTIONS",
    "action_name",
]

Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace, Output], int]

#: CLI spelling -> Connector method (and journal action, which is the method's name).
SYNC_ACTIONS = {
    "push-orders": "push_orders",
    "receive-inventory-levels": "receive_inventory_levels",
    "synchronize-inventory": "synchronize_inventory",
    "receive-shipments": "receive_shipments",
    "send-receipts": "send_receipts",
    "receive-receipts": "receive_receipts",
    "import-products": "import_products",
    "export-products": "export_products",
}
_PULLS = {"receive-shipments", "receive-receipts", "import-products"}
_DRY_RUNNABLE = {"push-orders", "send-receipts"}


def action_name(text: str) -> str:
    """``push-orders`` or ``push_orders`` -> ``push-orders``; anything else is a usage error."""
    spelled = text.strip().replace("_", "-")
    if spelled not in SYNC_ACTIONS:
        raise argparse.ArgumentTypeError(
            f"unknown action {text!r}; expected one of {', '.join(sorted(SYNC_ACTIONS))}"
        )
    return spelled


def _journal_action(text: str) -> str:
    from .sync import ACTIONS

    name = text.strip().replace("-", "_")
    if name not in ACTIONS:
        choices = ", ".join(a.replace("_", "-") for a in ACTIONS)
        raise argparse.ArgumentTypeError(f"unknown action {text!r}; expected one of {choices}")
    return name


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        required=True,
        type=Path,
        help="channel TOML file (a relative state_path is resolved against its folder)",
    )
    add_state_option(parser)  # --state URL (issue 17)


def _load(args: argparse.Namespace) -> ChannelConfig:
    from .config import ChannelConfig

    config = with_state(ChannelConfig.from_toml(args.config), args.state)
    note_host(args, config.credentials.base_url)
    return config


@contextlib.contextmanager
def _connector(args: argparse.Namespace) -> Iterator[Connector]:
    from .sync import Connector

    with Connector(_load(args)) as connector:
        yield connector


# ---------------------------------------------------------------------------- demo


def _demo_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog-size", type=_positive(100_000), default=25, help="SKUs in the sandbox"
    )
    parser.add_argument(
        "--keep-state",
        type=Path,
        metavar="DIR",
        help="keep the demo's SQLite state in DIR (default: a temporary folder, removed)",
    )


def _demo(args: argparse.Namespace, out: Output) -> int:
    from ._demo import run_demo

    stream = out.err if out.as_json else out.out
    progress = progress_enabled(out.err, out.quiet)
    code = run_demo(
        stream, catalog_size=args.catalog_size, state_dir=args.keep_state, progress=progress
    )
    if out.as_json:
        out.line({"command": "demo", "ok": code == 0, "exit_code": code})
    return code


# ---------------------------------------------------------------------------- sandbox


def _sandbox_args(parser: argparse.ArgumentParser) -> None:
    """The sandbox parses its own options (see ``sandbox --help``)."""


def _sandbox(args: argparse.Namespace, out: Output) -> int:
    from .sandbox._cli import main as sandbox_main

    return sandbox_main(list(args.extra))


# ---------------------------------------------------------------------------- check


def _check(args: argparse.Namespace, out: Output) -> int:
    with _connector(args) as connector:
        result = connector.check_connection()
    rows = [{"step": n, "ok": ok, "detail": d} for n, ok, d in result.steps]
    if out.as_json:
        for row in rows:
            out.line(row)
    else:
        for row in rows:
            out.text(f"{'ok  ' if row['ok'] else 'FAIL'} {row['step']}: {row['detail']}")
    return 0 if result.ok else 1


# ---------------------------------------------------------------------------- sync


def _sync_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        type=action_name,
        metavar="ACTION",
        help=", ".join(sorted(SYNC_ACTIONS)) + " (underscores accepted)",
    )
    _config_arg(parser)
    parser.add_argument(
        "--input",
        type=Path,
        help="JSON file ('-' reads standard input): a list of orders, receipts or products, "
        'or {"SKU": level} for synchronize-inventory (docs/cli.md shows each shape)',
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="push-orders, send-receipts: print decisions and payloads; send and record nothing",
    )


def _sync(args: argparse.Namespace, out: Output) -> int:
    from .models import Product, Receipt, SalesOrder

    action: str = args.action
    if args.dry_run and action not in _DRY_RUNNABLE:
        raise InputError(f"--dry-run applies to {', '.join(sorted(_DRY_RUNNABLE))}, not {action}")
    inputs: Any = None
    if action == "synchronize-inventory":
        inputs = read_levels(args.input, f"sync {action}")
    elif action in ("push-orders", "send-receipts", "export-products"):
        cls = {"push-orders": SalesOrder, "send-receipts": Receipt, "export-products": Product}
        inputs = read_input(args.input, f"sync {action}", cls[action])
    elif args.input is not None:
        raise InputError(f"sync {action} takes no --input")
    with _connector(args) as connector:
        if args.dry_run:
            plan = (
                connector.plan_orders(inputs)
                if action == "push-orders"
                else connector.plan_receipts(inputs)
            )
            for planned in plan:
                out.line(planned)
            out.note(f"dry run: {len(plan)} planned, nothing sent or recorded")
            return 0
        method = getattr(connector, SYNC_ACTIONS[action])
        progress = Progress(out.err, action, enabled=progress_enabled(out.err, out.quiet))
        try:
            if action in _PULLS:
                # Each line is written and flushed before the handler returns: only then is
                # the record acknowledged (at least once, even if the process dies next).
                result = method(handler=out.line, on_progress=progress, keep_records=False)
            elif action == "receive-inventory-levels":
                result = method(handler=out.line, on_progress=progress)
            else:
                result = method(inputs)
                for row in getattr(result, "outcomes", ()) or getattr(result, "changes", ()):
                    out.line(row)
        finally:
            progress.close()
    summary = {
        "action": result.action,
        "counts": result.counts,
        "errors": list(result.errors),
        "duration_seconds": round(result.duration_seconds, 3),
    }
    if out.as_json:
        out.err.write(_dumps(summary) + "\n")
    else:
        counts = " ".join(f"{k}={v}" for k, v in result.counts.items())
        out.note(f"{result.action}: {counts} in {result.duration_seconds:.1f}s")
        for error in result.errors:
            out.note(f"  error: {error}")
    return 0 if result.ok else 1


def _dumps(row: Any) -> str:
    from . import wire
    from ._cli_io import jsonable

    return wire.dumps(jsonable(row))


# ---------------------------------------------------------------------------- journal

_JOURNAL_COLUMNS = (
    "started_at",
    "kind",
    "action",
    "status",
    "duration_seconds",
    "counts",
    "message",
)


def _journal_args(parser: argparse.ArgumentParser) -> None:
    _config_arg(parser)
    parser.add_argument("--action", type=_journal_action, help="only runs of this action")
    parser.add_argument("--reference", help="only entries touching this record reference")
    parser.add_argument(
        "--last", type=_positive(1_000_000_000), default=20, help="how many entries (default 20)"
    )
    parser.add_argument("--csv", action="store_true", help="write CSV rows instead of a table")
    parser.add_argument("--log", metavar="MESSAGE", help="add a manual log entry")


def _journal(args: argparse.Namespace, out: Output) -> int:
    from .sync import Journal, open_store

    config = _load(args)
    path = Path(config.sync.state_path)
    on_file = not config.sync.state_url  # another backend has no file to look for
    if on_file and not args.log and str(path) != ":memory:" and not path.exists():
        raise InputError(f"no state file at {path}: nothing has run with this config yet")
    store = open_store(config.sync.store_url)
    try:
        journal = Journal(store, config.channel)
        if args.log:
            journal.log(args.log, action=args.action or "", reference=args.reference or "")
            if out.as_json:
                out.line({"logged": True, "message": args.log})
            else:
                out.text("logged")
            return 0
        if args.reference:
            entries = journal.by_reference(args.reference, limit=args.last)
        elif args.action:
            entries = journal.by_action(args.action, limit=args.last)
        else:
            entries = journal.last(args.last)
        if args.csv:
            journal.write_csv(out.out, entries)
            return 0
        out.rows(journal.rows(entries), _JOURNAL_COLUMNS)
        return 0
    finally:
        store.close()


# ---------------------------------------------------------------------------- withdrawals


def _cancel_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("order_number")
    parser.add_argument("--reason", required=True, help="cancel reason sent to the warehouse")
    _config_arg(parser)


def _cancel(args: argparse.Namespace, out: Output) -> int:
    with _connector(args) as connector:
        result = connector.cancel_order(args.order_number, args.reason)
    if not result.outcomes:
        if out.as_json:
            out.line({"order_number": args.order_number, "found": False, "outcomes": []})
        else:
            out.text(
                f"order {args.order_number!r}: nothing held or sent by this channel; no change"
            )
        return 1
    rows = [{"order_number": args.order_number, **_plain(o)} for o in result.outcomes]
    out.rows(rows, ("order_number", "reference", "status", "remote_id", "reason"))
    return 0 if result.ok else 1


def _backorders(args: argparse.Namespace, out: Output) -> int:
    with _connector(args) as connector:
        entries = connector.backorders()
    rows = [
        {
            "order_number": e.order_number,
            "shipment_seq": e.order.shipment_seq,
            "held_since": e.held_since,
            "evaluations": e.evaluations,
            "reason": e.reason,
        }
        for e in entries
    ]
    out.rows(rows, ("order_number", "shipment_seq", "held_since", "evaluations", "reason"))
    return 0


def _prune_args(parser: argparse.ArgumentParser) -> None:
    _config_arg(parser)
    parser.add_argument(
        "--keep-runs", type=_positive(1_000_000_000), default=5000, help="journal entries to keep"
    )
    parser.add_argument(
        "--days", type=_positive(36_500), default=30, help="forget event marks older than this"
    )


def _prune(args: argparse.Namespace, out: Output) -> int:
    with _connector(args) as connector:
        dropped = connector.prune(keep_runs=args.keep_runs, forget_after=timedelta(days=args.days))
    out.rows([{"kind": k, "dropped": n} for k, n in dropped.items()], ("kind", "dropped"))
    return 0


def _delete_args(parser: argparse.ArgumentParser) -> None:
    _config_arg(parser)
    parser.add_argument("--yes", action="store_true", help="confirm (drops held orders too)")


def _delete(args: argparse.Namespace, out: Output) -> int:
    if not args.yes:
        raise InputError("delete removes all of the channel's state; add --yes to confirm")
    with _connector(args) as connector:
        found = connector.channel in connector.store.channels()
        connector.delete_channel(force=True)  # --yes confirms dropping held orders too
    if out.as_json:
        out.line({"channel": connector.channel, "found": found, "deleted": found})
    elif found:
        out.text(f"deleted all state of channel {connector.channel!r}")
    else:
        out.text(f"channel {connector.channel!r} had no state; nothing deleted")
    return 0 if found else 1


def _rename_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the new connection name")
    _config_arg(parser)


def _rename(args: argparse.Namespace, out: Output) -> int:
    with _connector(args) as connector:
        before = connector.config
        renamed = connector.rename(args.name)
    # Secrets the file held inline stay inline; environment references stay references.
    creds = before.credentials
    secrets = (creds.client_secret, creds.tpl, before.webhooks.path_token)
    renamed.to_toml(
        args.config, inline_secrets=any(s is not None and s.env is None for s in secrets)
    )
    if out.as_json:
        out.line({"connection_name": args.name, "channel_id": renamed.channel})
    else:
        out.text(f"renamed to {args.name!r}; channel id {renamed.channel!r} unchanged")
    return 0


# ---------------------------------------------------------------------------- helpers


def _plain(value: Any) -> dict[str, Any]:
    from ._cli_io import jsonable

    data = jsonable(value)
    assert isinstance(data, dict)
    return data


def _positive(maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to ``maximum`` (bounded, so a huge value is a
    usage error, not an overflow deep in SQLite or ``timedelta``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"expected at most {maximum}, got {text}")
        return value

    return parse


def _config_only(parser: argparse.ArgumentParser) -> None:
    _config_arg(parser)


DEMO: tuple[Configure, Run] = (_demo_args, _demo)
SANDBOX: tuple[Configure, Run] = (_sandbox_args, _sandbox)
CHECK: tuple[Configure, Run] = (_config_only, _check)
SYNC: tuple[Configure, Run] = (_sync_args, _sync)
JOURNAL: tuple[Configure, Run] = (_journal_args, _journal)
CANCEL: tuple[Configure, Run] = (_cancel_args, _cancel)
BACKORDERS: tuple[Configure, Run] = (_config_only, _backorders)
PRUNE: tuple[Configure, Run] = (_prune_args, _prune)
DELETE: tuple[Configure, Run] = (_delete_args, _delete)
RENAME: tuple[Configure, Run] = (_rename_args, _rename)
