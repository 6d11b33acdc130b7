"""Every built-in store passes the shared contract; SQLite-specific durability tests follow."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from extensiv_connector.models import OrderLine, SalesOrder
from extensiv_connector.sync import (
    Journal,
    LedgerKind,
    LedgerState,
    MemoryStore,
    SQLiteStore,
    StateStore,
    StateStoreError,
)
from extensiv_connector.sync.store import SCHEMA_VERSION
from extensiv_connector.sync.store._sqlite import migrate
from extensiv_connector.testing.store_contract import FakeClock, StoreContract, StoreFactory

ORDER = LedgerKind.ORDER


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store_factory(self) -> Iterator[StoreFactory]:
        made: list[MemoryStore] = []

        def make(clock: FakeClock) -> StateStore:
            made.append(MemoryStore(clock=clock))
            return made[-1]

        yield make
        for store in made:
            store.close()


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[StoreFactory]:
        made: list[SQLiteStore] = []

        def make(clock: FakeClock) -> StateStore:
            made.append(SQLiteStore(tmp_path / f"state-{len(made)}.db", clock=clock))
            return made[-1]

        yield make
        for store in made:
            store.close()


# ---------------------------------------------------------------------------- SQLite specifics


def _journal_mode(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def test_sqlite_store_uses_wal_and_records_its_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with SQLiteStore(path) as store:
        assert SCHEMA_VERSION == store.schema_version

    conn = sqlite3.connect(path)
    try:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    finally:
        conn.close()
    assert list(range(1, SCHEMA_VERSION + 1)) == versions
    assert "wal" == _journal_mode(path)


def test_opening_a_version_1_file_migrates_it_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert 1 == migrate(conn, target=1)
    conn.execute(
        "INSERT INTO ledger (channel, kind, reference, state, remote_id, created_at, updated_at)"
        " VALUES ('main', 'order', 'SO-1', 'sent', 77, '2024-01-01T00:00:00+00:00',"
        " '2024-01-01T00:00:00+00:00')"
    )
    conn.close()

    with SQLiteStore(path) as store:
        entry = store.ledger_get("main", ORDER, "SO-1")
        store.kv_set("main", "k", "v")  # a table added by migration 2

        assert SCHEMA_VERSION == store.schema_version
        assert entry is not None
        assert (LedgerState.SENT, 77, "") == (entry.state, entry.remote_id, entry.host_key)
        assert "v" == store.kv_get("main", "k")


def test_a_file_from_a_newer_library_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO schema_version VALUES (999, 'future', '2099-01-01')")
    conn.close()

    with pytest.raises(StateStoreError, match="newer"):
        SQLiteStore(path)


def test_a_missing_directory_is_a_state_store_error(tmp_path: Path) -> None:
    with pytest.raises(StateStoreError, match="does not exist"):
        SQLiteStore(tmp_path / "nope" / "state.db")


def test_state_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    clock = FakeClock()
    order = SalesOrder(order_number="SO-2", lines=(OrderLine(sku="A", quantity="0.5"),))
    with SQLiteStore(path, clock=clock) as store:
        store.ledger_begin("main", ORDER, "SO-1", sent_lines={"1": Decimal("1.5")})
        store.ledger_update("main", ORDER, "SO-1", state=LedgerState.SENT, remote_id=5)
        store.backorder_put("main", order, reason="short")
        store.cursor_advance("main", "a", {"k": clock.now}, overlap=timedelta(minutes=5))
        Journal(store, "main", clock=clock).log("hello", reference="SO-1")
        store.mark_event_seen("main", "evt-1")
        store.kv_set("main", "k", "v")
        before = _snapshot(store)

    with SQLiteStore(path, clock=clock) as reopened:
        assert before == _snapshot(reopened)
        assert not reopened.mark_event_seen("main", "evt-1")


def _snapshot(store: StateStore) -> tuple[object, ...]:
    return (
        store.ledger_list("main"),
        store.backorder_list("main"),
        store.cursor_get("main", "a"),
        store.journal_query("main", reference="SO-1"),
        store.kv_get("main", "k"),
    )


_CRASHING_PUSH = """
import os, sys
from extensiv_connector.sync import LedgerKind, SQLiteStore
store = SQLiteStore(sys.argv[1])
store.ledger_begin("main", LedgerKind.ORDER, "SO-CRASH", fingerprint="f")
os._exit(9)  # killed after recording PENDING, before the request's outcome was known
"""


def test_a_pending_entry_left_by_a_killed_process_is_visible_after_reopen(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    done = subprocess.run(  # noqa: S603 - our own interpreter and inline script
        [sys.executable, "-c", _CRASHING_PUSH, str(path)], check=False, timeout=60
    )
    assert 9 == done.returncode

    with SQLiteStore(path) as store:
        claim = store.ledger_begin("main", ORDER, "SO-CRASH")
        pending = store.ledger_list("main", ORDER, states={LedgerState.PENDING})

    assert not claim.claimed  # the resumed push must look the reference up, not resend
    assert ["SO-CRASH"] == [e.reference for e in pending]


def test_two_store_instances_on_one_file_have_one_ledger_winner(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    stores = [SQLiteStore(path) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    claims: list[bool] = []

    def race(store: SQLiteStore) -> None:
        barrier.wait()
        for n in range(25):
            if store.ledger_begin("main", ORDER, f"SO-{n}").claimed:
                claims.append(True)

    threads = [threading.Thread(target=race, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()

    assert 25 == len(claims)


_RACER = """
import os, sys, time
from extensiv_connector.sync import LedgerKind, SQLiteStore
path, go, name = sys.argv[1:4]
store = SQLiteStore(path)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
won = store.acquire_lease("main", "push_orders", name, 60)
claimed = [n for n in range(40) if store.ledger_begin("main", LedgerKind.ORDER, f"SO-{n}").claimed]
store.close()
print(int(won), ",".join(map(str, claimed)), flush=True)
"""


def test_two_processes_never_hold_one_lease_or_claim_one_reference_twice(
    tmp_path: Path,
) -> None:
    path, go = tmp_path / "state.db", tmp_path / "go"
    SQLiteStore(path).close()  # create and migrate once, outside the race
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and inline script
            [sys.executable, "-c", _RACER, str(path), str(go), f"worker-{i}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert "ready" == proc.stdout.readline().strip()
    go.touch()
    outputs = [proc.communicate(timeout=60)[0].split() for proc in procs]

    wins = [int(out[0]) for out in outputs]
    claimed = [int(n) for out in outputs if len(out) > 1 for n in out[1].split(",")]
    assert [0, 1] == sorted(wins)
    assert list(range(40)) == sorted(claimed)


def test_lease_expiry_uses_real_time_by_default(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "state.db") as store:
        assert store.acquire_lease("main", "a", "crashed", 0.05)
        assert not store.acquire_lease("main", "a", "w2", 0.05)
        time.sleep(0.06)
        assert store.acquire_lease("main", "a", "w2", 0.05)


_RESOLVER = """
import os, sys, time
from extensiv_connector.sync import LedgerKind, LedgerState, SQLiteStore
path, go, name = sys.argv[1:4]
resolve = {LedgerState.HELD, LedgerState.REJECTED, LedgerState.PENDING}
store = SQLiteStore(path)
fence = store.take_lease("main", name, name, 60).fence
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
claimed = [
    n for n in range(40)
    if store.ledger_begin(
        "main", LedgerKind.ORDER, f"SO-{n}", retry_states=resolve, fence=fence
    ).claimed
]
store.close()
print(",".join(map(str, claimed)) or "-", flush=True)
"""


def test_two_processes_resolving_pending_claims_take_each_reference_once(
    tmp_path: Path,
) -> None:
    """Both may resolve PENDING entries (as a push and a backorder release would), each under
    its own live lease: an entry one of them claimed is never claimed by the other."""
    path, go = tmp_path / "state.db", tmp_path / "go"
    SQLiteStore(path).close()
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and inline script
            [sys.executable, "-c", _RESOLVER, str(path), str(go), f"lease-{i}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert "ready" == proc.stdout.readline().strip()
    go.touch()
    outputs = [proc.communicate(timeout=60)[0].strip() for proc in procs]

    claimed = [int(n) for out in outputs if out != "-" for n in out.split(",")]
    assert list(range(40)) == sorted(claimed)


def test_opening_a_version_2_file_adds_fencing_and_keeps_pending_claims_unowned(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert 2 == migrate(conn, target=2)
    conn.execute(
        "INSERT INTO ledger (channel, kind, reference, state, created_at, updated_at)"
        " VALUES ('main', 'order', 'SO-1', 'pending', '2024-01-01T00:00:00+00:00',"
        " '2024-01-01T00:00:00+00:00')"
    )
    conn.close()

    with SQLiteStore(path) as store:
        entry = store.ledger_get("main", ORDER, "SO-1")
        lease = store.take_lease("main", "push_orders", "w1", 60)

        assert SCHEMA_VERSION == store.schema_version
        assert entry is not None
        assert (LedgerState.PENDING, None) == (entry.state, entry.claim)
        assert lease is not None
        assert 1 == lease.token
        # an unowned claim from before the upgrade is resolved by the lease holder only
        resolve = {LedgerState.PENDING}
        assert not store.ledger_begin("main", ORDER, "SO-1", retry_states=resolve).claimed
        assert store.ledger_begin(
            "main", ORDER, "SO-1", retry_states=resolve, fence=lease.fence
        ).claimed
