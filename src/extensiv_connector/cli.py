"""The `extensiv-connector` command line (see `extensiv-connector --help`)."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from . import wire
from ._version import __version__
from .errors import ExtensivError

__all__ = ["main"]

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
_NEEDS_INPUT = {"push-orders", "synchronize-inventory", "send-receipts", "export-products"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extensiv-connector",
        description="Use the Extensiv 3PL Warehouse Manager as a fulfillment channel.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run every sync action against the embedded sandbox")
    demo.add_argument("--catalog-size", type=int, default=25, help="SKUs in the sandbox")

    sub.add_parser(
        "sandbox",
        help="serve an Extensiv-compatible sandbox (see 'sandbox --help')",
        add_help=False,
    )

    check = sub.add_parser("check", help="the Health Check quick action")
    check.add_argument("--config", required=True, type=Path, help="channel TOML file")

    sync = sub.add_parser("sync", help="run one sync action")
    sync.add_argument("action", choices=sorted(SYNC_ACTIONS))
    sync.add_argument("--config", required=True, type=Path, help="channel TOML file")
    sync.add_argument(
        "--input",
        type=Path,
        help="JSON file: orders, receipts or products (a list), or {sku: level} for "
        "synchronize-inventory; '-' reads standard input",
    )

    journal = sub.add_parser("journal", help="show the sync-actions journal, or add a log entry")
    journal.add_argument("--config", required=True, type=Path, help="channel TOML file")
    journal.add_argument("--action", help="only runs of this action")
    journal.add_argument("--reference", help="only entries touching this record reference")
    journal.add_argument("--last", type=int, default=20, help="how many entries (default 20)")
    journal.add_argument("--csv", action="store_true", help="write CSV rows instead of a table")
    journal.add_argument("--log", metavar="MESSAGE", help="add a manual log entry")

    cancel = sub.add_parser("cancel", help="withdraw an order the host canceled")
    cancel.add_argument("order_number")
    cancel.add_argument("--reason", required=True, help="cancel reason sent to the warehouse")
    cancel.add_argument("--config", required=True, type=Path, help="channel TOML file")

    held = sub.add_parser("backorders", help="list shipments held as backordered")
    held.add_argument("--config", required=True, type=Path, help="channel TOML file")

    prune = sub.add_parser("prune", help="drop old journal entries and webhook bookkeeping")
    prune.add_argument("--config", required=True, type=Path, help="channel TOML file")
    prune.add_argument("--keep-runs", type=int, default=5000, help="journal entries to keep")
    prune.add_argument("--days", type=int, default=30, help="forget event marks older than this")

    delete = sub.add_parser("delete", help="the Delete quick action: remove the channel's state")
    delete.add_argument("--config", required=True, type=Path, help="channel TOML file")
    delete.add_argument("--yes", action="store_true", help="confirm (drops held orders too)")

    rename = sub.add_parser("rename", help="change the connection name; the channel id stays")
    rename.add_argument("name", help="the new connection name")
    rename.add_argument("--config", required=True, type=Path, help="channel TOML file (rewritten)")
    return parser


_EXTRA_FOR = {"werkzeug": "sandbox", "cryptography": "webhooks"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``extensiv-connector`` command with ``argv`` (default: ``sys.argv[1:]``); return the
    exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["sandbox"]:
            from .sandbox._cli import main as sandbox_main

            return sandbox_main(args_list[1:])
        return _dispatch(_parser().parse_args(args_list), sys.stdout)
    except ExtensivError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        extra = _EXTRA_FOR.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        print(
            f"error: this command needs the {extra!r} extra: "
            f"pip install 'extensiv-connector[{extra}]'",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(out, catalog_size=args.catalog_size)
    from .config import ChannelConfig
    from .sync import Connector

    config = ChannelConfig.from_toml(args.config)
    if args.command == "journal":
        return _journal(config, args, out)
    with Connector(config) as connector:
        if args.command == "check":
            result = connector.check_connection()
            for name, passed, detail in result.steps:
                out.write(f"{'ok  ' if passed else 'FAIL'} {name}: {detail}\n")
            return 0 if result.ok else 1
        if args.command == "cancel":
            canceled = connector.cancel_order(args.order_number, args.reason)
            for outcome in canceled.outcomes:
                out.write(wire.dumps(wire.make_converter().unstructure(outcome)) + "\n")
            return 0 if canceled.ok else 1
        if args.command == "backorders":
            for entry in connector.backorders():
                row = {
                    "order_number": entry.order_number,
                    "shipment_seq": entry.order.shipment_seq,
                    "held_since": entry.held_since,
                    "reason": entry.reason,
                }
                out.write(wire.dumps(row) + "\n")
            return 0
        if args.command == "prune":
            dropped = connector.prune(
                keep_runs=args.keep_runs, forget_after=timedelta(days=args.days)
            )
            out.write(wire.dumps(dropped) + "\n")
            return 0
        if args.command == "rename":
            return _rename(connector, config, args, out)
        if args.command == "delete":
            if not args.yes:
                out.write("refusing to delete without --yes\n")
                return 2
            connector.delete_channel(force=True)
            out.write(f"deleted all state of channel {config.channel!r}\n")
            return 0
        return _sync(connector, args, out)


def _rename(connector: Any, config: Any, args: argparse.Namespace, out: TextIO) -> int:
    renamed = connector.rename(args.name)
    # Secrets the file held inline stay inline; environment references stay references.
    secrets = (config.credentials.client_secret, config.credentials.tpl, config.webhooks.path_token)
    inline = any(s is not None and s.env is None for s in secrets)
    renamed.to_toml(args.config, inline_secrets=inline)
    out.write(f"renamed to {args.name!r}; channel id {renamed.channel!r} unchanged\n")
    return 0


def _read_input(path: Path | None, action: str) -> Any:
    if path is None:
        raise SystemExit(f"sync {action} needs --input")
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    return wire.loads(text)


def _sync(connector: Any, args: argparse.Namespace, out: TextIO) -> int:
    from .models import Product, Receipt, SalesOrder

    action = args.action
    method = getattr(connector, SYNC_ACTIONS[action])
    converter = wire.make_converter()
    if action in _NEEDS_INPUT:
        data = _read_input(args.input, action)
        if action == "synchronize-inventory":
            result = method({str(k): Decimal(str(v)) for k, v in dict(data).items()})
        else:
            cls = {"push-orders": SalesOrder, "send-receipts": Receipt, "export-products": Product}
            records: list[Any] = [converter.structure(item, cls[action]) for item in data]
            result = method(records)
    else:
        result = method()
    for row in _rows(result, converter):
        out.write(wire.dumps(row) + "\n")
    summary = {"action": result.action, "counts": result.counts, "errors": list(result.errors)}
    print(wire.dumps(summary), file=sys.stderr)
    return 0 if result.ok else 1


def _rows(result: Any, converter: Any) -> list[Any]:
    if hasattr(result, "outcomes"):
        return [converter.unstructure(o) for o in result.outcomes]
    if hasattr(result, "changes"):
        return [converter.unstructure(c) for c in result.changes]
    return [converter.unstructure(r) for r in getattr(result, "records", ())]


def _journal(config: Any, args: argparse.Namespace, out: TextIO) -> int:
    from .sync import Journal, SQLiteStore

    store = SQLiteStore(config.sync.state_path)
    try:
        journal = Journal(store, config.channel)
        if args.log:
            journal.log(args.log, action=args.action or "", reference=args.reference or "")
            out.write("logged\n")
            return 0
        if args.reference:
            entries = journal.by_reference(args.reference, limit=args.last)
        elif args.action:
            entries = journal.by_action(args.action, limit=args.last)
        else:
            entries = journal.last(args.last)
        if args.csv:
            journal.write_csv(out, entries)
            return 0
        rows = journal.rows(entries)
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        columns = [
            "started_at",
            "kind",
            "action",
            "status",
            "duration_seconds",
            "counts",
            "message",
        ]
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") if row.get(c) is not None else "" for c in columns])
        return 0
    finally:
        store.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
