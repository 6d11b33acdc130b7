"""Cost of resolving order lines to warehouse stock before allocation (issue 12).

    .venv/bin/python bench/sku_resolution.py [--orders 2000] [--runs 15]

Compares, over the same batch (orders x 3 lines, 500 SKUs, every SKU mapped 1:1 to a warehouse
SKU, OMS mode): ``allocate`` on stock keyed by host SKU (what pushes did before) against
``allocation_inputs`` + ``allocate`` on warehouse stock (what pushes do now). Prints min /
median / max per run and the ratios of the minima and medians. Timing only, no assertions.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from extensiv_connector.backorder import BackorderMode, BackorderPolicy, allocate
from extensiv_connector.mapping import SkuMapping, SkuMappingEntry
from extensiv_connector.models import OrderLine, SalesOrder
from extensiv_connector.sync._inventory import warehouse_key
from extensiv_connector.sync._stock import allocation_inputs


def _timings(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    skus = [f"H-{n:05d}" for n in range(500)]
    mapping = SkuMapping(
        entries=tuple(SkuMappingEntry(host_sku=s, channel_sku=f"W-{s}") for s in skus)
    )
    start = datetime(2026, 1, 1)
    orders = [
        SalesOrder(
            order_number=f"SO-{i}",
            ordered_at=start + timedelta(seconds=i),
            lines=[OrderLine(sku=skus[(i * 7 + k) % len(skus)], quantity=2) for k in range(3)],
        )
        for i in range(args.orders)
    ]
    policy = BackorderPolicy(mode=BackorderMode.MANAGE_IN_OMS)
    host_stock = {s: Decimal(20) for s in skus}
    warehouse_stock = {warehouse_key(f"W-{s}"): Decimal(20) for s in skus}

    def before() -> object:
        return allocate(orders, host_stock, policy)

    def after() -> object:
        inputs = allocation_inputs(orders, warehouse_stock, policy, mapping)
        return allocate(orders, inputs.stock, inputs.policy)

    base = _timings(before, args.runs)
    now = _timings(after, args.runs)
    for name, times in (("host-keyed allocate (before)", base), ("resolved + allocate (now)", now)):
        print(
            f"{name:30s}: min {min(times) * 1000:7.1f} ms  median "
            f"{statistics.median(times) * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms"
        )
    ratio = statistics.median(now) / statistics.median(base)
    print(f"ratio now / before: min {min(now) / min(base):.2f}x, median {ratio:.2f}x")


if __name__ == "__main__":
    main()
