"""Benchmark: allocate 100,000 orders x 3 lines over 10,000 SKUs from one stock snapshot.

Prints the time of ``allocate`` and its ratio to a bare dict loop doing the same arithmetic
(oldest-first sort, per-line cover check with a per-order scratch dict, all-or-nothing commit,
per-line sent and shortage quantities). How it is measured, so the ratio means something on a
shared machine:

- CPU time of this thread (``time.thread_time``): both contenders are single-threaded and
  CPU-bound, so wall time would mostly measure the scheduler;
- the garbage collector is off while either runs and collects between runs, so neither pays
  for collections the other's garbage triggered; the previous run's result is freed before the
  clock starts (freeing it is not the work measured);
- each round runs each contender ``--repeat`` times, alternating (bare, lib, bare, lib, ...; who
  starts alternates by round), and takes each one's fastest run (as ``timeit`` does: the run
  least disturbed by other processes); the round's ratio is lib / bare of those;
- every round is printed, then min / median / max over the rounds.

Goal (issue 15): <= 1.3x in every round.

    .venv/bin/python bench/allocate.py [--orders N] [--rounds R] [--repeat K]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from _common import Rounds, fmt_ratio, fmt_seconds

from extensiv_connector.backorder import Allocation, BackorderPolicy, allocate
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


#: ``bare_loop``'s answer: per order (sent, shortages), and the stock left.
BareResult = tuple[list[tuple[tuple[Decimal, ...], tuple[Decimal, ...]]], dict[str, Decimal]]


def bare_loop(orders: Sequence[SalesOrder], stock: dict[str, Decimal]) -> BareResult:
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
    parser.add_argument("--repeat", type=int, default=5, help="runs per contender per round")
    args = parser.parse_args()
    orders, stock = build(args.orders, args.skus)
    policy = BackorderPolicy()

    def run_bare() -> object:
        return bare_loop(orders, stock)

    def run_lib() -> object:
        return allocate(orders, stock, policy)

    contenders: dict[str, Callable[[], object]] = {"bare": run_bare, "lib": run_lib}
    last: dict[str, object] = {}
    rounds = Rounds()
    print(
        f"allocate: {args.orders:,} orders x 3 lines over {args.skus:,} SKUs, "
        f"{args.rounds} interleaved rounds, the best of {args.repeat} runs each "
        f"(thread CPU time, gc off), load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    gc.disable()
    try:
        for index in range(args.rounds):
            # Alternate who goes first, so neither always runs on a warmer (or colder) machine.
            names = ("bare", "lib") if index % 2 == 0 else ("lib", "bare")
            best = dict.fromkeys(names, float("inf"))
            for _ in range(args.repeat):
                for name in names:
                    last.pop(name, None)  # free the previous result before the clock starts
                    gc.collect()
                    started = time.thread_time()
                    last[name] = contenders[name]()
                    best[name] = min(best[name], time.thread_time() - started)
            for name, seconds in best.items():
                rounds.add(name, seconds)
            print(
                f"  round {index + 1}: allocate() {best['lib']:.3f} s, "
                f"bare loop {best['bare']:.3f} s, ratio {best['lib'] / best['bare']:.2f}x"
            )
    finally:
        gc.enable()
    bare, bare_remaining = cast(BareResult, last["bare"])
    result = last["lib"]
    assert isinstance(result, Allocation)
    # Same answer, or the comparison means nothing.
    assert [r[0] for r in bare] == [d.line_quantities for d in result.decisions]
    assert [r[1] for r in bare] == [d.shortages for d in result.decisions]
    assert bare_remaining == result.remaining
    held = sum(1 for d in result.decisions if d.held)
    ratios = rounds.ratios("lib", "bare")
    over = sum(1 for r in ratios if r > 1.3)
    print(f"  ({held:,} of {args.orders:,} orders held)  min / median / max:")
    print(f"  allocate():  {fmt_seconds(rounds['lib'])}")
    print(f"  bare loop:   {fmt_seconds(rounds['bare'])}")
    print(
        f"  ratio:       {fmt_ratio(ratios)} (goal <= 1.30x in every round: "
        f"{'OK' if not over else f'{over} of {len(ratios)} over'})"
    )


if __name__ == "__main__":
    main()
