"""Cost of the guarded JSON parser (``wire.loads``) against the unguarded parse it replaced.

    .venv/bin/python bench/json_guard.py [--repeat 200]

Documents: a 1,000-record stock-summary page (the inventory pull's body), a 100-order HAL page
built from tests/foundation/fixtures/orders_hal.json, and one webhook event. For each, in one
run: the latency floor (``json.loads`` with no hooks), the baseline (``json.loads(text,
parse_float=Decimal)``, the code before the guard) and the guard, each timed ``--repeat`` times
(best ms), with guard/baseline and guard/floor ratios as min/median/max over back-to-back pairs;
then the stock page parsed and structured into models, the inventory pull's real per-page work.
Then the time to refuse each hostile reproducer of issue 11 (the baseline took 152 s of CPU
on ``1E+1000000`` once structured into an integer, and raised RecursionError on the deep one).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from extensiv_connector import wire
from extensiv_connector.errors import WireFormatError
from extensiv_connector.models import Order, StockSummary

FIXTURES = Path(__file__).parents[1] / "tests" / "foundation" / "fixtures"


def stock_page(records: int) -> str:
    summaries = [
        {
            "itemIdentifier": {"sku": f"SKU-{i:06d}", "id": 500 + i},
            "qualifier": "",
            "totalReceived": 100 + i,
            "allocated": i % 7,
            "available": Decimal(f"{i}.25") if i % 10 == 0 else 60 + i,
            "onHold": 0,
            "onHand": 70 + i,
            "facilityId": 12,
        }
        for i in range(records)
    ]
    return wire.dumps({"totalResults": records, "summaries": summaries})


def orders_page(count: int) -> str:
    page = wire.loads((FIXTURES / "orders_hal.json").read_text())
    rel = next(iter(page["_embedded"]))
    template = page["_embedded"][rel][0]
    page["_embedded"][rel] = [template] * count
    return wire.dumps(page)


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    gc.disable()  # a collection landing in one sample is noise, not parser cost
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            call()
            samples.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return samples


def paired(first: Callable[[], Any], second: Callable[[], Any], repeat: int) -> list[float]:
    """second/first ratios, each pair timed back to back (shared machines drift)."""
    ratios = []
    for _ in range(repeat):
        a, b = timed(first, 1)[0], timed(second, 1)[0]
        ratios.append(b / a)
    return sorted(ratios)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    documents = {
        "stock page, 1000 records": stock_page(1000),
        "orders page, 100 orders": orders_page(100),
        "webhook event": (FIXTURES / "webhook_order_update.json").read_text(),
    }
    print(f"{'document':26} {'bytes':>7} {'floor':>7} {'base':>7} {'guard':>7}  (best ms)")
    print(f"{'':26} guard/base min/median/max, then guard/floor min/median/max")
    for name, text in documents.items():
        floor_call = lambda t=text: json.loads(t)  # noqa: E731 - three one-line callables
        base_call = lambda t=text: json.loads(t, parse_float=Decimal)  # noqa: E731
        guard_call = lambda t=text: wire.loads(t)  # noqa: E731
        best = [min(timed(call, args.repeat)) * 1e3 for call in (floor_call, base_call, guard_call)]
        vs_base = paired(base_call, guard_call, args.repeat)
        vs_floor = paired(floor_call, guard_call, args.repeat)
        print(f"{name:26} {len(text):7d} {best[0]:7.3f} {best[1]:7.3f} {best[2]:7.3f}")
        print(
            f"{'':26} {vs_base[0]:.2f} / {statistics.median(vs_base):.2f} / {vs_base[-1]:.2f}, "
            f"{vs_floor[0]:.2f} / {statistics.median(vs_floor):.2f} / {vs_floor[-1]:.2f}"
        )
    converter = wire.make_converter()
    page = documents["stock page, 1000 records"]

    def pipeline(loads: Callable[[str], Any]) -> Callable[[], Any]:
        def run() -> Any:
            records = wire.parse_collection(loads(page)).records
            return [converter.structure(record, StockSummary) for record in records]

        return run

    base_pipe = pipeline(lambda t: json.loads(t, parse_float=Decimal))
    guard_pipe = pipeline(wire.loads)
    reps = max(10, args.repeat // 10)
    ratios = paired(base_pipe, guard_pipe, reps)
    base_ms = min(timed(base_pipe, reps)) * 1e3
    guard_ms = min(timed(guard_pipe, reps)) * 1e3
    print(
        f"\nstock page parsed + structured into 1000 StockSummary: best base {base_ms:.1f} ms, "
        f"guard {guard_ms:.1f} ms; guard/base min/median/max {ratios[0]:.2f} / "
        f"{statistics.median(ratios):.2f} / {ratios[-1]:.2f}"
    )
    hostile = {
        '"[" * 1500 + "]" * 1500': "[" * 1500 + "]" * 1500,
        "1E+1000000 as orderId": '{"readOnly": {"orderId": 1E+1000000}}',
        "1e400 as wmsEventId": '{"wmsEventId": 1e400, "eventType": "X"}',
        "NaN in an integer": '{"readOnly": {"orderId": NaN}}',
        "[ * 1,000,000": "[" * 1_000_000,
    }
    print("\nhostile input: time to a WireFormatError (median ms of the repeats)")
    for name, text in hostile.items():

        def refuse(t: str = text) -> None:
            try:
                converter.structure(wire.loads(t), Order)
            except WireFormatError:
                return
            raise AssertionError("accepted")

        print(f"{name:28} {statistics.median(timed(refuse, args.repeat)) * 1e3:9.3f}")


if __name__ == "__main__":
    main()
