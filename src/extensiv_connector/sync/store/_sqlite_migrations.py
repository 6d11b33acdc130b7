"""SQLite schema migrations: the versioned steps and the runner that applies them.

``schema_version`` lists the steps applied; opening a file applies the missing ones in order.
"""

from __future__ import annotations

import sqlite3

from .._errors import StateStoreError
from ._clock import utc_now
from ._migration import Migration

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "ledger, backorders, cursors, journal, events, leases",
        (
            """CREATE TABLE ledger (
                channel TEXT NOT NULL, kind TEXT NOT NULL, reference TEXT NOT NULL,
                state TEXT NOT NULL, remote_id INTEGER, fingerprint TEXT NOT NULL DEFAULT '',
                sent_lines TEXT NOT NULL DEFAULT '{}', reasons TEXT NOT NULL DEFAULT '[]',
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                PRIMARY KEY (channel, kind, reference)
            ) WITHOUT ROWID""",
            "CREATE INDEX ledger_by_state ON ledger (channel, kind, state)",
            """CREATE TABLE backorders (
                channel TEXT NOT NULL, key TEXT NOT NULL, order_json TEXT NOT NULL,
                held_since TEXT NOT NULL, held_ts REAL NOT NULL, updated_at TEXT NOT NULL,
                reason TEXT NOT NULL DEFAULT '', evaluations INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (channel, key)
            ) WITHOUT ROWID""",
            """CREATE TABLE cursors (
                channel TEXT NOT NULL, action TEXT NOT NULL, watermark TEXT,
                seen TEXT NOT NULL DEFAULT '{}', updated_at TEXT,
                PRIMARY KEY (channel, action)
            ) WITHOUT ROWID""",
            """CREATE TABLE journal (
                entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL,
                started_at TEXT NOT NULL, finished_at TEXT, status TEXT, level TEXT,
                message TEXT NOT NULL DEFAULT '', counts TEXT NOT NULL DEFAULT '{}',
                errors TEXT NOT NULL DEFAULT '[]'
            )""",
            "CREATE INDEX journal_by_action ON journal (channel, action, entry_id)",
            """CREATE TABLE journal_refs (
                entry_id INTEGER NOT NULL, position INTEGER NOT NULL,
                channel TEXT NOT NULL, reference TEXT NOT NULL,
                PRIMARY KEY (entry_id, position)
            ) WITHOUT ROWID""",
            "CREATE INDEX journal_refs_by_reference ON journal_refs (channel, reference)",
            """CREATE TABLE events (
                channel TEXT NOT NULL, event_id TEXT NOT NULL, seen_ts REAL NOT NULL,
                PRIMARY KEY (channel, event_id)
            ) WITHOUT ROWID""",
            """CREATE TABLE leases (
                channel TEXT NOT NULL, action TEXT NOT NULL, owner TEXT NOT NULL,
                acquired_at TEXT NOT NULL, expires_at TEXT NOT NULL,
                PRIMARY KEY (channel, action)
            ) WITHOUT ROWID""",
        ),
    ),
    Migration(
        2,
        "resource versions, key/value metadata, ledger host key",
        (
            "ALTER TABLE ledger ADD COLUMN host_key TEXT NOT NULL DEFAULT ''",
            """CREATE TABLE resource_versions (
                channel TEXT NOT NULL, key TEXT NOT NULL, version TEXT NOT NULL,
                PRIMARY KEY (channel, key)
            ) WITHOUT ROWID""",
            """CREATE TABLE kv (
                channel TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                PRIMARY KEY (channel, key)
            ) WITHOUT ROWID""",
        ),
    ),
    Migration(
        3,
        "lease fencing tokens, ledger claim owner",
        (
            "ALTER TABLE leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0",
            # claim_action '' = a claim made without a fence (or before version 3)
            "ALTER TABLE ledger ADD COLUMN claim_action TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE ledger ADD COLUMN claim_token INTEGER NOT NULL DEFAULT 0",
            # The last token handed out per lease; kept across release and delete_channel so
            # a token is never handed out twice.
            """CREATE TABLE lease_tokens (
                channel TEXT NOT NULL, action TEXT NOT NULL, token INTEGER NOT NULL,
                PRIMARY KEY (channel, action)
            ) WITHOUT ROWID""",
        ),
    ),
    Migration(
        4,
        "cursor dedupe keys in an indexed table (was a JSON blob rewritten per record)",
        (
            # ``modified`` is isoformat(timespec="microseconds"): fixed width, so text order is
            # time order and the index answers "older than the floor" and "oldest first".
            """CREATE TABLE cursor_seen (
                channel TEXT NOT NULL, action TEXT NOT NULL, key TEXT NOT NULL,
                modified TEXT NOT NULL,
                PRIMARY KEY (channel, action, key)
            ) WITHOUT ROWID""",
            "CREATE INDEX cursor_seen_by_time ON cursor_seen (channel, action, modified, key)",
            "ALTER TABLE cursors ADD COLUMN seen_count INTEGER NOT NULL DEFAULT 0",
            # Old blobs hold plain isoformat(): pad whole seconds to the fixed width.
            """INSERT INTO cursor_seen (channel, action, key, modified)
                SELECT c.channel, c.action, j.key,
                    CASE WHEN length(j.value) IN (19, 25)
                        THEN substr(j.value, 1, 19) || '.000000' || substr(j.value, 20)
                        ELSE j.value END
                FROM cursors AS c, json_each(c.seen) AS j""",
            """UPDATE cursors SET seen = '{}', seen_count = (
                SELECT COUNT(*) FROM cursor_seen AS s
                WHERE s.channel = cursors.channel AND s.action = cursors.action)""",
        ),
    ),
)

#: The schema version this code writes.
SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema of ``connection`` (autocommit mode) to ``target``; returns the version.

    Raises ``StateStoreError`` if the file was written by a newer version of the library.
    Concurrent openers are serialised by ``BEGIN IMMEDIATE``.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        (current,) = connection.execute(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version"
        ).fetchone()
        if current > SCHEMA_VERSION:
            raise StateStoreError(
                f"state store schema version {current} is newer than this library supports"
                f" ({SCHEMA_VERSION}); upgrade extensiv-connector"
            )
        for step in MIGRATIONS:
            if current < step.version <= target:
                for statement in step.statements:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO schema_version (version, description, applied_at)"
                    " VALUES (?, ?, ?)",
                    (step.version, step.description, utc_now().isoformat()),
                )
                current = step.version
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return int(current)
