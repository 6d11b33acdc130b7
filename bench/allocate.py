"""Benchmark: allocate 100,000 orders x 3 lines over 10,000 SKUs from one stock snapshot.

Prints the time of ``allocate`` and its ratio to a bare dict loop doing the same arithmetic
(oldest-first sort, per-line cover check with a per-order scratch dict, all-or-nothing commit,
per-line sent and shortage quantities), interleaved round by round in one process, as
min/median/max of the per-round ratios. Both are single-threaded and CPU-bound, so process CPU
time is measured (on a shared machine wall time mostly measures the scheduler).
Goal (issue 15): <= 1.3x in every round.

    .venv/bin/python bench/allocate.py [--orders N] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from _common import Rounds, fmt_ratio, fmt_seconds

from extensiv_connector.backorder import BackorderPolicy, allocate
from extensiv_connector.models import OrderLine, SalesOrder

_ZERO = Decimal(0)


def build(n_orders: int, n_skus: int, seed: int = 7) -> tuple[list[SalesOrder], dict[str, Decimal]]:
    rng = random.Random(seed)
    skus = [f"SKU-{i:05d}" for i in range(n_skus)]
    start = datetime(2025, 1, 1)
    orders = [
        SalesOrder(
            order_number=f"SO-{i:07d}",
            ordered_at=start + timedelta(minutes=rng.randrange(60 * 24 * 30)),
            lines=tuple(
                OrderLine(sku=rng.choice(skus), quantity=Decimal(rng.randint(1, 4)))
                for _ in range(3)
            ),
        )
        for i in range(n_orders)
    ]
    # Roughly 2.5 units ordered per SKU per 1,000 orders x 3 lines: give stock for ~80 %.
    mean_demand = n_orders * 3 * 2.5 / n_skus
    stock = {sku: Decimal(int(rng.uniform(0.5, 1.1) * mean_demand)) for sku in skus}
    return orders, stock


def bare_loop(
    orders: Sequence[SalesOrder], stock: dict[str, Decimal]
) -> tuple[list[tuple[tuple[Decimal, ...], tuple[Decimal, ...]]], dict[str, Decimal]]:
    remaining = dict(stock)
    keys = [(o.ordered_at, o.order_number, o.shipment_seq) for o in orders]
    results: list[tuple[tuple[Decimal, ...], tuple[Decimal, ...]]] = [((), ())] * len(orders)
    for index in sorted(range(len(orders)), key=keys.__getitem__):
        order = orders[index]
        taken: dict[str, Decimal] = {}
        sent: list[Decimal] = []
        short: list[Decimal] = []
        covered = True
        for line in order.lines:
            sku = line.sku
            need = line.quantity
            have = remaining.get(sku, _ZERO) - taken.get(sku, _ZERO)
            if have >= need:
                taken[sku] = taken.get(sku, _ZERO) + need
                sent.append(need)
                short.append(_ZERO)
            else:
                covered = False
                sent.append(_ZERO)
                short.append(need - (have if have > _ZERO else _ZERO))
        if covered:
            for sku, amount in taken.items():
                remaining[sku] -= amount
            results[index] = (tuple(sent), tuple(short))
        else:
            results[index] = ((_ZERO,) * len(sent), tuple(short))
    return results, remaining


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    orders, stock = build(args.orders, args.skus)
    policy = BackorderPolicy()
    rounds = Rounds()
    for index in range(args.rounds):
        # Alternate who goes first, so neither always runs on a warmer (or colder) machine.
        order = ("bare", "lib") if index % 2 == 0 else ("lib", "bare")
        for name in order:
            gc.collect()
            started = time.process_time()
            if name == "bare":
                bare, bare_remaining = bare_loop(orders, stock)
            else:
                result = allocate(orders, stock, policy)
            rounds.add(name, time.process_time() - started)
    # Same answer, or the comparison means nothing.
    assert [r[0] for r in bare] == [d.line_quantities for d in result.decisions]
    assert bare_remaining == result.remaining
    held = sum(1 for d in result.decisions if d.held)
    ratios = rounds.ratios("lib", "bare")
    over = sum(1 for r in ratios if r > 1.3)
    print(
        f"allocate: {args.orders:,} orders x 3 lines over {args.skus:,} SKUs "
        f"({held:,} held), {args.rounds} interleaved rounds (min / median / max)"
    )
    print(f"  allocate():  {fmt_seconds(rounds['lib'])}")
    print(f"  bare loop:   {fmt_seconds(rounds['bare'])}")
    print(
        f"  ratio:       {fmt_ratio(ratios)} (goal <= 1.30x in every round: "
        f"{'OK' if not over else f'{over} of {len(ratios)} over'})"
    )


if __name__ == "__main__":
    main()
