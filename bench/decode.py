"""Decode: bytes of one API page -> models, through the one public reader, against ``json.loads``.

    .venv/bin/python bench/decode.py [--rounds 15] [--repeat 20]

Two pages taken from the sandbox as the client receives them (HAL): 500 stock summaries, and
100 orders with ``detail=All`` (3 lines each). Per round, each contender decodes the same bytes
``--repeat`` times, the contenders' calls interleaved one by one in a rotating order (the
garbage collector on as usual), and a contender's round figure is the median CPU time of its
calls (CPU, not wall: the machine is shared; the median, so a neighbour's burst in a few calls
counts for no contender); each ratio is taken within its round.

- ``json.loads``: the standard library's parse to dicts and floats (the baseline);
- ``read_collection``: ``wire.read_collection(body, Model, rel)``, as the client reads every
  page: msgspec decodes the records straight into per-model Structs and generated code builds
  the models (the general path for any page it is not sure of);
- ``reader``: ``wire.loads`` + ``wire.parse_collection`` + ``make_converter().structure``
  per record (when msgspec is installed it parses, behind the hostile-input guard, and
  ``msgspec.convert`` checks each record against its model's mirror Struct);
- ``reader, pure parser``: the same with the guarded standard-library parser and the
  generated per-record readers (what the reader does without the ``speed`` extra);
- ``general path (before)``: the standard-library parser and the general, case-insensitive
  reader for every record, as every record was read before the generated readers.

Goals (issue 15): stock summaries <= 1.5x, orders <= 2.5x ``json.loads``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import requests
from _common import Rounds, fmt_ratio, fmt_seconds

from extensiv_connector import _json_decode, _json_guard, wire
from extensiv_connector.models import Order, StockSummary
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.wire import _Structurer

HAL = "application/hal+json"


def pages() -> tuple[bytes, bytes]:
    """(500 stock summaries, 100 orders with detail=All), as raw HAL bytes."""
    with Sandbox(catalog_size=500, initial_stock=1000) as sb:
        for n in range(100):
            sb.warehouse.create_order(
                {
                    "customerIdentifier": {"id": sb.credentials.customer_id},
                    "facilityIdentifier": {"id": sb.credentials.facility_id},
                    "referenceNum": f"BENCH-{n:04d}",
                    "poNum": f"PO-{n}",
                    "notes": "leave at the door",
                    "routingInfo": {"carrier": "UPS", "mode": "92"},
                    "shipTo": {
                        "companyName": "B",
                        "name": "Buyer",
                        "address1": "1 Main St",
                        "city": "Dallas",
                        "state": "TX",
                        "zip": "75201",
                        "country": "US",
                    },
                    "orderItems": [
                        {"itemIdentifier": {"sku": f"SKU-{(n * 3 + i) % 500 + 1:06d}"}, "qty": 2}
                        for i in range(3)
                    ],
                }
            )
        info = sb.connection_info()
        token = requests.post(
            sb.token_url,
            json={"grant_type": "client_credentials", "user_login_id": info["user_login_id"]},
            auth=(info["client_id"], info["client_secret"]),
            timeout=10,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": HAL}

        def get(path: str) -> bytes:
            response = requests.get(sb.base_url + path, headers=headers, timeout=30)
            response.raise_for_status()
            return response.content

        return get("/inventory/stocksummaries?pgsiz=500"), get("/orders?pgsiz=100&detail=All")


def reader(
    parse: Callable[[bytes], Any], cls: type[Any], rel: str | None
) -> Callable[[bytes], Any]:
    converter = wire.make_converter()

    def decode(body: bytes) -> list[Any]:
        page = wire.parse_collection(parse(body), rel)
        return [converter.structure(record, cls) for record in page.records]

    return decode


def page_reader(cls: type[Any], rel: str | None) -> Callable[[bytes], Any]:
    converter = wire.make_converter()
    read = converter.get_structure_hook(cls)

    def decode(body: bytes) -> list[Any]:
        return wire.read_collection(body, cls, rel, read=lambda r: read(r, cls)).records

    return decode


def without_msgspec(decode: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """``decode`` as it runs without msgspec installed: the guard's standard-library parser,
    and no typed reading (both check ``_json_guard._ACCELERATED``)."""

    def run(body: bytes) -> Any:
        saved, _json_guard._ACCELERATED = _json_guard._ACCELERATED, None
        try:
            return decode(body)
        finally:
            _json_guard._ACCELERATED = saved

    return run


def general_reader(cls: type[Any], rel: str | None) -> Callable[[bytes], Any]:
    """Before issue 15: the standard-library parser and the general (case-insensitive) path
    for every record; kept as the general reader's fallback, so still measurable."""
    read = _Structurer(compiled=False).reader(cls)

    def decode(body: bytes) -> list[Any]:
        page = wire.parse_collection(_json_decode.decode_pure(body), rel)
        return [read(record) for record in page.records]

    return decode


def one_call(fn: Callable[[bytes], Any], body: bytes) -> float:
    started = time.process_time()
    fn(body)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    summaries, orders = pages()
    cases = {
        "stock summaries (500)": (summaries, StockSummary, None, 1.5),
        "orders detail=All (100)": (orders, Order, "orders", 2.5),
    }
    for label, (body, cls, rel, goal) in cases.items():
        contenders: dict[str, Callable[[bytes], Any]] = {
            "json.loads": json.loads,
            "read_collection": page_reader(cls, rel),
            "reader": reader(wire.loads, cls, rel),
            "reader, pure parser": without_msgspec(reader(wire.loads, cls, rel)),
            "general path (before)": general_reader(cls, rel),
        }
        records = len(wire.parse_collection(json.loads(body), rel).records)
        expected = contenders["reader"](body)
        assert records == len(expected) > 0
        assert expected == contenders["reader, pure parser"](body)
        assert expected == contenders["read_collection"](body)
        for fn in contenders.values():
            fn(body)  # warm-up: compiles the readers
        rounds = Rounds()
        order = list(contenders.items())
        for number in range(args.rounds):
            # Each round starts from a collected heap (the collector runs as usual inside it,
            # for every contender alike). Calls are interleaved one by one (each pass in
            # another order, so no contender always runs first or right after the heaviest),
            # and each contender's round figure is the median of its calls: a neighbour's
            # burst on a shared core hits a few calls of every contender, and is left out.
            gc.collect()
            times: dict[str, list[float]] = {name: [] for name, _ in order}
            for index in range(args.repeat):
                shift = (number + index) % len(order)
                for name, fn in order[shift:] + order[:shift]:
                    times[name].append(one_call(fn, body))
            for name, values in times.items():
                rounds.add(name, statistics.median(values))
        print(f"{label}: {len(body):,} bytes, {args.rounds} rounds x {args.repeat}, CPU time")
        print(f"  json.loads            : {fmt_seconds(rounds['json.loads'])}  (min/median/max)")
        for name in ("read_collection", "reader", "reader, pure parser", "general path (before)"):
            ratio = fmt_ratio(rounds.ratios(name, "json.loads"))
            print(
                f"  {name:<22}: {fmt_seconds(rounds[name])}  = {ratio} json.loads (goal <= {goal}x)"
            )
    print(f"parser: {_json_decode.BACKEND}")


if __name__ == "__main__":
    main()
