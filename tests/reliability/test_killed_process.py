"""A process killed in the middle of a sync resumes without losing or duplicating records.

The child runs against a sandbox in this process and keeps its state in a SQLite file; after
it dies, this process resumes with the same file.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import (
    Connector,
    LeaseHeldError,
    LedgerKind,
    LedgerState,
    PushStatus,
    RunStatus,
    SQLiteStore,
)

from . import _workload

ROOT = Path(__file__).resolve().parents[2]


def _child(command: str, settings: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own test module, fixed arguments
        [sys.executable, "-m", "tests.reliability._workload", command, json.dumps(settings)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _references(sb: Sandbox) -> collections.Counter[str]:
    return collections.Counter(
        sb.warehouse.order_view(r)["referenceNum"] for r in sb.warehouse.order_records()
    )


def _resume(action: Any) -> Any:
    """Run ``action`` once the dead child's lease (1 s) has run out; before that it is refused."""
    with pytest.raises(LeaseHeldError):
        action()
    deadline = time.monotonic() + 5
    while True:
        try:
            return action()
        except LeaseHeldError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_push_killed_mid_batch_resumes_without_duplicates(tmp_path: Path) -> None:
    total = 300
    state = tmp_path / "state.sqlite3"
    with Sandbox(catalog_size=10, initial_stock=1000) as sb:
        sb.faults.configure(latency_ms=10)  # slow enough to be killed half way
        child = _child("push", {"info": sb.connection_info(), "state": str(state), "orders": total})
        deadline = time.monotonic() + 30
        while sum(_references(sb).values()) < total // 4 and time.monotonic() < deadline:
            time.sleep(0.002)
        child.send_signal(signal.SIGKILL)
        assert -signal.SIGKILL == child.wait(timeout=10)
        at_kill = sum(_references(sb).values())
        assert total // 4 <= at_kill < total, at_kill
        sb.faults.clear()

        store = SQLiteStore(state)
        with Connector(_workload.config(sb.connection_info()), store=store) as connector:
            pending = [
                e
                for e in store.ledger_list(connector.channel, LedgerKind.ORDER)
                if e.state is LedgerState.PENDING
            ]
            [crashed] = connector.journal.by_action("push_orders")
            result = _resume(lambda: connector.push_orders(_workload.orders(total)))
            again = connector.push_orders(_workload.orders(total))
        store.close()
        references = _references(sb)

    assert RunStatus.RUNNING == crashed.status  # the killed run stays visible as running
    assert pending, "the kill should leave requests whose outcome is unknown"
    statuses = collections.Counter(o.status for o in result.outcomes)
    assert total == statuses[PushStatus.SENT_FULL] + statuses[PushStatus.ALREADY_PRESENT]
    assert statuses[PushStatus.ALREADY_PRESENT] >= at_kill - len(pending)
    assert {PushStatus.ALREADY_PRESENT} == {o.status for o in again.outcomes}
    assert total == len(references)
    assert {1} == set(references.values())  # nothing lost, nothing twice


def test_shipments_killed_in_the_handler_are_redelivered_with_the_same_keys(
    tmp_path: Path,
) -> None:
    total, die_after = 30, 10
    state, log = tmp_path / "state.sqlite3", tmp_path / "host.log"
    with Sandbox(catalog_size=10, initial_stock=100) as sb:
        info = sb.connection_info()
        store = SQLiteStore(state)
        with Connector(_workload.config(info), store=store) as connector:
            pushed = connector.push_orders(_workload.orders(total))
        store.close()
        for outcome in pushed.outcomes:
            assert outcome.remote_id is not None
            sb.warehouse.ship_order(outcome.remote_id)

        child = _child(
            "ship",
            {"info": info, "state": str(state), "log": str(log), "die_after": die_after},
        )
        assert _workload.DIED == child.wait(timeout=30)
        before = log.read_text().split()

        store = SQLiteStore(state)
        with Connector(_workload.config(info), store=store) as connector:
            record = _workload.record_to(str(log))
            resumed = _resume(lambda: connector.receive_shipments(handler=record))
            after_all = connector.receive_shipments(handler=record)
        store.close()
    delivered = log.read_text().split()

    assert die_after == len(before)
    # every shipment reached the host (keys are shipment:<order id>:<lastModifiedDate>)
    assert {str(o.remote_id) for o in pushed.outcomes} == {k.split(":")[1] for k in delivered}
    duplicates = [k for k, n in collections.Counter(delivered).items() if n > 1]
    # Acknowledgements are committed a batch at a time (COMMIT_EVERY), so what the killed
    # process handled since its last commit comes again, with the same keys, and nothing else.
    assert sorted(before) == sorted(duplicates)
    assert total == len(resumed.records)
    assert () == after_all.records
