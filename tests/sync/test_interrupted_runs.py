"""A run whose process died stays ``running`` only until the next run of its action.

The next run holds the action's lease, so when the other lease a run of the action may hold
(plain or targeted) is free, no earlier run of it can be alive: its ``running`` entries are
closed as failed with ``INTERRUPTED_RUN``. A dead process is simulated by an entry written
without finishing it (as a SIGKILL leaves it; tests/reliability kills a real process).
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import (
    INTERRUPTED_RUN,
    Connector,
    EventKind,
    MemoryStore,
    RunStatus,
    hold_lease,
    targeted_lease_name,
)
from extensiv_connector.testing.store_contract import FakeClock

from ..integration.conftest import config_with, sales_order


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(catalog_size=3, initial_stock=10) as sandbox:
        yield sandbox


@pytest.fixture
def connector(sb: Sandbox) -> Iterator[Connector]:
    with Connector(config_with(sb), store=MemoryStore(clock=FakeClock())) as made:
        yield made


def _status(connector: Connector, entry_id: int | None) -> tuple[RunStatus | None, tuple[str, ...]]:
    [entry] = [e for e in connector.journal.last(100) if e.entry_id == entry_id]
    return entry.status, entry.errors


def test_the_next_push_closes_a_push_left_running_by_a_dead_process(connector: Connector) -> None:
    dead = connector.journal.start("push_orders").entry

    connector.push_orders([sales_order("SO-1", ("SKU-000001", 1))])
    [latest, closed] = connector.journal.by_action("push_orders")[:2]

    assert (RunStatus.FAILED, (INTERRUPTED_RUN,)) == (closed.status, closed.errors)
    assert dead.entry_id == closed.entry_id
    assert dead.started_at == closed.started_at
    assert RunStatus.SUCCESS == latest.status


def test_a_cancel_closes_only_cancels_and_a_push_only_pushes(connector: Connector) -> None:
    dead_cancel = connector.journal.start("cancel_order").entry
    dead_pull = connector.journal.start("receive_shipments").entry

    connector.push_orders([sales_order("SO-1", ("SKU-000001", 1))])

    assert (RunStatus.RUNNING, ()) == _status(connector, dead_cancel.entry_id)
    assert (RunStatus.RUNNING, ()) == _status(connector, dead_pull.entry_id)
    connector.cancel_order("SO-1", "changed my mind")
    assert (RunStatus.FAILED, (INTERRUPTED_RUN,)) == _status(connector, dead_cancel.entry_id)
    assert (RunStatus.RUNNING, ()) == _status(connector, dead_pull.entry_id)


def test_a_poll_leaves_running_entries_alone_while_a_targeted_run_holds_its_lease(
    connector: Connector,
) -> None:
    """The entry may belong to the live targeted run (webhooks): nothing can tell them apart."""
    action = "receive_inventory_levels"
    maybe_alive = connector.journal.start(action).entry
    with hold_lease(connector.store, connector.channel, targeted_lease_name(action), renew_every=0):
        connector.receive_inventory_levels()
    assert (RunStatus.RUNNING, ()) == _status(connector, maybe_alive.entry_id)

    connector.receive_inventory_levels()
    assert (RunStatus.FAILED, (INTERRUPTED_RUN,)) == _status(connector, maybe_alive.entry_id)


def test_a_targeted_run_closes_what_neither_lease_protects(connector: Connector) -> None:
    dead = connector.journal.start("receive_inventory_levels").entry

    connector.receive_inventory_levels(skus=["SKU-000001"])

    assert (RunStatus.FAILED, (INTERRUPTED_RUN,)) == _status(connector, dead.entry_id)


def test_a_run_that_started_after_this_one_is_never_closed(connector: Connector) -> None:
    """An entry newer than the sweeping run's own was written by a run that started later
    (it cannot be one this run's lease proves dead)."""
    later: list[int | None] = []

    def start_another(event: object) -> None:
        if getattr(event, "kind", "") == EventKind.ACTION_STARTED and not later:
            later.append(connector.journal.start("push_orders").entry.entry_id)

    connector.on_event = start_another
    connector.push_orders([sales_order("SO-1", ("SKU-000001", 1))])

    assert (RunStatus.RUNNING, ()) == _status(connector, later[0])


def test_closing_keeps_what_the_dead_run_had_written(connector: Connector) -> None:
    entry = connector.journal.start("receive_shipments").entry
    connector.store.journal_update(attrs.evolve(entry, counts={"read": 7}, errors=("x",)))

    connector.receive_shipments()
    [_, closed] = connector.journal.by_action("receive_shipments")[:2]

    assert {"read": 7} == closed.counts
    assert ("x", INTERRUPTED_RUN) == closed.errors
    assert closed.finished_at is not None
    assert closed.finished_at >= closed.started_at
