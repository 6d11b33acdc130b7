"""The `extensiv-connector` command line (see `extensiv-connector --help` and docs/cli.md).

Subcommands are rows of :data:`COMMANDS` (name, help, how to add its arguments, how to run
it), so a new one is one module and one row. Errors become one line on stderr and an exit code:

    0 success; 1 finished, but some records failed, a check failed or nothing was found;
    2 bad usage, configuration or input; 3 the warehouse API or the network failed;
    4 another process runs this action (lease held); 130 interrupted (Ctrl-C, SIGTERM);
    141 output pipe closed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

import attrs

from . import _cli_commands as commands
from ._cli_io import InputError, Output
from ._cli_log import LEVELS, configure_logging
from ._version import __version__
from ._worker_cli import WORKER
from .errors import ConfigError, ExtensivError, TransportError

__all__ = ["COMMANDS", "EXIT", "Command", "main"]

#: Exit codes (documented in docs/cli.md).
EXIT = {
    "ok": 0,
    "failed_records": 1,
    "usage": 2,
    "remote": 3,
    "lease_held": 4,
    "interrupted": 130,
    "broken_pipe": 141,
}


@attrs.frozen
class Command:
    """One subcommand: ``configure`` adds its arguments, ``run(args, output)`` returns the
    exit code."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Output], int]
    add_help: bool = True


COMMANDS: list[Command] = [
    Command("demo", "run every sync action against the embedded sandbox", *commands.DEMO),
    Command(
        "sandbox",
        "serve an Extensiv-compatible sandbox (see 'sandbox --help')",
        *commands.SANDBOX,
        add_help=False,
    ),
    Command("check", "the Health Check quick action", *commands.CHECK),
    Command("sync", "run one sync action", *commands.SYNC),
    Command("journal", "show the sync-actions journal, or add a log entry", *commands.JOURNAL),
    Command("cancel", "withdraw an order the host canceled", *commands.CANCEL),
    Command("backorders", "list shipments held as backordered", *commands.BACKORDERS),
    Command("prune", "drop old journal entries and webhook bookkeeping", *commands.PRUNE),
    Command("delete", "the Delete quick action: remove the channel's state", *commands.DELETE),
    Command("rename", "change the connection name; the channel id stays", *commands.RENAME),
    Command("worker", "run every channel's [sync.schedule], shared with other workers", *WORKER),
]


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand (``--json sync ...`` or
    ``sync ... --json``); only the top-level copy sets defaults."""
    default = (lambda value: value) if defaults else (lambda value: argparse.SUPPRESS)
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="JSON lines on stdout (snake_case; one object per record or row)",
    )
    common.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=default(False),
        help="no progress and no notes on stderr",
    )
    common.add_argument(
        "--log-level", choices=LEVELS, default=default("warning"), help="default: warning"
    )
    common.add_argument(
        "--log-format", choices=("text", "json"), default=default("text"), help="default: text"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extensiv-connector",
        description="Use the Extensiv 3PL Warehouse Manager as a fulfillment channel.",
        parents=[_common_options(defaults=True)],
        allow_abbrev=False,  # `journal --log` must not read as an abbreviated --log-level
        epilog="exit codes: 0 ok; 1 some records failed or nothing found; 2 bad usage, config "
        "or input; 3 API or network failure; 4 lease held elsewhere; 130 interrupted; "
        "141 output closed. See docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        child = sub.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            add_help=command.add_help,
            allow_abbrev=False,
            parents=[] if not command.add_help else [_common_options(defaults=False)],
        )
        command.configure(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``extensiv-connector`` command with ``argv`` (default: ``sys.argv[1:]``); return the
    exit status."""
    stdout, stderr = sys.stdout, sys.stderr
    parser = build_parser()
    # usage errors exit 2 with argparse's message; the sandbox parses its own options
    args, extra = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    if extra and args.command != "sandbox":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    output = Output(stdout, stderr, as_json=args.json, quiet=args.quiet)
    started = time.monotonic()
    previous = _sigterm_as_interrupt() if args.command != "sandbox" else None
    try:
        with (
            configure_logging(stderr, level=args.log_level, fmt=args.log_format),
            output.whole_lines(),
        ):
            return int(args.run(args, output))
    except BrokenPipeError:
        # `| head` closed the pipe: stop quietly. Records not written were not acknowledged.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        return EXIT["broken_pipe"]
    except KeyboardInterrupt:
        _fail(stderr, "interrupted (records written so far are acknowledged; the rest come again)")
        return EXIT["interrupted"]
    except InputError as exc:
        _fail(stderr, str(exc))
        return EXIT["usage"]
    except ModuleNotFoundError as exc:
        extra_name = _EXTRA_FOR.get((exc.name or "").split(".")[0])
        if extra_name is None:
            raise
        _fail(
            stderr,
            f"this command needs the {extra_name!r} extra: "
            f"pip install 'extensiv-connector[{extra_name}]'",
        )
        return EXIT["usage"]
    except ExtensivError as exc:
        code, message = _classify(exc, args, time.monotonic() - started)
        _fail(stderr, message)
        return code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _sigterm_as_interrupt() -> signal.Handlers | Callable[..., object] | int | None:
    """SIGTERM (cron, systemd, ``docker stop``) stops a command the way Ctrl-C does: whole
    lines, acknowledged records, the action's lease released. Returns the handler to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


_EXTRA_FOR = {"werkzeug": "sandbox", "cryptography": "webhooks", "psycopg": "postgres"}


def _classify(exc: ExtensivError, args: argparse.Namespace, waited: float) -> tuple[int, str]:
    from .sync import LeaseHeldError, StateStoreError

    if isinstance(exc, LeaseHeldError):
        return EXIT["lease_held"], f"{exc} (another run is in progress; try again later)"
    if isinstance(exc, (ConfigError, StateStoreError)):
        return EXIT["usage"], str(exc)
    if isinstance(exc, TransportError):
        host = getattr(args, "_host", "") or "the warehouse API"
        return EXIT["remote"], f"cannot reach {host} (gave up after {waited:.1f}s): {exc}"
    return EXIT["remote"], str(exc)


def _fail(stream: TextIO, message: str) -> None:
    stream.write(f"error: {message}\n")
    stream.flush()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
