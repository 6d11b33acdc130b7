"""CPU time per request, client and sandbox apart: the cost a push pays for every order.

    .venv/bin/python bench/request_cpu.py [--requests 500] [--rounds 5]

One sandbox in its own process, no injected latency, one connection, requests sent one after
the other. Per round, interleaved:

- ``client create``: ``client.orders.create(payload)`` with the payload the push flow
  translates (``POST /orders``, the order read back as a model), as the push sends it;
- ``client get``: ``client.request("GET", "/customers")`` (transport only: auth,
  retry bookkeeping, error mapping; no model);
- ``bare post`` / ``bare get``: the same requests through a bare ``requests.Session``
  (``post(data=..., headers=...)`` then ``response.json()``; ``get`` then ``.text``): what
  any ``requests``-based client pays at least;
- ``translate``: ``translate.sales_order_to_order`` for the same orders (no request).

Figures: this thread's CPU time per request (``time.thread_time``), and the sandbox process's
CPU time per request (user + system from ``/proc/<pid>/stat``; Linux only), min / median / max
over the rounds; the client's ratio to the bare session is taken per round.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests
from _common import Rounds, fmt_ratio, process_cpu, spread
from push_orders import config, orders

from extensiv_connector import translate, wire
from extensiv_connector.client import ExtensivClient
from extensiv_connector.models import SalesOrder

HAL = "application/hal+json"


@contextmanager
def sandbox_process() -> Iterator[tuple[dict[str, Any], int]]:
    """A sandbox in its own process (no latency): connection info and its pid."""
    import json
    import subprocess

    command = [
        sys.executable,
        "-m",
        "extensiv_connector.sandbox",
        "--port",
        "0",
        "--catalog-size",
        "100",
        "--initial-stock",
        "1000000",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline()), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def fmt_us(values: Sequence[float]) -> str:
    low, mid, high = spread(values)
    return f"{low * 1e6:7.1f} / {mid * 1e6:7.1f} / {high * 1e6:7.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.requests
    rounds = Rounds()
    with sandbox_process() as (info, pid):
        channel = config(info, 1)
        converter = wire.make_converter()
        credentials = {k: v for k, v in info.items() if k != "webhook_url"}
        client = ExtensivClient(**credentials, pool_size=1)
        client.customers.get()  # token and a pooled connection, as a long-running host has
        session = requests.Session()
        bearer = {"Authorization": f"Bearer {client._transport.tokens.token()}", "Accept": HAL}
        post_headers = {**bearer, "Content-Type": "application/json; charset=utf-8"}
        orders_url = info["base_url"] + "/orders"
        customers_url = info["base_url"] + "/customers"

        def batch(prefix: str) -> list[dict[str, Any]]:
            return [
                translate.sales_order_to_order(o, channel, converter=converter).payload
                for o in orders(prefix, n)
            ]

        def client_create(payloads: list[dict[str, Any]]) -> None:
            for payload in payloads:
                client.orders.create(payload)

        def bare_post(payloads: list[dict[str, Any]]) -> float:
            bodies = [wire.dumps(p).encode() for p in payloads]  # not counted: bytes given
            started = time.thread_time()
            for body in bodies:
                session.post(orders_url, data=body, headers=post_headers, timeout=30).json()
            return time.thread_time() - started

        def client_get(_: Any) -> None:
            for _i in range(n):
                client.request("GET", "/customers")

        def bare_get(_: Any) -> None:
            for _i in range(n):
                _ = session.get(customers_url, headers=bearer, timeout=30).text

        def translate_all(batch: list[SalesOrder]) -> None:
            for order in batch:
                translate.sales_order_to_order(order, channel, converter=converter)

        contenders: dict[str, tuple[Callable[[Any], float | None], Callable[[int], Any]]] = {
            "client create": (client_create, lambda r: batch(f"C{r}")),
            "bare post": (bare_post, lambda r: batch(f"B{r}")),
            "client get": (client_get, lambda r: None),
            "bare get": (bare_get, lambda r: None),
            "translate": (translate_all, lambda r: orders(f"T{r}", n)),
        }
        for r in range(-1, args.rounds):  # round -1 warms up
            for name, (fn, make) in contenders.items():
                arg = make(r)
                sandbox_before = process_cpu(pid)
                started = time.thread_time()
                counted = fn(arg)
                cpu = time.thread_time() - started if counted is None else counted
                sandbox_after = process_cpu(pid)
                if r < 0:
                    continue
                rounds.add(name, cpu / n)
                if sandbox_before is not None and sandbox_after is not None:
                    rounds.add(f"{name} sandbox", (sandbox_after - sandbox_before) / n)
        client.close()

    print(
        f"request CPU: {n} sequential requests per contender, {args.rounds} interleaved rounds, "
        "sandbox in its own process, no latency (min / median / max)"
    )
    for name in ("client create", "bare post", "client get", "bare get", "translate"):
        line = f"  {name:14}: client {fmt_us(rounds[name])}"
        if name != "translate" and f"{name} sandbox" in rounds.values:
            line += f"   sandbox {fmt_us(rounds[f'{name} sandbox'])}"
        print(line)
    create = rounds.ratios("client create", "bare post")
    print(f"  client create / bare post: {fmt_ratio(create)}  (client CPU, per round)")
    print(f"  client get / bare get    : {fmt_ratio(rounds.ratios('client get', 'bare get'))}")


if __name__ == "__main__":
    main()
