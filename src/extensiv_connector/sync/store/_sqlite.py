"""``SQLiteStore``: the embedded default state store (stdlib ``sqlite3``, one file).

One connection per store, guarded by a lock (safe across threads); every read-modify-write runs
in ``BEGIN IMMEDIATE`` (safe across processes sharing the file); WAL journal mode so readers do
not block the writer. The schema is versioned: ``schema_version`` lists the migration steps
applied, and opening a file applies the missing steps in order.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from ...models import SalesOrder
from ...wire import dumps, loads, make_converter
from .._errors import LeaseLostError, StateStoreError
from .._records import (
    DEFAULT_RETRY_STATES,
    DEFAULT_SEEN_KEYS_LIMIT,
    BackorderEntry,
    Clock,
    Cursor,
    EntryKind,
    Fence,
    JournalEntry,
    Lease,
    LedgerClaim,
    LedgerClaimRequest,
    LedgerEntry,
    LedgerKind,
    LedgerSettle,
    LedgerState,
    LogLevel,
    RunStatus,
    claimed_entry,
    fence_holds,
    held_entry,
    may_claim,
    may_take_lease,
    settles_per_reference,
    taken_lease,
    updated_entry,
)
from ._clock import utc_now
from ._migration import Migration
from ._sqlite_migrations import MIGRATIONS, SCHEMA_VERSION, migrate

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "SQLiteStore", "migrate"]


#: Tables holding per-channel state (each has a ``channel`` column).
_CHANNEL_TABLES = (
    "ledger",
    "backorders",
    "cursors",
    "cursor_seen",
    "journal",
    "journal_refs",
    "events",
    "leases",
    "resource_versions",
    "kv",
)

_CHUNK = 500  # bound on "?" placeholders per statement


# ---------------------------------------------------------------------------- encoding


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _fixed_ts(value: datetime) -> str:
    """Fixed-width text (always microseconds), so SQL text order is time order."""
    return value.isoformat(timespec="microseconds")


def _opt_dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


#: References per ``IN (...)`` list (SQLite allows 999 variables in older builds).
_IN_CHUNK = 500


#: ``json.dumps(value, separators=(",", ":"), sort_keys=True)`` without rebuilding an encoder
#: per call (a push writes two small documents per claim).
_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
_quote = json.encoder.encode_basestring_ascii  # how that encoder writes a string

#: Rows per multi-row ``INSERT ... VALUES (...), (...)`` of ledger claims: 14 columns each, so
#: a statement stays under the 999 variables of older SQLite builds.
_CLAIM_ROWS = 64


def _lines_json(lines: Mapping[str, Decimal]) -> str:
    """``_json({k: str(v) for k, v in lines.items()})``, character for character, built by
    hand: a claim writes one, and the general encoder costs more than the row it goes in."""
    if len(lines) == 1:  # the usual claim: one line
        ((key, quantity),) = lines.items()
        return f"{{{_quote(key)}:{_quote(str(quantity))}}}"
    if not lines:
        return "{}"
    return "{" + ",".join(f"{_quote(k)}:{_quote(str(v))}" for k, v in sorted(lines.items())) + "}"


def _multi_row(single: str) -> dict[int, str]:
    """``single`` (an ``INSERT ... VALUES (?, ...)``) for 1 .. ``_CLAIM_ROWS`` rows at once."""
    head, row = single.split(" VALUES ")
    return {n: f"{head} VALUES {','.join([row] * n)}" for n in range(1, _CLAIM_ROWS + 1)}


def _settle_sql(rows: int) -> str:
    """Settles of ``rows`` distinct references in one statement, as ``ledger_update`` does
    each (state and reasons replaced, remote_id kept when not given)."""
    values = ",".join(["(?, ?, ?, ?)"] * rows)
    return (
        f"WITH v(reference, state, remote_id, reasons) AS (VALUES {values})"  # noqa: S608 - "?" marks only
        " UPDATE ledger SET (state, remote_id, reasons) = (SELECT v.state,"
        " COALESCE(v.remote_id, ledger.remote_id), v.reasons FROM v"
        " WHERE v.reference = ledger.reference), updated_at = ?"
        " WHERE channel = ? AND kind = ? AND reference IN (SELECT reference FROM v)"
    )


_SETTLE_MANY = {n: _settle_sql(n) for n in range(1, _CLAIM_ROWS + 1)}
_JOURNAL_REFS_SAVE_MANY = _multi_row(
    "INSERT INTO journal_refs (entry_id, position, channel, reference) VALUES (?, ?, ?, ?)"
)


def _reasons_json(reasons: Collection[str]) -> str:
    return _json(list(reasons)) if reasons else "[]"


def _use_wal(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch the file to WAL, waiting up to ``busy_timeout`` for other openers.

    Changing the journal mode needs the file to itself and SQLite answers "database is locked"
    at once, without its busy handler, while another connection holds it (two processes opening
    a new state file together): so this waits here, in small steps.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(0.02)


class SQLiteStore:
    """A :class:`StateStore` in one SQLite file (created, and migrated, on open).

    >>> store = SQLiteStore(":memory:")  # or a file path, e.g. "var/extensiv-state.db"
    >>> store.schema_version
    3
    >>> store.close()

    ``busy_timeout`` (seconds) is how long a writer waits for another process's transaction.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Clock = utc_now,
        busy_timeout: float = 30.0,
    ) -> None:
        self._path = os.fspath(path)
        self._clock = clock
        self._lock = threading.RLock()
        self._converter = make_converter()
        if self._path != ":memory:":
            parent = os.path.dirname(os.path.abspath(self._path))
            if not os.path.isdir(parent):
                raise StateStoreError(f"state store directory does not exist: {parent}")
        try:
            conn = sqlite3.connect(
                self._path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StateStoreError(f"cannot open state store {self._path}: {exc}") from exc
        try:
            _use_wal(conn, busy_timeout)
            conn.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows (released backorders, pruned baselines) are overwritten, not left
            # readable in free pages: the file holds personal data only while it is needed.
            conn.execute("PRAGMA secure_delete=ON")
            self._version = migrate(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise StateStoreError(f"cannot open state store {self._path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        return self._path

    @property
    def schema_version(self) -> int:
        return self._version

    @contextlib.contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: ``BEGIN IMMEDIATE`` for writes (takes the write lock up front, so
        read-modify-write cannot interleave across processes), deferred ``BEGIN`` for reads."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StateStoreError("the state store is closed")
            if conn.in_transaction:
                # Left open by a KeyboardInterrupt that landed between BEGIN and the handler
                # below (the lock is held for a whole transaction: nobody else's). Without
                # this, every later call failed "cannot start a transaction within a
                # transaction", the journal of the interrupted run included.
                conn.execute("ROLLBACK")
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:
                raise StateStoreError(f"state store {self._path} is busy: {exc}") from exc
            try:
                yield conn
            except sqlite3.Error as exc:
                _rollback(conn)
                raise StateStoreError(f"state store {self._path}: {exc}") from exc
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(conn)
                raise StateStoreError(f"state store {self._path}: commit failed: {exc}") from exc

    # ------------------------------------------------------------------ push ledger

    _LEDGER_COLS = (
        "channel, kind, reference, state, remote_id, fingerprint, sent_lines, reasons,"
        " attempts, host_key, created_at, updated_at, claim_action, claim_token"
    )

    @staticmethod
    def _ledger_row(row: Sequence[Any]) -> LedgerEntry:
        return LedgerEntry(
            channel=row[0],
            kind=LedgerKind(row[1]),
            reference=row[2],
            state=LedgerState(row[3]),
            remote_id=row[4],
            fingerprint=row[5],
            sent_lines={k: Decimal(v) for k, v in loads(row[6]).items()},
            reasons=tuple(loads(row[7])),
            attempts=row[8],
            host_key=row[9],
            created_at=_dt(row[10]),
            updated_at=_dt(row[11]),
            claim=Fence(row[12], row[13]) if row[12] else None,
        )

    def _ledger_fetch(
        self, conn: sqlite3.Connection, channel: str, kind: LedgerKind, reference: str
    ) -> LedgerEntry | None:
        row = conn.execute(
            f"SELECT {self._LEDGER_COLS} FROM ledger"  # noqa: S608 - constant column list
            " WHERE channel = ? AND kind = ? AND reference = ?",
            (channel, kind.value, reference),
        ).fetchone()
        return None if row is None else self._ledger_row(row)

    _LEDGER_SAVE = (
        "INSERT OR REPLACE INTO ledger (channel, kind, reference, state, remote_id,"
        " fingerprint, sent_lines, reasons, attempts, host_key, created_at, updated_at,"
        " claim_action, claim_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    #: ``_LEDGER_SAVE`` and the key-value save for 1 .. ``_CLAIM_ROWS`` rows, by row count.
    _LEDGER_SAVE_MANY = _multi_row(_LEDGER_SAVE)
    _KV_SAVE_MANY = _multi_row("INSERT OR REPLACE INTO kv (channel, key, value) VALUES (?, ?, ?)")

    @staticmethod
    def _ledger_values(entry: LedgerEntry) -> tuple[Any, ...]:
        return (
            entry.channel,
            entry.kind.value,
            entry.reference,
            entry.state.value,
            entry.remote_id,
            entry.fingerprint,
            _lines_json(entry.sent_lines),
            _reasons_json(entry.reasons),
            entry.attempts,
            entry.host_key,
            entry.created_at.isoformat(),
            entry.updated_at.isoformat(),
            entry.claim.action if entry.claim else "",
            entry.claim.token if entry.claim else 0,
        )

    def _ledger_save(self, conn: sqlite3.Connection, entry: LedgerEntry) -> None:
        conn.execute(self._LEDGER_SAVE, self._ledger_values(entry))

    def _check_fence(self, conn: sqlite3.Connection, channel: str, fence: Fence | None) -> None:
        """Refuse a write whose lease was released or taken over (inside the write's own
        transaction, so the check and the write are one atomic step)."""
        if fence is not None and not fence_holds(
            fence, self._lease_fetch(conn, channel, fence.action)
        ):
            raise LeaseLostError(channel, fence.action)

    def ledger_get(self, channel: str, kind: LedgerKind, reference: str) -> LedgerEntry | None:
        with self._tx(write=False) as conn:
            return self._ledger_fetch(conn, channel, kind, reference)

    def ledger_get_many(
        self, channel: str, kind: LedgerKind, references: Collection[str]
    ) -> dict[str, LedgerEntry]:
        if not references:
            return {}
        with self._tx(write=False) as conn:
            return self._ledger_fetch_many(conn, channel, kind, set(references))

    def ledger_begin(
        self,
        channel: str,
        kind: LedgerKind,
        reference: str,
        *,
        fingerprint: str = "",
        sent_lines: Mapping[str, Decimal] | None = None,
        host_key: str = "",
        retry_states: Collection[LedgerState] = DEFAULT_RETRY_STATES,
        fence: Fence | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> LedgerClaim:
        request = LedgerClaimRequest(
            reference=reference,
            fingerprint=fingerprint,
            sent_lines=sent_lines,
            host_key=host_key,
            metadata=metadata,
        )
        with self._tx() as conn:
            self._check_fence(conn, channel, fence)
            return self._claim(conn, channel, kind, request, retry_states, fence)

    def ledger_begin_many(
        self,
        channel: str,
        kind: LedgerKind,
        requests: Sequence[LedgerClaimRequest],
        *,
        retry_states: Collection[LedgerState] = DEFAULT_RETRY_STATES,
        fence: Fence | None = None,
    ) -> list[LedgerClaim]:
        if not requests:
            self._check_fence_now(channel, fence)
            return []
        with self._tx() as conn:
            self._check_fence(conn, channel, fence)
            # One read for the whole window; then each request is decided in turn against
            # what the ledger holds by then (a reference repeated in the window sees the
            # first request's claim), and every claim is written with one statement.
            current = self._ledger_fetch_many(conn, channel, kind, {r.reference for r in requests})
            leases: dict[str, Lease | None] = {}
            now = self._clock()
            now_text = now.isoformat()
            claims: list[LedgerClaim] = []
            saved: dict[str, tuple[Any, ...]] = {}
            metadata: list[str] = []
            for request in requests:
                existing = current.get(request.reference)
                claim_lease = None
                if existing is not None and existing.claim is not None:
                    action = existing.claim.action
                    if action not in leases:
                        leases[action] = self._lease_fetch(conn, channel, action)
                    claim_lease = leases[action]
                if not may_claim(
                    existing, retry_states, fence=fence, claim_lease=claim_lease, now=now
                ):
                    assert existing is not None
                    claims.append(
                        LedgerClaim(entry=existing, claimed=False, previous=existing.state)
                    )
                    continue
                entry = claimed_entry(
                    existing,
                    channel=channel,
                    kind=kind,
                    reference=request.reference,
                    now=now,
                    fingerprint=request.fingerprint,
                    sent_lines=request.sent_lines,
                    host_key=request.host_key,
                    fence=fence,
                )
                current[request.reference] = entry
                saved[request.reference] = (
                    channel,
                    kind.value,
                    entry.reference,
                    entry.state.value,
                    entry.remote_id,
                    entry.fingerprint,
                    _lines_json(entry.sent_lines),
                    "[]",  # a claim has no reasons yet
                    entry.attempts,
                    entry.host_key,
                    now_text if existing is None else entry.created_at.isoformat(),
                    now_text,
                    fence.action if fence is not None else "",
                    fence.token if fence is not None else 0,
                )
                if request.metadata:
                    for k, v in request.metadata.items():
                        metadata += (channel, k, v)
                previous = existing.state if existing is not None else None
                claims.append(LedgerClaim(entry=entry, claimed=True, previous=previous))
            rows = list(saved.values())
            for start in range(0, len(rows), _CLAIM_ROWS):
                chunk = rows[start : start + _CLAIM_ROWS]
                conn.execute(self._LEDGER_SAVE_MANY[len(chunk)], [v for row in chunk for v in row])
            step = 3 * _CLAIM_ROWS  # (channel, key, value) per pair
            for start in range(0, len(metadata), step):
                values = metadata[start : start + step]
                conn.execute(self._KV_SAVE_MANY[len(values) // 3], values)
            return claims

    def _ledger_fetch_many(
        self, conn: sqlite3.Connection, channel: str, kind: LedgerKind, references: set[str]
    ) -> dict[str, LedgerEntry]:
        found: dict[str, LedgerEntry] = {}
        wanted = sorted(references)
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            rows = conn.execute(
                f"SELECT {self._LEDGER_COLS} FROM ledger"  # noqa: S608 - constant columns, "?" marks
                f" WHERE channel = ? AND kind = ? AND reference IN ({','.join('?' * len(chunk))})",
                (channel, kind.value, *chunk),
            ).fetchall()
            for row in rows:
                entry = self._ledger_row(row)
                found[entry.reference] = entry
        return found

    def _check_fence_now(self, channel: str, fence: Fence | None) -> None:
        if fence is not None:
            with self._tx(write=False) as conn:
                self._check_fence(conn, channel, fence)

    def _claim(
        self,
        conn: sqlite3.Connection,
        channel: str,
        kind: LedgerKind,
        request: LedgerClaimRequest,
        retry_states: Collection[LedgerState],
        fence: Fence | None,
    ) -> LedgerClaim:
        reference = request.reference
        existing = self._ledger_fetch(conn, channel, kind, reference)
        claim_lease = (
            self._lease_fetch(conn, channel, existing.claim.action)
            if existing is not None and existing.claim is not None
            else None
        )
        now = self._clock()
        if not may_claim(existing, retry_states, fence=fence, claim_lease=claim_lease, now=now):
            assert existing is not None
            return LedgerClaim(entry=existing, claimed=False, previous=existing.state)
        entry = claimed_entry(
            existing,
            channel=channel,
            kind=kind,
            reference=reference,
            now=now,
            fingerprint=request.fingerprint,
            sent_lines=request.sent_lines,
            host_key=request.host_key,
            fence=fence,
        )
        self._ledger_save(conn, entry)
        if request.metadata:
            conn.executemany(
                "INSERT OR REPLACE INTO kv (channel, key, value) VALUES (?, ?, ?)",
                [(channel, k, v) for k, v in request.metadata.items()],
            )
        previous = existing.state if existing is not None else None
        return LedgerClaim(entry=entry, claimed=True, previous=previous)

    def ledger_update(
        self,
        channel: str,
        kind: LedgerKind,
        reference: str,
        *,
        state: LedgerState,
        remote_id: int | None = None,
        sent_lines: Mapping[str, Decimal] | None = None,
        reasons: Collection[str] = (),
        fingerprint: str | None = None,
        fence: Fence | None = None,
        release: str | None = None,
    ) -> LedgerEntry:
        with self._tx() as conn:
            self._check_fence(conn, channel, fence)
            return self._settle(
                conn,
                channel,
                kind,
                reference,
                state=state,
                remote_id=remote_id,
                sent_lines=sent_lines,
                reasons=reasons,
                fingerprint=fingerprint,
                release=release,
            )

    def ledger_settle_many(
        self,
        channel: str,
        kind: LedgerKind,
        settles: Sequence[LedgerSettle],
        *,
        fence: Fence | None = None,
    ) -> None:
        if not settles:
            self._check_fence_now(channel, fence)
            return
        updated_at = self._clock().isoformat()
        with self._tx() as conn:  # an unknown reference raises: the whole batch rolls back
            self._check_fence(conn, channel, fence)
            merged = settles_per_reference(settles)
            changed = self._settle_rows(conn, channel, kind, merged, updated_at)
            if changed != len(merged):
                present = self._ledger_fetch_many(
                    conn, channel, kind, {s.reference for s in settles}
                )
                missing = next(s.reference for s in settles if s.reference not in present)
                raise StateStoreError(
                    f"channel {channel!r}: no {kind.value} ledger entry for reference {missing!r}"
                )
            released = [s.release for s in settles if s.release is not None]
            for start in range(0, len(released), _IN_CHUNK):
                chunk = released[start : start + _IN_CHUNK]
                conn.execute(
                    "DELETE FROM backorders WHERE channel = ?"  # noqa: S608 - "?" marks only
                    f" AND key IN ({','.join('?' * len(chunk))})",
                    (channel, *chunk),
                )

    def _settle_rows(
        self,
        conn: sqlite3.Connection,
        channel: str,
        kind: LedgerKind,
        settles: Sequence[LedgerSettle],
        updated_at: str,
    ) -> int:
        """Update the entries of ``settles`` (distinct references: see
        ``settles_per_reference``) a statement per ``_CLAIM_ROWS``, rather than one statement
        per row; returns the rows changed."""
        changed = 0
        for start in range(0, len(settles), _CLAIM_ROWS):
            chunk = settles[start : start + _CLAIM_ROWS]
            values: list[Any] = []
            for s in chunk:
                values += (s.reference, s.state.value, s.remote_id, _reasons_json(s.reasons))
            before = conn.total_changes  # a WITH ... UPDATE has no cursor rowcount
            conn.execute(_SETTLE_MANY[len(chunk)], (*values, updated_at, channel, kind.value))
            changed += conn.total_changes - before
        return changed

    def _settle(
        self,
        conn: sqlite3.Connection,
        channel: str,
        kind: LedgerKind,
        reference: str,
        *,
        state: LedgerState,
        remote_id: int | None = None,
        sent_lines: Mapping[str, Decimal] | None = None,
        reasons: Collection[str] = (),
        fingerprint: str | None = None,
        release: str | None = None,
    ) -> LedgerEntry:
        existing = self._ledger_fetch(conn, channel, kind, reference)
        if existing is None:
            raise StateStoreError(
                f"channel {channel!r}: no {kind.value} ledger entry for reference {reference!r}"
            )
        entry = updated_entry(
            existing,
            now=self._clock(),
            state=state,
            remote_id=remote_id,
            sent_lines=sent_lines,
            reasons=reasons,
            fingerprint=fingerprint,
        )
        self._ledger_save(conn, entry)
        if release is not None:
            conn.execute("DELETE FROM backorders WHERE channel = ? AND key = ?", (channel, release))
        return entry

    def ledger_list(
        self,
        channel: str,
        kind: LedgerKind | None = None,
        *,
        states: Collection[LedgerState] | None = None,
    ) -> list[LedgerEntry]:
        sql = f"SELECT {self._LEDGER_COLS} FROM ledger WHERE channel = ?"  # noqa: S608 - constant
        params: list[Any] = [channel]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind.value)
        with self._tx(write=False) as conn:
            rows = conn.execute(sql, params).fetchall()
        entries = [self._ledger_row(r) for r in rows]
        if states is not None:
            entries = [e for e in entries if e.state in states]
        return sorted(entries, key=lambda e: (e.created_at, e.kind.value, e.reference))

    def ledger_forget(self, channel: str, kind: LedgerKind, reference: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM ledger WHERE channel = ? AND kind = ? AND reference = ?",
                (channel, kind.value, reference),
            )
            return cur.rowcount > 0

    def ledger_prune(
        self, channel: str, *, states: Collection[LedgerState], updated_before: datetime
    ) -> int:
        doomed = [s.value for s in states if s is not LedgerState.PENDING]
        marks = ",".join("?" * len(doomed))
        removed = 0
        with self._tx() as conn:
            rows = conn.execute(
                f"SELECT kind, reference, updated_at FROM ledger"  # noqa: S608 - only "?" marks
                f" WHERE channel = ? AND state IN ({marks})",
                (channel, *doomed),
            ).fetchall()
            # Compared as datetimes: the text may carry different offsets, and SQLite's own
            # date functions keep only milliseconds.
            for kind, reference, updated_at in rows:
                if _dt(updated_at) < updated_before:
                    conn.execute(
                        "DELETE FROM ledger WHERE channel = ? AND kind = ? AND reference = ?",
                        (channel, kind, reference),
                    )
                    removed += 1
        self._checkpoint()  # prune is the maintenance call: leave no old page images behind
        return removed

    def _checkpoint(self) -> None:
        """Fold the WAL into the file and truncate it, so deleted rows do not linger in old
        page images there (best effort: a reader in another process may keep it)."""
        with self._lock:
            if self._conn is not None:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------ backorder queue

    def _backorder_row(self, row: Sequence[Any]) -> BackorderEntry:
        return BackorderEntry(
            channel=row[0],
            key=row[1],
            order=self._converter.structure(loads(row[2]), SalesOrder),
            held_since=_dt(row[3]),
            updated_at=_dt(row[4]),
            reason=row[5],
            evaluations=row[6],
        )

    _BACKORDER_COLS = "channel, key, order_json, held_since, updated_at, reason, evaluations"

    def _backorder_fetch(
        self, conn: sqlite3.Connection, channel: str, key: str
    ) -> BackorderEntry | None:
        row = conn.execute(
            f"SELECT {self._BACKORDER_COLS} FROM backorders"  # noqa: S608 - constant columns
            " WHERE channel = ? AND key = ?",
            (channel, key),
        ).fetchone()
        return None if row is None else self._backorder_row(row)

    def backorder_put(
        self,
        channel: str,
        order: SalesOrder,
        *,
        key: str | None = None,
        reason: str = "",
        fence: Fence | None = None,
    ) -> BackorderEntry:
        key = order.order_number if key is None else key
        document = dumps(self._converter.unstructure(order))
        with self._tx() as conn:
            self._check_fence(conn, channel, fence)
            existing = self._backorder_fetch(conn, channel, key)
            entry = held_entry(
                existing, channel=channel, key=key, order=order, reason=reason, now=self._clock()
            )
            conn.execute(
                "INSERT OR REPLACE INTO backorders (channel, key, order_json, held_since,"
                " held_ts, updated_at, reason, evaluations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    channel,
                    key,
                    document,
                    entry.held_since.isoformat(),
                    entry.held_since.timestamp(),
                    entry.updated_at.isoformat(),
                    entry.reason,
                    entry.evaluations,
                ),
            )
            return entry

    def backorder_get(self, channel: str, key: str) -> BackorderEntry | None:
        with self._tx(write=False) as conn:
            return self._backorder_fetch(conn, channel, key)

    def backorder_list(self, channel: str) -> list[BackorderEntry]:
        with self._tx(write=False) as conn:
            rows = conn.execute(
                f"SELECT {self._BACKORDER_COLS} FROM backorders"  # noqa: S608 - constant columns
                " WHERE channel = ? ORDER BY held_ts, key",
                (channel,),
            ).fetchall()
        return [self._backorder_row(r) for r in rows]

    def backorder_remove(self, channel: str, key: str, *, fence: Fence | None = None) -> bool:
        with self._tx() as conn:
            self._check_fence(conn, channel, fence)
            cur = conn.execute(
                "DELETE FROM backorders WHERE channel = ? AND key = ?", (channel, key)
            )
            return cur.rowcount > 0

    # ------------------------------------------------------------------ cursors

    @staticmethod
    def _cursor_fetch(conn: sqlite3.Connection, channel: str, action: str) -> Cursor:
        row = conn.execute(
            "SELECT watermark, updated_at FROM cursors WHERE channel = ? AND action = ?",
            (channel, action),
        ).fetchone()
        if row is None:
            return Cursor(channel=channel, action=action)
        seen = conn.execute(
            "SELECT key, modified FROM cursor_seen WHERE channel = ? AND action = ?",
            (channel, action),
        )
        return Cursor(
            channel=channel,
            action=action,
            watermark=_opt_dt(row[0]),
            seen={k: _dt(v) for k, v in seen},
            updated_at=_opt_dt(row[1]),
        )

    def cursor_get(self, channel: str, action: str) -> Cursor:
        with self._tx(write=False) as conn:
            return self._cursor_fetch(conn, channel, action)

    def cursor_commit(
        self,
        channel: str,
        action: str,
        delivered: Mapping[str, datetime],
        *,
        overlap: timedelta,
        watermark: datetime | None = None,
        max_keys: int = DEFAULT_SEEN_KEYS_LIMIT,
    ) -> datetime | None:
        with self._tx() as conn:
            return self._commit(conn, channel, action, delivered, overlap, watermark, max_keys)

    def _commit(
        self,
        conn: sqlite3.Connection,
        channel: str,
        action: str,
        delivered: Mapping[str, datetime],
        overlap: timedelta,
        watermark: datetime | None,
        max_keys: int,
    ) -> datetime | None:
        # Work proportional to the batch: upsert its keys, drop keys below the floor through
        # the time index, and count exactly only when the running count may exceed the cap.
        rows = [(channel, action, k, _fixed_ts(t)) for k, t in delivered.items()]
        scope = (channel, action)
        row = conn.execute(
            "SELECT watermark, seen_count FROM cursors WHERE channel = ? AND action = ?",
            scope,
        ).fetchone()
        old_mark, count = (_opt_dt(row[0]), int(row[1])) if row else (None, 0)
        candidates = [t for t in (old_mark, watermark) if t is not None]
        candidates.extend(delivered.values())
        new_mark = max(candidates) if candidates else None
        if rows:
            conn.executemany(
                "INSERT INTO cursor_seen (channel, action, key, modified) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (channel, action, key) DO UPDATE SET modified = excluded.modified",
                rows,
            )
            count += len(rows)  # an upper bound: re-delivered keys were updated in place
        if new_mark is not None:
            dropped = conn.execute(
                "DELETE FROM cursor_seen WHERE channel = ? AND action = ? AND modified < ?",
                (*scope, _fixed_ts(new_mark - overlap)),
            )
            count -= dropped.rowcount
        if count > max_keys:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM cursor_seen WHERE channel = ? AND action = ?", scope
            ).fetchone()
            if count > max_keys:
                conn.execute(
                    "DELETE FROM cursor_seen WHERE channel = ? AND action = ? AND key IN ("
                    " SELECT key FROM cursor_seen WHERE channel = ? AND action = ?"
                    " ORDER BY modified, key LIMIT ?)",
                    (*scope, *scope, count - max_keys),
                )
                count = max_keys
        conn.execute(
            "INSERT INTO cursors (channel, action, watermark, seen, updated_at, seen_count)"
            " VALUES (?, ?, ?, '{}', ?, ?) ON CONFLICT (channel, action) DO UPDATE SET"
            " watermark = excluded.watermark, updated_at = excluded.updated_at,"
            " seen_count = excluded.seen_count",
            (*scope, _ts(new_mark), _ts(self._clock()), max(count, 0)),
        )
        return new_mark

    def cursor_advance(
        self,
        channel: str,
        action: str,
        delivered: Mapping[str, datetime],
        *,
        overlap: timedelta,
        watermark: datetime | None = None,
        max_keys: int = DEFAULT_SEEN_KEYS_LIMIT,
    ) -> Cursor:
        with self._tx() as conn:
            self._commit(conn, channel, action, delivered, overlap, watermark, max_keys)
            return self._cursor_fetch(conn, channel, action)

    def cursor_reset(self, channel: str, action: str) -> None:
        with self._tx() as conn:
            for table in ("cursors", "cursor_seen"):
                conn.execute(
                    f"DELETE FROM {table} WHERE channel = ? AND action = ?",  # noqa: S608 - constant
                    (channel, action),
                )

    # ------------------------------------------------------------------ journal

    @staticmethod
    def _journal_values(entry: JournalEntry) -> tuple[Any, ...]:
        return (
            entry.channel,
            entry.kind.value,
            entry.action,
            entry.started_at.isoformat(),
            _ts(entry.finished_at),
            entry.status.value if entry.status else None,
            entry.level.value if entry.level else None,
            entry.message,
            _json(entry.counts),
            _json(list(entry.errors)),
        )

    @staticmethod
    def _journal_refs_save(conn: sqlite3.Connection, entry_id: int, entry: JournalEntry) -> None:
        conn.execute("DELETE FROM journal_refs WHERE entry_id = ?", (entry_id,))
        references = entry.references
        for start in range(0, len(references), _CLAIM_ROWS):  # a statement per 64 rows
            values: list[Any] = []
            for i, ref in enumerate(references[start : start + _CLAIM_ROWS], start):
                values += (entry_id, i, entry.channel, ref)
            conn.execute(_JOURNAL_REFS_SAVE_MANY[len(values) // 4], values)

    def journal_add(self, entry: JournalEntry) -> JournalEntry:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO journal (channel, kind, action, started_at, finished_at, status,"
                " level, message, counts, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._journal_values(entry),
            )
            entry_id = cur.lastrowid
            assert entry_id is not None
            self._journal_refs_save(conn, entry_id, entry)
            return attrs.evolve(entry, entry_id=entry_id)

    def journal_update(self, entry: JournalEntry) -> JournalEntry:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE journal SET channel = ?, kind = ?, action = ?, started_at = ?,"
                " finished_at = ?, status = ?, level = ?, message = ?, counts = ?, errors = ?"
                " WHERE entry_id = ? AND channel = ?",
                (*self._journal_values(entry), entry.entry_id, entry.channel),
            )
            if entry.entry_id is None or cur.rowcount == 0:
                raise StateStoreError(
                    f"channel {entry.channel!r}: no journal entry {entry.entry_id!r} to update"
                )
            self._journal_refs_save(conn, entry.entry_id, entry)
            return entry

    def journal_query(
        self,
        channel: str,
        *,
        action: str | None = None,
        reference: str | None = None,
        kind: EntryKind | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        sql = (
            "SELECT entry_id, channel, kind, action, started_at, finished_at, status, level,"
            " message, counts, errors FROM journal WHERE channel = ?"
        )
        params: list[Any] = [channel]
        for column, value in (
            ("action", action),
            ("kind", kind.value if kind else None),
            ("status", status.value if status else None),
        ):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if reference is not None:
            sql += (
                " AND entry_id IN (SELECT entry_id FROM journal_refs"
                " WHERE channel = ? AND reference = ?)"
            )
            params.extend((channel, reference))
        sql += " ORDER BY entry_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(limit, 0))
        with self._tx(write=False) as conn:
            rows = conn.execute(sql, params).fetchall()
            refs: dict[int, list[str]] = {}
            ids = [r[0] for r in rows]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for entry_id, ref in conn.execute(
                    "SELECT entry_id, reference FROM journal_refs"  # noqa: S608 - only "?" marks
                    f" WHERE entry_id IN ({marks}) ORDER BY entry_id, position",
                    chunk,
                ):
                    refs.setdefault(entry_id, []).append(ref)
        return [
            JournalEntry(
                entry_id=r[0],
                channel=r[1],
                kind=EntryKind(r[2]),
                action=r[3],
                started_at=_dt(r[4]),
                finished_at=_opt_dt(r[5]),
                status=RunStatus(r[6]) if r[6] else None,
                level=LogLevel(r[7]) if r[7] else None,
                message=r[8],
                counts=loads(r[9]),
                errors=tuple(loads(r[10])),
                references=tuple(refs.get(r[0], ())),
            )
            for r in rows
        ]

    def journal_prune(self, channel: str, *, keep_last: int) -> int:
        with self._tx() as conn:
            keep = "SELECT entry_id FROM journal WHERE channel = ? ORDER BY entry_id DESC LIMIT ?"
            args = (channel, channel, max(keep_last, 0))
            conn.execute(
                f"DELETE FROM journal_refs WHERE channel = ? AND entry_id NOT IN ({keep})",  # noqa: S608 - constant
                args,
            )
            cur = conn.execute(
                f"DELETE FROM journal WHERE channel = ? AND entry_id NOT IN ({keep})",  # noqa: S608 - constant
                args,
            )
            return cur.rowcount

    # ------------------------------------------------------------------ webhook events

    def mark_event_seen(self, channel: str, event_id: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO events (channel, event_id, seen_ts) VALUES (?, ?, ?)",
                (channel, event_id, self._clock().timestamp()),
            )
            return cur.rowcount > 0

    def event_seen(self, channel: str, event_id: str) -> bool:
        with self._tx(write=False) as conn:
            row = conn.execute(
                "SELECT 1 FROM events WHERE channel = ? AND event_id = ?", (channel, event_id)
            ).fetchone()
        return row is not None

    def forget_events(self, channel: str, *, seen_before: datetime) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM events WHERE channel = ? AND seen_ts < ?",
                (channel, seen_before.timestamp()),
            )
            return cur.rowcount

    def resource_version(self, channel: str, key: str) -> datetime | None:
        with self._tx(write=False) as conn:
            row = conn.execute(
                "SELECT version FROM resource_versions WHERE channel = ? AND key = ?",
                (channel, key),
            ).fetchone()
        return None if row is None else _dt(row[0])

    def advance_resource_version(self, channel: str, key: str, version: datetime) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT version FROM resource_versions WHERE channel = ? AND key = ?",
                (channel, key),
            ).fetchone()
            if row is not None and version <= _dt(row[0]):
                return False
            conn.execute(
                "INSERT OR REPLACE INTO resource_versions (channel, key, version) VALUES (?, ?, ?)",
                (channel, key, version.isoformat()),
            )
            return True

    # ------------------------------------------------------------------ leases

    @staticmethod
    def _lease_fetch(conn: sqlite3.Connection, channel: str, action: str) -> Lease | None:
        row = conn.execute(
            "SELECT owner, acquired_at, expires_at, token FROM leases"
            " WHERE channel = ? AND action = ?",
            (channel, action),
        ).fetchone()
        if row is None:
            return None
        return Lease(
            channel=channel,
            action=action,
            owner=row[0],
            acquired_at=_dt(row[1]),
            expires_at=_dt(row[2]),
            token=row[3],
        )

    @staticmethod
    def _lease_save(conn: sqlite3.Connection, lease: Lease) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO leases (channel, action, owner, acquired_at, expires_at,"
            " token) VALUES (?, ?, ?, ?, ?, ?)",
            (
                lease.channel,
                lease.action,
                lease.owner,
                lease.acquired_at.isoformat(),
                lease.expires_at.isoformat(),
                lease.token,
            ),
        )

    def acquire_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        return self.take_lease(channel, action, owner, ttl_seconds) is not None

    def take_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> Lease | None:
        with self._tx() as conn:
            now = self._clock()
            existing = self._lease_fetch(conn, channel, action)
            if not may_take_lease(existing, owner, now):
                return None
            row = conn.execute(
                "SELECT token FROM lease_tokens WHERE channel = ? AND action = ?",
                (channel, action),
            ).fetchone()
            # A pre-fencing file may hold a live lease with token 0: start above it.
            last = max(row[0] if row else 0, existing.token if existing else 0)
            lease = taken_lease(
                existing,
                channel=channel,
                action=action,
                owner=owner,
                now=now,
                ttl_seconds=ttl_seconds,
                next_token=last + 1,
            )
            if lease.token == last + 1:
                conn.execute(
                    "INSERT OR REPLACE INTO lease_tokens (channel, action, token) VALUES (?, ?, ?)",
                    (channel, action, lease.token),
                )
            self._lease_save(conn, lease)
            return lease

    def renew_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        with self._tx() as conn:
            existing = self._lease_fetch(conn, channel, action)
            if existing is None or existing.owner != owner:
                return False
            expires = self._clock() + timedelta(seconds=ttl_seconds)
            self._lease_save(conn, attrs.evolve(existing, expires_at=expires))
            return True

    def release_lease(self, channel: str, action: str, owner: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM leases WHERE channel = ? AND action = ? AND owner = ?",
                (channel, action, owner),
            )
            return cur.rowcount > 0

    def lease_info(self, channel: str, action: str) -> Lease | None:
        with self._tx(write=False) as conn:
            existing = self._lease_fetch(conn, channel, action)
        return existing if existing is not None and existing.live(self._clock()) else None

    # ------------------------------------------------------------------ small metadata

    def kv_get(self, channel: str, key: str) -> str | None:
        with self._tx(write=False) as conn:
            row = conn.execute(
                "SELECT value FROM kv WHERE channel = ? AND key = ?", (channel, key)
            ).fetchone()
        return None if row is None else str(row[0])

    def kv_set(self, channel: str, key: str, value: str | None) -> None:
        with self._tx() as conn:
            if value is None:
                conn.execute("DELETE FROM kv WHERE channel = ? AND key = ?", (channel, key))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO kv (channel, key, value) VALUES (?, ?, ?)",
                    (channel, key, value),
                )

    def kv_delete(self, channel: str, keys: Collection[str]) -> int:
        wanted = sorted(set(keys))
        removed = 0
        with self._tx() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                cur = conn.execute(
                    f"DELETE FROM kv WHERE channel = ? AND key IN ({marks})",  # noqa: S608 - only "?" marks
                    (channel, *chunk),
                )
                removed += cur.rowcount
        if removed:
            self._checkpoint()
        return removed

    def kv_get_many(self, entries: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        wanted = sorted(set(entries))
        found: dict[tuple[str, str], str] = {}
        with self._tx(write=False) as conn:
            for start in range(0, len(wanted), _CHUNK // 2):
                chunk = wanted[start : start + _CHUNK // 2]
                pairs = ",".join("(?, ?)" for _ in chunk)
                rows = conn.execute(
                    f"SELECT channel, key, value FROM kv WHERE (channel, key) IN (VALUES {pairs})",  # noqa: S608 - only "?" marks
                    [part for entry in chunk for part in entry],
                ).fetchall()
                found.update(((c, k), str(v)) for c, k, v in rows)
        return found

    # ------------------------------------------------------------------ channels

    def channels(self) -> list[str]:
        union = " UNION ".join(
            f"SELECT channel FROM {t}"  # noqa: S608 - table names are module constants
            for t in _CHANNEL_TABLES
        )
        with self._tx(write=False) as conn:
            rows = conn.execute(f"{union} ORDER BY channel").fetchall()
        return [r[0] for r in rows]

    def delete_channel(self, channel: str) -> None:
        with self._tx() as conn:
            for table in _CHANNEL_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE channel = ?", (channel,))  # noqa: S608 - constant

    def now(self) -> datetime:
        return self._clock()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is open (an error inside a statement may have ended it already)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")
