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
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import (
    INTERRUPTED_RUN,
    Connector,
    LeaseHeldError,
    LedgerKind,
    LedgerState,
    PushStatus,
    RunStatus,
    SQLiteStore,
)
from extensiv_connector.sync._push_engine import IN_FLIGHT
from extensiv_connector.sync.store import utc_now

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


def _later(seconds: float) -> Any:
    """A store clock running ``seconds`` ahead: the dead child's lease has run out by then,
    without this test sleeping for it."""
    return lambda: utc_now() + timedelta(seconds=seconds)


def test_push_killed_mid_batch_resumes_without_duplicates(tmp_path: Path) -> None:
    total, die_after, lease = 300, 75, 60
    state = tmp_path / "state.sqlite3"
    with Sandbox(catalog_size=10, initial_stock=1000) as sb:
        info = sb.connection_info()
        settings = {"info": info, "state": str(state), "orders": total, "lease": lease}
        child = _child("push", {**settings, "die_after": die_after})
        assert -signal.SIGKILL == child.wait(timeout=60)
        at_kill = sum(_references(sb).values())

        # The dead child's lease is still live: the action is refused, not run twice.
        store = SQLiteStore(state)
        with Connector(_workload.config(info, lease_seconds=lease), store=store) as connector:
            with pytest.raises(LeaseHeldError):
                connector.push_orders(_workload.orders(total))
            pending = store.ledger_list(
                connector.channel, LedgerKind.ORDER, states=[LedgerState.PENDING]
            )
            [crashed] = connector.journal.by_action("push_orders")
        store.close()

        # Once it has expired, the next run resumes: what it finds is adopted, its unsettled
        # claims not found stay PENDING (the dead child may have sent them just before it
        # died) until the read timeout has passed; a later run sends those. Each order once.
        config = _workload.config(info, lease_seconds=lease)
        store = SQLiteStore(state, clock=_later(lease + 1))
        with Connector(config, store=store) as connector:
            result = connector.push_orders(_workload.orders(total))
            [closed] = [
                e
                for e in connector.journal.by_action("push_orders")
                if e.entry_id == crashed.entry_id
            ]
        store.close()
        store = SQLiteStore(state, clock=_later(lease + 1 + config.client.read_timeout))
        with Connector(config, store=store) as connector:
            later = connector.push_orders(_workload.orders(total))
            again = connector.push_orders(_workload.orders(total))
        store.close()
        references = _references(sb)

    assert die_after <= at_kill < total, at_kill
    assert RunStatus.RUNNING == crashed.status  # the killed run stays visible as running
    # ... until the next run of the action, which holds its lease: closed as interrupted.
    assert (RunStatus.FAILED, (INTERRUPTED_RUN,)) == (closed.status, closed.errors)
    assert pending, "the kill comes after a create was answered and before it was recorded"
    statuses = collections.Counter(o.status for o in result.outcomes)
    waiting = {o.order_number for o in result.outcomes if o.status is PushStatus.FAILED}
    assert (
        total
        == len(waiting) + statuses[PushStatus.SENT_FULL] + statuses[PushStatus.ALREADY_PRESENT]
    )
    assert statuses[PushStatus.ALREADY_PRESENT] >= at_kill - len(pending)
    assert len(waiting) <= len(pending)
    assert {IN_FLIGHT} >= {
        o.reason.split(":")[0] for o in result.outcomes if o.status is PushStatus.FAILED
    }
    assert {PushStatus.SENT_FULL} >= {o.status for o in later.outcomes if o.order_number in waiting}
    assert {PushStatus.ALREADY_PRESENT} == {o.status for o in again.outcomes}
    assert total == len(references)
    assert {1} == set(references.values())  # nothing lost, nothing twice


@pytest.mark.parametrize(
    "die_in",
    [("claims", 4), ("settles", 2)],
    ids=["after-a-window-of-claims", "in-a-group-of-settles"],
)
def test_push_killed_between_batched_claims_and_settles_sends_each_order_once(
    tmp_path: Path, die_in: tuple[str, int]
) -> None:
    """SIGKILL right after a window of claims committed (its orders unsent, earlier ones in
    flight) or in the middle of a group of settles (answered orders not yet recorded): the
    next run resolves every PENDING claim by lookup, and each reference exists once."""
    total, lease = 300, 60
    state = tmp_path / "state.sqlite3"
    with Sandbox(catalog_size=10, initial_stock=1000) as sb:
        info = sb.connection_info()
        settings = {"info": info, "state": str(state), "orders": total, "lease": lease}
        child = _child("push", {**settings, "die_in": list(die_in)})
        assert -signal.SIGKILL == child.wait(timeout=60)
        at_kill = _references(sb)

        config = _workload.config(info, lease_seconds=lease)
        store = SQLiteStore(state, clock=_later(lease + 1))  # the dead child's lease ran out
        with Connector(config, store=store) as connector:
            pending = store.ledger_list(
                connector.channel, LedgerKind.ORDER, states=[LedgerState.PENDING]
            )
            first = connector.push_orders(_workload.orders(total))
        store.close()
        # ... and once its claims' requests can no longer be in flight (the read timeout):
        store = SQLiteStore(state, clock=_later(lease + 1 + config.client.read_timeout))
        with Connector(config, store=store) as connector:
            result = connector.push_orders(_workload.orders(total))
            settled = store.ledger_list(connector.channel, LedgerKind.ORDER)
        store.close()
        references = _references(sb)

    assert pending, "the kill leaves claims that were never settled"
    assert sum(at_kill.values()) < total
    waited = [o for o in first.outcomes if o.status is PushStatus.FAILED]
    assert {IN_FLIGHT} >= {o.reason.split(":")[0] for o in waited}
    assert len(waited) <= len(pending)
    assert {PushStatus.SENT_FULL, PushStatus.ALREADY_PRESENT} >= {o.status for o in result.outcomes}
    assert total == len(references)
    assert {1} == set(references.values())  # nothing lost, nothing twice
    assert {LedgerState.SENT} == {e.state for e in settled}


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

        lease = 60
        child = _child(
            "ship",
            {
                "info": info,
                "state": str(state),
                "log": str(log),
                "die_after": die_after,
                "lease": lease,
            },
        )
        assert _workload.DIED == child.wait(timeout=30)
        before = log.read_text().split()

        record = _workload.record_to(str(log))
        store = SQLiteStore(state)
        with (
            Connector(_workload.config(info, lease_seconds=lease), store=store) as connector,
            pytest.raises(LeaseHeldError),  # the dead child's lease is still live
        ):
            connector.receive_shipments(handler=record)
        store.close()
        store = SQLiteStore(state, clock=_later(lease + 1))  # ... and has run out by now
        with Connector(_workload.config(info, lease_seconds=lease), store=store) as connector:
            resumed = connector.receive_shipments(handler=record)
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
