"""Cursor dedupe keys live in an indexed table: migrating old JSON blobs, and staying linear."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from extensiv_connector.sync import SQLiteStore
from extensiv_connector.sync.store._sqlite import migrate

T0 = datetime(2024, 3, 1, 8, 0)


def test_a_version_2_cursor_blob_migrates_into_the_keys_table(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert 2 == migrate(conn, target=2)
    blob = '{"whole": "2024-03-01T08:00:00", "frac": "2024-03-01T08:00:00.500000"}'
    conn.execute(
        "INSERT INTO cursors (channel, action, watermark, seen, updated_at)"
        " VALUES ('main', 'a', '2024-03-01T08:00:00.500000', ?, NULL)",
        (blob,),
    )
    conn.close()

    with SQLiteStore(path) as store:
        cursor = store.cursor_get("main", "a")
        # The floor is exactly the whole-second key's time: a padded key is kept, not dropped.
        store.cursor_commit("main", "a", {}, overlap=timedelta(milliseconds=500))
        after = store.cursor_get("main", "a")

    expected_seen = {"whole": T0, "frac": T0 + timedelta(milliseconds=500)}
    assert (T0 + timedelta(milliseconds=500), expected_seen) == (cursor.watermark, cursor.seen)
    assert expected_seen == after.seen


def test_committing_batches_rewrites_only_the_batch_not_the_window(tmp_path: Path) -> None:
    """Each commit changes as many key rows as the batch holds, whatever the window size."""
    with SQLiteStore(tmp_path / "state.db") as store:
        overlap = timedelta(hours=1)
        for n in range(20):
            batch = {f"k{n}:{i}": T0 + timedelta(seconds=n) for i in range(100)}
            store.cursor_commit("main", "a", batch, overlap=overlap)
        conn = store._conn
        assert conn is not None
        before = conn.total_changes
        store.cursor_commit("main", "a", {"last": T0 + timedelta(seconds=30)}, overlap=overlap)
        # one key row upserted plus the cursors row: nothing proportional to the 2,000 keys
        assert 2 == conn.total_changes - before
        assert 2001 == len(store.cursor_get("main", "a").seen)
