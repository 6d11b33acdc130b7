"""Opening a SQLite state file while another connection or process holds it waits, as writes do."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from extensiv_connector.errors import StateStoreError
from extensiv_connector.sync import SQLiteStore


def test_a_new_state_file_held_by_another_connection_opens_once_it_is_let_go(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")  # a rollback-journal file, mid-write: WAL must wait
    holder.execute("INSERT INTO other VALUES (1)")
    timer = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    timer.start()
    try:
        with SQLiteStore(path, busy_timeout=20) as store:
            version = store.schema_version
    finally:
        timer.join()
        holder.close()

    assert SQLiteStore(path).schema_version == version


def test_a_state_file_held_longer_than_busy_timeout_is_a_state_store_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StateStoreError, match="database is locked"):
            SQLiteStore(path, busy_timeout=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_many_threads_opening_one_new_state_file_at_once_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    versions: list[int] = []

    def open_it() -> None:
        start.wait()
        try:
            with SQLiteStore(path, busy_timeout=20) as store:
                versions.append(store.schema_version)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ([], 8) == (errors, len(versions))
    assert 1 == len(set(versions))
