"""Ctrl-C can land between two statements of a store call: right after ``BEGIN IMMEDIATE``,
before the handler that rolls back is in place. The transaction it leaves open must not
break every later call (the interrupted run's own journal entry included)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector.sync import SQLiteStore


class _InterruptAfterBegin:
    """The store's connection, raising KeyboardInterrupt just after its first write BEGIN, as a
    SIGINT handled at the next bytecode does."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.fired = False

    def execute(self, sql: str, *args: Any) -> Any:
        result = self.conn.execute(sql, *args)
        if sql.startswith("BEGIN IMMEDIATE") and not self.fired:
            self.fired = True
            raise KeyboardInterrupt
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_a_transaction_left_open_by_an_interrupt_is_rolled_back_by_the_next_call(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    real = store._conn  # private on purpose: the interrupt must land inside the store's call
    assert real is not None
    day = timedelta(days=1)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    store.cursor_advance("c", "pull", {"first": start}, overlap=day)
    store._conn = _InterruptAfterBegin(real)  # type: ignore[assignment]  # the test's stand-in
    with pytest.raises(KeyboardInterrupt):
        store.cursor_advance("c", "pull", {"lost": start + day}, overlap=day)
    store._conn = real

    store.cursor_advance("c", "pull", {"after": start + 2 * day}, overlap=day)
    after = store.cursor_get("c", "pull")
    open_after = real.in_transaction
    store.close()

    assert (start + 2 * day, False) == (after.watermark, open_after)
