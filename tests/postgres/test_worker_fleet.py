"""Four worker processes share 20 channels through PostgreSQL, through injected faults
(lost responses included) and random SIGKILLs: every order lands in the warehouse exactly once,
nothing is lost, and every order that cannot be covered is still held.

CI runs 1,000 orders; ``EXTENSIV_FLEET_ORDERS=5000`` runs the issue's full size (about the same
code path, several times longer).
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import (
    INTERRUPTED_RUN,
    EntryKind,
    LedgerKind,
    LedgerState,
    PostgresStore,
    RunStatus,
)

from . import _fleet
from ._server import fresh_schema

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
CHANNELS = 20
ORDERS = int(os.environ.get("EXTENSIV_FLEET_ORDERS", "1000"))
KILLS = 4
LEASE = 2.0


def _spawn(settings: dict[str, Any]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(  # noqa: S603 - our own test module, fixed arguments
        [sys.executable, "-m", "tests.postgres._fleet", json.dumps(settings)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert "ready" == proc.stdout.readline().strip()
    return proc


def _references(sb: Sandbox) -> collections.Counter[str]:
    return collections.Counter(
        sb.warehouse.order_view(r)["referenceNum"] for r in sb.warehouse.order_records()
    )


def _expected() -> tuple[set[str], set[str]]:
    per_channel = ORDERS // CHANNELS
    sent: set[str] = set()
    held: set[str] = set()
    for c in range(CHANNELS):
        for i in range(per_channel):
            bucket = held if i % _fleet.HELD_EVERY == _fleet.HELD_EVERY - 1 else sent
            bucket.add(_fleet.reference(c, i))  # the order number
    return sent, held


def test_four_workers_killed_at_random_deliver_every_order_exactly_once() -> None:
    rng = random.Random(17)
    want_sent, want_held = _expected()
    want_refs = {f"{number}-1" for number in want_sent}  # the default reference template
    with (
        fresh_schema("fleet") as (url, schema),
        Sandbox(catalog_size=50, initial_stock=100_000, seed=17) as sb,
    ):
        PostgresStore(url, schema=schema).close()  # migrate once, outside the race
        settings = {
            "info": sb.connection_info(),
            "url": url,
            "schema": schema,
            "channels": CHANNELS,
            "orders": ORDERS // CHANNELS,
            "lease": LEASE,
        }
        # About 15% of requests fail: 5xx, resets, lost-after-commit responses, 429s.
        sb.faults.configure(
            seed=17,
            error_rate=0.05,
            reset_rate=0.04,
            lost_response_rate=0.05,
            rate_limit_rate=0.01,
            rate_limit_burst=1,
            retry_after_s=1,
        )
        workers = [_spawn(settings) for _ in range(WORKERS)]
        killed = 0
        killed_pids: set[int] = set()
        deadline = time.monotonic() + 600
        try:
            while time.monotonic() < deadline:
                time.sleep(1.0)
                landed = _references(sb)
                if killed < KILLS and sum(landed.values()) >= (killed + 1) * len(want_sent) // (
                    KILLS + 2
                ):
                    victim = rng.randrange(WORKERS)
                    killed_pids.add(workers[victim].pid)
                    workers[victim].send_signal(signal.SIGKILL)
                    assert -signal.SIGKILL == workers[victim].wait(timeout=30)
                    _close(workers[victim])
                    workers[victim] = _spawn(settings)
                    killed += 1
                if killed == KILLS and want_refs <= set(landed) and _settled(url, schema):
                    break
            for proc in workers:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(timeout=120) for proc in workers]
        finally:
            for proc in workers:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                _close(proc)
        landed = _references(sb)
        with PostgresStore(url, schema=schema) as store:
            held = {
                e.order_number
                for c in range(CHANNELS)
                for e in store.backorder_list(_fleet.channel_name(c))
            }
            states = collections.Counter(
                e.state
                for c in range(CHANNELS)
                for e in store.ledger_list(_fleet.channel_name(c), LedgerKind.ORDER)
            )
            runs = {
                c: store.journal_query(_fleet.channel_name(c), kind=EntryKind.RUN)
                for c in range(CHANNELS)
            }
            # A killed run is closed by the next run of its action; one with no later run
            # (killed last) is still RUNNING.
            interrupted = [e for c in runs for e in runs[c] if INTERRUPTED_RUN in e.errors] + [
                e for c in runs for e in runs[c] if e.status is RunStatus.RUNNING
            ]
            running_with_a_later_run = [
                e
                for c in runs
                for e in runs[c]
                if e.status is RunStatus.RUNNING
                and any(
                    o.action == e.action and (o.entry_id or 0) > (e.entry_id or 0) for o in runs[c]
                )
            ]
            # A killed worker's lease stays until it expires (nothing can release it); every
            # lease left must be one of those, never a gracefully stopped worker's.
            leases = [
                (c, a, lease.owner)
                for c in range(CHANNELS)
                for a in ("push_orders", "worker:push_orders")
                if (lease := store.lease_info(_fleet.channel_name(c), a)) is not None
                and int(lease.owner.split(":")[1]) not in killed_pids
            ]

    assert KILLS == killed
    assert [0] * WORKERS == codes  # SIGTERM stops every worker cleanly
    assert want_refs == set(landed)  # nothing lost ...
    assert {1} == set(landed.values())  # ... nothing twice
    assert want_held == held  # what cannot be covered is still queued, not dropped
    assert 0 == states[LedgerState.PENDING]
    assert len(want_sent) == states[LedgerState.SENT]
    assert [] == leases  # graceful stop released everything it held
    assert interrupted, "the kills should have interrupted runs (closed or still RUNNING)"
    assert [] == running_with_a_later_run  # the next run of an action closes a killed one


def _close(proc: subprocess.Popen[str]) -> None:
    if proc.stdout is not None:
        proc.stdout.close()


def _settled(url: str, schema: str) -> bool:
    """Every ledger entry has a known outcome (no PENDING left by a killed worker)."""
    with PostgresStore(url, schema=schema, pool_size=1) as store:
        return all(
            not store.ledger_list(
                _fleet.channel_name(c), LedgerKind.ORDER, states={LedgerState.PENDING}
            )
            for c in range(CHANNELS)
        )
