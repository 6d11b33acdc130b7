"""The PostgreSQL schema of :class:`PostgresStore`, as versioned migration steps.

Same discipline as SQLite: ``schema_version`` lists the steps applied; opening a store applies
the missing steps in order, in one transaction, under a transaction-scoped advisory lock keyed
by the schema name (so two hosts starting at once migrate once); a newer schema is refused.
Statements use ``{s}`` for the quoted schema name (substituted by ``str.replace``).
"""

from __future__ import annotations

import re
import zlib

from .._errors import StateStoreError
from ._migration import Migration

__all__ = ["PG_MIGRATIONS", "PG_SCHEMA_VERSION", "lock_key", "quote_schema"]


PG_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "ledger, backorders, cursors, journal, events, resource versions, leases, kv",
        (
            # Timestamps are kept as ISO text so naive (API-style) and aware values round-trip
            # exactly; *_ts columns are epoch seconds for ordering and expiry in SQL.
            """CREATE TABLE {s}.ledger (
                channel TEXT NOT NULL, kind TEXT NOT NULL, reference TEXT NOT NULL,
                state TEXT NOT NULL, remote_id BIGINT, fingerprint TEXT NOT NULL DEFAULT '',
                sent_lines TEXT NOT NULL DEFAULT '{}', reasons TEXT NOT NULL DEFAULT '[]',
                attempts INTEGER NOT NULL DEFAULT 0, host_key TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL, created_ts DOUBLE PRECISION NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (channel, kind, reference))""",
            "CREATE INDEX ledger_by_state ON {s}.ledger (channel, kind, state)",
            """CREATE TABLE {s}.backorders (
                channel TEXT NOT NULL, key TEXT NOT NULL, order_json TEXT NOT NULL,
                held_since TEXT NOT NULL, held_ts DOUBLE PRECISION NOT NULL,
                updated_at TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
                evaluations INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (channel, key))""",
            """CREATE TABLE {s}.cursors (
                channel TEXT NOT NULL, action TEXT NOT NULL, watermark TEXT,
                seen TEXT NOT NULL DEFAULT '{}', updated_at TEXT,
                PRIMARY KEY (channel, action))""",
            """CREATE TABLE {s}.journal (
                entry_id BIGSERIAL PRIMARY KEY,
                channel TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL,
                started_at TEXT NOT NULL, finished_at TEXT, status TEXT, level TEXT,
                message TEXT NOT NULL DEFAULT '', counts TEXT NOT NULL DEFAULT '{}',
                errors TEXT NOT NULL DEFAULT '[]')""",
            "CREATE INDEX journal_by_action ON {s}.journal (channel, action, entry_id)",
            """CREATE TABLE {s}.journal_refs (
                entry_id BIGINT NOT NULL, position INTEGER NOT NULL,
                channel TEXT NOT NULL, reference TEXT NOT NULL,
                PRIMARY KEY (entry_id, position))""",
            "CREATE INDEX journal_refs_by_reference ON {s}.journal_refs (channel, reference)",
            """CREATE TABLE {s}.events (
                channel TEXT NOT NULL, event_id TEXT NOT NULL,
                seen_ts DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (channel, event_id))""",
            """CREATE TABLE {s}.resource_versions (
                channel TEXT NOT NULL, key TEXT NOT NULL, version TEXT NOT NULL,
                PRIMARY KEY (channel, key))""",
            """CREATE TABLE {s}.leases (
                channel TEXT NOT NULL, action TEXT NOT NULL, owner TEXT NOT NULL,
                acquired_at TEXT NOT NULL, expires_at TEXT NOT NULL,
                expires_ts DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (channel, action))""",
            """CREATE TABLE {s}.kv (
                channel TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                PRIMARY KEY (channel, key))""",
        ),
    ),
    Migration(
        2,
        "lease fencing tokens, ledger claim owner",
        (
            "ALTER TABLE {s}.leases ADD COLUMN token BIGINT NOT NULL DEFAULT 0",
            # claim_action '' = a claim made without a fence (or before version 2)
            "ALTER TABLE {s}.ledger ADD COLUMN claim_action TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE {s}.ledger ADD COLUMN claim_token BIGINT NOT NULL DEFAULT 0",
            # One counter for every lease: a token is never handed out twice, also across
            # release_lease and delete_channel (a sequence never goes back, even on rollback).
            "CREATE SEQUENCE {s}.lease_tokens",
        ),
    ),
    Migration(
        3,
        "cursor dedupe keys in an indexed table (was one JSON value rewritten per commit)",
        (
            # ``modified`` is isoformat(timespec="microseconds"): fixed width, so text order is
            # time order and the index answers "older than the floor" and "oldest first".
            """CREATE TABLE {s}.cursor_seen (
                channel TEXT NOT NULL, action TEXT NOT NULL, key TEXT NOT NULL,
                modified TEXT NOT NULL,
                PRIMARY KEY (channel, action, key))""",
            "CREATE INDEX cursor_seen_by_time ON {s}.cursor_seen (channel, action, modified, key)",
            "ALTER TABLE {s}.cursors ADD COLUMN seen_count INTEGER NOT NULL DEFAULT 0",
            # Old values hold plain isoformat(): pad whole seconds to the fixed width.
            """INSERT INTO {s}.cursor_seen (channel, action, key, modified)
                SELECT c.channel, c.action, j.key,
                    CASE WHEN length(j.value) IN (19, 25)
                        THEN substr(j.value, 1, 19) || '.000000' || substr(j.value, 20)
                        ELSE j.value END
                FROM {s}.cursors AS c, json_each_text(c.seen::json) AS j""",
            """UPDATE {s}.cursors SET seen = '{}', seen_count = (
                SELECT COUNT(*) FROM {s}.cursor_seen AS x
                WHERE x.channel = cursors.channel AND x.action = cursors.action)""",
        ),
    ),
)

#: The schema version this code writes.
PG_SCHEMA_VERSION = PG_MIGRATIONS[-1].version

#: Tables holding per-channel state (each has a ``channel`` column).
PG_CHANNEL_TABLES = (
    "ledger",
    "backorders",
    "cursors",
    "cursor_seen",
    "journal",
    "journal_refs",
    "events",
    "resource_versions",
    "leases",
    "kv",
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def quote_schema(name: str) -> str:
    """The schema name as a quoted SQL identifier; only plain identifiers are accepted, so the
    name can be spliced into statements without any injection risk."""
    if not _IDENT.fullmatch(name):
        raise StateStoreError(
            f"PostgreSQL schema name {name!r} is not a plain identifier"
            " (letters, digits and underscores, not starting with a digit, at most 63)"
        )
    return f'"{name}"'


def lock_key(schema: str) -> int:
    """The advisory lock id serialising migrations of ``schema`` (a signed 32-bit value)."""
    return zlib.crc32(f"extensiv_connector:migrate:{schema}".encode()) - 2**31
