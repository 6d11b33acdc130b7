"""At least once, and nothing acknowledged twice: a stateful machine drives ``run_pull`` over a
changing warehouse, with handlers that fail midway and callers that never acknowledge.

The system is the real pull loop, journal and state store (memory and SQLite); only the
warehouse listing is a fake (records sorted by modification time, inclusive lower bound).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from extensiv_connector.sync import Journal, MemoryStore, SQLiteStore, StateStore
from extensiv_connector.sync._pull import PullSpec, run_pull

T0 = datetime(2024, 3, 1, 8, 0)
OVERLAP = timedelta(minutes=1)


class HandlerFailedError(Exception):
    pass


class PullMachine(RuleBasedStateMachine):
    store_kind = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.tmp: Path | None = None
        self.store: StateStore = self._open()
        self.journal = Journal(self.store, "main")
        self.modified: dict[int, datetime] = {}
        self.now = T0
        self.acknowledged: set[str] = set()  # keys the caller has and acknowledged
        self.handed_after_ack: list[str] = []  # acknowledged keys handed out again (must stay [])
        self.pending: list[Any] = []  # un-handled results not acknowledged yet

    def _open(self) -> StateStore:
        if self.store_kind == "sqlite":
            import tempfile

            self.tmp = Path(tempfile.mkdtemp())
            return SQLiteStore(self.tmp / "state.sqlite3")
        return MemoryStore()

    def teardown(self) -> None:
        self.store.close()

    def _spec(self) -> PullSpec[str]:
        def source(since: datetime) -> Iterator[tuple[int, datetime]]:
            rows = sorted(self.modified.items(), key=lambda kv: (kv[1], kv[0]))
            return iter([(i, t) for i, t in rows if t >= since])

        return PullSpec(
            action="import_products",
            source=source,
            modified=lambda row: row[1],
            convert=lambda row: f"{row[0]}:{row[1].isoformat()}",
            dedupe=lambda row: f"{row[0]}:{row[1].isoformat()}",
        )

    def _pull(self, handler: Any) -> Any:
        with self.journal.run("import_products") as run:
            return run_pull(
                self._spec(),
                store=self.store,
                channel="main",
                overlap=OVERLAP,
                start=T0 - timedelta(days=1),
                run=run,
                handler=handler,
            )

    def _received(self, key: str) -> None:
        if key in self.acknowledged:
            self.handed_after_ack.append(key)

    @rule(item=st.integers(0, 12))
    def warehouse_changes_an_item(self, item: int) -> None:
        self.now += timedelta(seconds=1)
        self.modified[item] = self.now

    @rule(fail_after=st.one_of(st.none(), st.integers(0, 5)))
    def pull_with_a_handler(self, fail_after: int | None) -> None:
        handled: list[str] = []

        def handler(key: str) -> None:
            if fail_after is not None and len(handled) == fail_after:
                raise HandlerFailedError
            self._received(key)
            handled.append(key)

        with contextlib.suppress(HandlerFailedError):
            self._pull(handler)
        self.acknowledged.update(handled)  # a handler that returned has it

    @rule()
    def pull_without_acknowledging(self) -> None:
        result = self._pull(None)
        for key in result.records:
            self._received(key)
        self.pending.append(result)

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data())
    def acknowledge_one_earlier_result(self, data: st.DataObject) -> None:
        result = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        result.delivery.ack()
        self.acknowledged.update(result.records)

    @invariant()
    def nothing_acknowledged_is_handed_out_again(self) -> None:
        assert [] == self.handed_after_ack

    @invariant()
    def a_clean_pull_now_would_complete_the_latest_version_of_every_item(self) -> None:
        latest = {f"{i}:{t.isoformat()}" for i, t in self.modified.items()}
        missing = latest - self.acknowledged
        # Whatever is missing, the next pull still offers (not yet acknowledged = not lost).
        cursor = self.store.cursor_get("main", "import_products")
        since = cursor.since(OVERLAP)
        offered = {
            f"{i}:{t.isoformat()}" for i, t in self.modified.items() if since is None or t >= since
        }
        assert missing <= offered - set(cursor.seen)


class SQLitePullMachine(PullMachine):
    store_kind = "sqlite"


_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("machine", [PullMachine, SQLitePullMachine], ids=["memory", "sqlite"])
def test_pulls_deliver_at_least_once_and_never_repeat_what_was_acknowledged(
    machine: type[PullMachine],
) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(machine, settings=_SETTINGS)
