"""``extensiv-connector sandbox``: serve the sandbox until interrupted.

The first stdout line is one JSON object with ``base_url``, ``client_id``, ``client_secret``,
``tpl``, ``user_login_id``, ``customer_id`` and ``facility_id`` (flushed), so a script can read it
and connect; with ``--tls`` also ``ca_file``, the PEM of the run's self-signed CA.
``--write-config PATH`` also writes a ready channel TOML there (secrets as
environment references) and prints the ``export`` lines that set them, on stderr.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from types import FrameType

__all__ = ["build_parser", "main"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected 0-65535 (0: a free one), got {port}")
    return port


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {number}")
    return number


def build_parser(prog: str = "extensiv-connector sandbox") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Serve an Extensiv-compatible sandbox on loopback."
    )
    parser.add_argument("--port", type=_port, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1; anything else exposes the sandbox)",
    )
    parser.add_argument("--catalog-size", type=int, default=100, help="SKUs to seed (≤ 100000)")
    parser.add_argument("--initial-stock", type=int, default=100, help="units per seeded SKU")
    parser.add_argument("--seed", type=int, default=0, help="seed for faults and ids")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="500/502/503 share")
    parser.add_argument("--reset-rate", type=float, default=0.0, help="connection resets")
    parser.add_argument(
        "--lost-response-rate", type=float, default=0.0, help="writes committed, answer lost"
    )
    parser.add_argument("--rate-limit-rate", type=float, default=0.0, help="429 bursts")
    parser.add_argument("--token-lifetime", type=float, default=3600.0, help="seconds")
    parser.add_argument("--webhook-url", default=None, help="POST event notifications here")
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a fresh self-signed CA (its PEM path is printed as ca_file)",
    )
    parser.add_argument(
        "--no-keep-alive",
        action="store_true",
        help="close the connection after every response (default: HTTP/1.1 keep-alive)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="close a connection whose next request has not fully arrived this long after the"
        " sandbox started waiting for it (default 15)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=256,
        metavar="N",
        help="connections served at once; one more is closed unanswered (default 256)",
    )
    parser.add_argument("--client-id", default=None)
    parser.add_argument("--client-secret", default=None)
    parser.add_argument(
        "--write-config",
        metavar="PATH",
        default=None,
        help="write a channel TOML for this sandbox to PATH (secrets as env references)",
    )
    return parser


def write_config(path: str, info: dict[str, object]) -> list[str]:
    """Write the channel TOML for ``info`` to ``path``; returns the ``export`` lines (the
    secrets go in the environment, never in the file)."""
    from ..config import DEFAULT_SECRET_ENV, ChannelConfig

    secret_env, tpl_env = DEFAULT_SECRET_ENV["client_secret"], DEFAULT_SECRET_ENV["tpl"]
    credentials = dict(info)
    ca_file = credentials.pop("ca_file", None)  # --tls: the CA is a client setting
    config = ChannelConfig.from_dict(
        {
            "general": {"connection_name": "sandbox"},
            "credentials": {
                **credentials,
                "client_secret": {"env": secret_env},
                "tpl": {"env": tpl_env},
            },
            **({"client": {"ca_file": str(ca_file)}} if ca_file else {}),
        },
        environ={secret_env: str(info["client_secret"]), tpl_env: str(info["tpl"])},
    )
    header = (
        "# A channel for the local Extensiv-compatible sandbox (extensiv-connector sandbox).\n"
        "# Secrets come from the environment; state_path is relative to this file's folder.\n"
    )
    text = config.to_toml()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + text)
    return [
        f"export {secret_env}={shlex.quote(str(info['client_secret']))}",
        f"export {tpl_env}={shlex.quote(str(info['tpl']))}",
    ]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from ._faults import FaultConfig
        from ._server import Sandbox

        faults = FaultConfig(
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            reset_rate=args.reset_rate,
            lost_response_rate=args.lost_response_rate,
            rate_limit_rate=args.rate_limit_rate,
            seed=args.seed,
        )
        sandbox = Sandbox(
            catalog_size=args.catalog_size,
            initial_stock=args.initial_stock,
            seed=args.seed,
            host=args.host,
            port=args.port,
            token_lifetime_s=args.token_lifetime,
            faults=faults,
            webhook_url=args.webhook_url,
            client_id=args.client_id,
            client_secret=args.client_secret,
            tls=args.tls,
            keep_alive=not args.no_keep_alive,
            idle_timeout_s=args.idle_timeout,
            max_connections=args.max_connections,
        )
    except (ValueError, ImportError) as exc:
        print(f"error: sandbox: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
    try:
        sandbox.start()
    except OSError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    with sandbox:
        info = sandbox.connection_info()
        exports: list[str] = []
        if args.write_config:  # first: a sandbox whose config cannot be written is not served
            try:
                exports = write_config(args.write_config, info)
            except OSError as exc:
                print(f"error: cannot write {args.write_config}: {exc.strerror}", file=sys.stderr)
                return 2
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        if args.write_config:
            lines = [f"wrote {args.write_config}; set its secrets with:", *exports]
            sys.stderr.write("\n".join(lines) + "\n")
            sys.stderr.flush()
        try:
            while not stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
    return 0
