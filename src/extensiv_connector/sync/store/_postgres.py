"""``PostgresStore``: the shared state store for many workers on many hosts (psycopg 3 + pool).

Every method is one transaction on a pooled connection. Read-modify-write never reads and then
writes blindly: a row that may not exist yet is created with ``INSERT … ON CONFLICT DO NOTHING``
and then locked with ``SELECT … FOR UPDATE`` (so concurrent callers queue on the row lock and
each sees the previous one's result); leases and event marks are single conditional upserts.
The pure rules in ``_records`` decide, exactly as in the SQLite and memory stores.

Connection loss surfaces as :class:`StateStoreError`. Reads and idempotent writes are retried
on a fresh connection (a lost ``COMMIT`` of an idempotent write is harmless to repeat); writes
whose repetition would change the answer (``ledger_begin``, ``journal_add``, ...) are not
retried, because their first attempt may have committed. Serialisation failures and deadlocks
roll the transaction back, so those are always retried.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

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
    settles_per_reference,
    updated_entry,
)
from ._clock import utc_now
from ._pg_schema import (
    PG_CHANNEL_TABLES,
    PG_MIGRATIONS,
    PG_SCHEMA_VERSION,
    lock_key,
    quote_schema,
)

if TYPE_CHECKING:
    from psycopg import Cursor as PgCursor
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresStore"]

T = TypeVar("T")

_RETRIES = 4  # attempts for retryable failures
_BACKOFF = 0.05  # seconds, doubled per attempt


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _opt_dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _fixed(value: datetime) -> str:
    """Fixed-width text (always microseconds), so SQL text order is time order."""
    return value.isoformat(timespec="microseconds")


def _import_driver() -> Any:
    try:
        import psycopg_pool
    except ModuleNotFoundError as exc:
        raise StateStoreError(
            "PostgresStore needs the 'postgres' extra: pip install 'extensiv-connector[postgres]'"
        ) from exc
    return psycopg_pool


def _safe_target(url: str) -> str:
    """``host:port/dbname`` of a connection string, without user or password (for reprs)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # a malformed string is reported by the pool; never echo it here
        return "<unparsed>"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


#: ``ledger_begin_many``'s fresh claims in one statement: one array per ledger column, in
#: ``_ledger_values`` order; references already in the ledger are left alone (and decided
#: one by one, under their row locks).
_LEDGER_INSERT_MANY = (
    "INSERT INTO {s}.ledger (channel, kind, reference, state, remote_id, fingerprint,"
    " sent_lines, reasons, attempts, host_key, created_at, created_ts, updated_at,"
    " claim_action, claim_token)"
    " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[],"
    " %s::text[], %s::text[], %s::text[], %s::integer[], %s::text[], %s::text[],"
    " %s::double precision[], %s::text[], %s::text[], %s::bigint[])"
    " ON CONFLICT DO NOTHING RETURNING reference"
)


class PostgresStore:
    """A :class:`StateStore` in a PostgreSQL schema, shared by any number of processes.

    ``url_or_pool`` is a libpq connection string (``postgresql://user@host:5432/db``) or an
    open ``psycopg_pool.ConnectionPool`` the host owns (then ``close`` leaves it open).
    ``schema`` defaults to the connection's current schema; a named one is created if missing.
    ``pool_size`` bounds the connections of a pool the store creates itself.
    """

    def __init__(
        self,
        url_or_pool: str | ConnectionPool[Any],
        *,
        schema: str | None = None,
        clock: Clock = utc_now,
        pool_size: int = 4,
        connect_timeout: float = 10.0,
    ) -> None:
        pool_module = _import_driver()
        self._clock = clock
        self._converter = make_converter()
        if isinstance(url_or_pool, str):
            self._target = _safe_target(url_or_pool)
            self._owns_pool = True
            pool = pool_module.ConnectionPool(
                url_or_pool,
                min_size=1,
                max_size=max(pool_size, 1),
                open=False,
                timeout=connect_timeout,
                kwargs={"autocommit": True, "connect_timeout": max(int(connect_timeout), 1)},
                name="extensiv-connector",
            )
            try:
                pool.open(wait=True, timeout=connect_timeout)
            except Exception as exc:
                pool.close()
                raise StateStoreError(
                    f"cannot connect to PostgreSQL at {self._target}: {type(exc).__name__}"
                ) from exc
        else:
            self._target = "<host pool>"
            self._owns_pool = False
            pool = url_or_pool
        self._pool: ConnectionPool[Any] | None = pool
        try:
            self._schema = schema if schema is not None else self._current_schema()
            self._s = quote_schema(self._schema)
            self._version = self._migrate()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({self._target!r}, schema={self._schema!r})"

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema(self) -> str:
        return self._schema

    @property
    def schema_version(self) -> int:
        return self._version

    # ------------------------------------------------------------------ plumbing

    def _q(self, template: str) -> str:
        # The only place SQL text is built: ``{s}`` becomes the schema, which quote_schema
        # accepted as a plain identifier. Values always travel as parameters.
        return template.replace("{s}", self._s)

    def _run(self, work: Callable[[PgCursor[Any]], T], *, retry: bool, tx: bool = True) -> T:
        """Run ``work`` on a pooled connection; map driver errors to ``StateStoreError``.

        ``retry``: the work may be repeated after a lost connection (a read, or a write whose
        repetition changes nothing). Rolled-back conflicts are always repeated. ``tx=False``
        for work that is one statement (atomic by itself): it saves the BEGIN and COMMIT round
        trips, which dominate the cost of a store call.
        """
        import psycopg
        from psycopg import errors as pg_errors
        from psycopg_pool import PoolTimeout

        delay = _BACKOFF
        for attempt in range(1, _RETRIES + 1):
            pool = self._pool
            if pool is None:
                raise StateStoreError("the state store is closed")
            try:
                with (
                    pool.connection() as conn,
                    conn.transaction() if tx else contextlib.nullcontext(),
                    conn.cursor() as cur,
                ):
                    return work(cur)
            except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as exc:
                failure: Exception = exc
                repeatable = True
            except PoolTimeout as exc:
                failure, repeatable = exc, False
            except psycopg.OperationalError as exc:
                failure, repeatable = exc, retry
            except psycopg.Error as exc:
                sqlstate = getattr(exc, "sqlstate", None) or "-"
                raise StateStoreError(
                    f"PostgreSQL state store {self._target}: {type(exc).__name__}"
                    f" (SQLSTATE {sqlstate})"
                ) from exc
            if not repeatable or attempt == _RETRIES:
                raise StateStoreError(
                    f"PostgreSQL state store {self._target} failed"
                    f" after {attempt} attempt(s): {type(failure).__name__}"
                    + ("" if retry else "; the write may or may not have been applied")
                ) from failure
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _current_schema(self) -> str:
        def read(cur: PgCursor[Any]) -> str:
            row = cur.execute("SELECT current_schema()").fetchone()
            if row is None or row[0] is None:
                raise StateStoreError(
                    "the PostgreSQL connection has no current schema; pass schema=..."
                )
            return str(row[0])

        return self._run(read, retry=True, tx=False)

    def _migrate(self) -> int:
        def step(cur: PgCursor[Any]) -> int:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(self._schema),))
            cur.execute(self._q("CREATE SCHEMA IF NOT EXISTS {s}"))
            cur.execute(
                self._q(
                    "CREATE TABLE IF NOT EXISTS {s}.schema_version (version INTEGER PRIMARY KEY,"
                    " description TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
            )
            row = cur.execute(
                self._q("SELECT COALESCE(MAX(version), 0) FROM {s}.schema_version")
            ).fetchone()
            current = int(row[0]) if row else 0
            if current > PG_SCHEMA_VERSION:
                raise StateStoreError(
                    f"state store schema version {current} is newer than this library supports"
                    f" ({PG_SCHEMA_VERSION}); upgrade extensiv-connector"
                )
            for migration in PG_MIGRATIONS:
                if migration.version > current:
                    for statement in migration.statements:
                        cur.execute(self._q(statement))
                    cur.execute(
                        self._q(
                            "INSERT INTO {s}.schema_version (version, description, applied_at)"
                            " VALUES (%s, %s, %s)"
                        ),
                        (migration.version, migration.description, utc_now().isoformat()),
                    )
                    current = migration.version
            return current

        return self._run(step, retry=True)

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
            sent_lines={k: Decimal(v) for k, v in json.loads(row[6]).items()},
            reasons=tuple(json.loads(row[7])),
            attempts=row[8],
            host_key=row[9],
            created_at=_dt(row[10]),
            updated_at=_dt(row[11]),
            claim=Fence(row[12], int(row[13])) if row[12] else None,
        )

    def _ledger_locked(
        self, cur: PgCursor[Any], channel: str, kind: LedgerKind, reference: str
    ) -> LedgerEntry | None:
        row = cur.execute(
            self._q(f"SELECT {self._LEDGER_COLS} FROM {{s}}.ledger")
            + " WHERE channel = %s AND kind = %s AND reference = %s FOR UPDATE",
            (channel, kind.value, reference),
        ).fetchone()
        return None if row is None else self._ledger_row(row)

    def _ledger_values(self, entry: LedgerEntry) -> tuple[Any, ...]:
        return (
            entry.channel,
            entry.kind.value,
            entry.reference,
            entry.state.value,
            entry.remote_id,
            entry.fingerprint,
            _json({k: str(v) for k, v in entry.sent_lines.items()}),
            _json(list(entry.reasons)),
            entry.attempts,
            entry.host_key,
            entry.created_at.isoformat(),
            entry.created_at.timestamp(),
            entry.updated_at.isoformat(),
            entry.claim.action if entry.claim else "",
            entry.claim.token if entry.claim else 0,
        )

    _LEDGER_INSERT = (
        "INSERT INTO {s}.ledger (channel, kind, reference, state, remote_id, fingerprint,"
        " sent_lines, reasons, attempts, host_key, created_at, created_ts, updated_at,"
        " claim_action, claim_token)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )

    def _ledger_save(self, cur: PgCursor[Any], entry: LedgerEntry) -> None:
        cur.execute(
            self._q(
                self._LEDGER_INSERT + " ON CONFLICT (channel, kind, reference) DO UPDATE SET"
                " state = excluded.state, remote_id = excluded.remote_id,"
                " fingerprint = excluded.fingerprint, sent_lines = excluded.sent_lines,"
                " reasons = excluded.reasons, attempts = excluded.attempts,"
                " host_key = excluded.host_key, created_at = excluded.created_at,"
                " created_ts = excluded.created_ts, updated_at = excluded.updated_at,"
                " claim_action = excluded.claim_action, claim_token = excluded.claim_token"
            ),
            self._ledger_values(entry),
        )

    def ledger_get(self, channel: str, kind: LedgerKind, reference: str) -> LedgerEntry | None:
        def read(cur: PgCursor[Any]) -> LedgerEntry | None:
            row = cur.execute(
                self._q(f"SELECT {self._LEDGER_COLS} FROM {{s}}.ledger")
                + " WHERE channel = %s AND kind = %s AND reference = %s",
                (channel, kind.value, reference),
            ).fetchone()
            return None if row is None else self._ledger_row(row)

        return self._run(read, retry=True, tx=False)

    def _check_fence(self, cur: PgCursor[Any], channel: str, fence: Fence | None) -> None:
        """Refuse a write whose lease was released or taken over. ``FOR SHARE`` holds the lease
        row until this transaction ends, so no one can take the lease over between the check
        and the write: the two are one atomic step."""
        if fence is None:
            return
        row = cur.execute(
            self._q("SELECT owner, acquired_at, expires_at, token FROM {s}.leases")
            + " WHERE channel = %s AND action = %s FOR SHARE",
            (channel, fence.action),
        ).fetchone()
        if not fence_holds(fence, self._lease_row(channel, fence.action, row)):
            raise LeaseLostError(channel, fence.action)

    def _write_metadata(
        self, cur: PgCursor[Any], channel: str, metadata: Mapping[str, str] | None
    ) -> None:
        if metadata:
            cur.executemany(
                self._q("INSERT INTO {s}.kv (channel, key, value) VALUES (%s, %s, %s)")
                + " ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value",
                [(channel, k, v) for k, v in metadata.items()],
            )

    def ledger_get_many(
        self, channel: str, kind: LedgerKind, references: Collection[str]
    ) -> dict[str, LedgerEntry]:
        wanted = sorted(set(references))
        if not wanted:
            return {}

        def read(cur: PgCursor[Any]) -> dict[str, LedgerEntry]:
            rows = cur.execute(
                self._q(f"SELECT {self._LEDGER_COLS} FROM {{s}}.ledger")
                + " WHERE channel = %s AND kind = %s AND reference = ANY(%s)",
                (channel, kind.value, wanted),
            ).fetchall()
            return {row[2]: self._ledger_row(row) for row in rows}

        return self._run(read, retry=True, tx=False)

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
        now = self._clock()
        fresh = claimed_entry(
            None,
            channel=channel,
            kind=kind,
            reference=reference,
            now=now,
            fingerprint=fingerprint,
            sent_lines=sent_lines,
            host_key=host_key,
            fence=fence,
        )

        def insert(cur: PgCursor[Any]) -> bool:
            # A new reference is one statement: of concurrent callers the first insert wins.
            row = cur.execute(
                self._q(self._LEDGER_INSERT + " ON CONFLICT DO NOTHING RETURNING 1"),
                self._ledger_values(fresh),
            ).fetchone()
            return row is not None

        request = LedgerClaimRequest(
            reference=reference,
            fingerprint=fingerprint,
            sent_lines=sent_lines,
            host_key=host_key,
            metadata=metadata,
        )

        def claim_existing(cur: PgCursor[Any]) -> LedgerClaim | None:
            return self._claim_existing(cur, channel, kind, request, retry_states, fence, now)

        def fenced(cur: PgCursor[Any]) -> LedgerClaim | None:
            self._check_fence(cur, channel, fence)
            if insert(cur):
                self._write_metadata(cur, channel, metadata)
                return LedgerClaim(entry=fresh, claimed=True, previous=None)
            return claim_existing(cur)

        for _ in range(_RETRIES):
            if fence is not None or metadata:
                decided = self._run(fenced, retry=False)
            elif self._run(insert, retry=False, tx=False):
                return LedgerClaim(entry=fresh, claimed=True, previous=None)
            else:
                decided = self._run(claim_existing, retry=False)
            if decided is not None:
                return decided
        raise StateStoreError(
            f"channel {channel!r}: {kind.value} reference {reference!r} keeps being forgotten"
            " while it is claimed"
        )

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
        def update(cur: PgCursor[Any]) -> LedgerEntry:
            self._check_fence(cur, channel, fence)
            existing = self._ledger_locked(cur, channel, kind, reference)
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
            self._ledger_save(cur, entry)
            if release is not None:
                cur.execute(
                    self._q("DELETE FROM {s}.backorders WHERE channel = %s AND key = %s"),
                    (channel, release),
                )
            return entry

        # Setting the same outcome twice is harmless, so a lost COMMIT may be repeated.
        return self._run(update, retry=True)

    def ledger_begin_many(
        self,
        channel: str,
        kind: LedgerKind,
        requests: Sequence[LedgerClaimRequest],
        *,
        retry_states: Collection[LedgerState] = DEFAULT_RETRY_STATES,
        fence: Fence | None = None,
    ) -> list[LedgerClaim]:
        def claim_all(cur: PgCursor[Any]) -> list[LedgerClaim]:
            self._check_fence(cur, channel, fence)
            now = self._clock()
            fresh: dict[str, LedgerEntry] = {}
            for r in requests:  # a new reference is claimed by its first request
                if r.reference not in fresh:
                    fresh[r.reference] = claimed_entry(
                        None,
                        channel=channel,
                        kind=kind,
                        reference=r.reference,
                        now=now,
                        fingerprint=r.fingerprint,
                        sent_lines=r.sent_lines,
                        host_key=r.host_key,
                        fence=fence,
                    )
            if not fresh:
                return []
            columns = zip(*(self._ledger_values(e) for e in fresh.values()), strict=True)
            inserted = {
                row[0]
                for row in cur.execute(
                    self._q(_LEDGER_INSERT_MANY), [list(column) for column in columns]
                ).fetchall()
            }
            claims: list[LedgerClaim] = []
            metadata: list[tuple[str, str, str]] = []
            for r in requests:
                if r.reference in inserted:
                    inserted.discard(r.reference)  # a repeat is decided against this claim
                    claims.append(LedgerClaim(entry=fresh[r.reference], claimed=True))
                    if r.metadata:
                        metadata.extend((channel, k, v) for k, v in r.metadata.items())
                    continue
                claim = self._claim_one(cur, channel, kind, r, retry_states, fence, now)
                claims.append(claim)
            if metadata:
                cur.executemany(
                    self._q("INSERT INTO {s}.kv (channel, key, value) VALUES (%s, %s, %s)")
                    + " ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value",
                    metadata,
                )
            return claims

        # Not repeated after a lost connection: the COMMIT may have happened (as ledger_begin).
        return self._run(claim_all, retry=False)

    def _claim_one(
        self,
        cur: PgCursor[Any],
        channel: str,
        kind: LedgerKind,
        request: LedgerClaimRequest,
        retry_states: Collection[LedgerState],
        fence: Fence | None,
        now: datetime,
    ) -> LedgerClaim:
        """``ledger_begin``'s decision for one reference, inside the caller's transaction."""
        reference = request.reference
        for _ in range(_RETRIES):
            fresh = claimed_entry(
                None,
                channel=channel,
                kind=kind,
                reference=reference,
                now=now,
                fingerprint=request.fingerprint,
                sent_lines=request.sent_lines,
                host_key=request.host_key,
                fence=fence,
            )
            inserted = cur.execute(
                self._q(self._LEDGER_INSERT + " ON CONFLICT DO NOTHING RETURNING 1"),
                self._ledger_values(fresh),
            ).fetchone()
            if inserted is not None:
                self._write_metadata(cur, channel, request.metadata)
                return LedgerClaim(entry=fresh, claimed=True, previous=None)
            claim = self._claim_existing(cur, channel, kind, request, retry_states, fence, now)
            if claim is not None:
                return claim
            # forgotten in between: insert again
        raise StateStoreError(
            f"channel {channel!r}: {kind.value} reference {reference!r} keeps being forgotten"
            " while it is claimed"
        )

    def _claim_existing(
        self,
        cur: PgCursor[Any],
        channel: str,
        kind: LedgerKind,
        request: LedgerClaimRequest,
        retry_states: Collection[LedgerState],
        fence: Fence | None,
        now: datetime,
    ) -> LedgerClaim | None:
        """The claim decision for a reference already in the ledger (row-locked: concurrent
        callers queue and each decides on the latest version); ``None`` if it was forgotten in
        between, so the caller inserts again."""
        existing = self._ledger_locked(cur, channel, kind, request.reference)
        if existing is None:
            return None
        claim_lease = (
            self._lease_fetch(cur, channel, existing.claim.action)
            if existing.claim is not None
            else None
        )
        if not may_claim(existing, retry_states, fence=fence, claim_lease=claim_lease, now=now):
            return LedgerClaim(entry=existing, claimed=False, previous=existing.state)
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
        self._ledger_save(cur, entry)
        self._write_metadata(cur, channel, request.metadata)
        return LedgerClaim(entry=entry, claimed=True, previous=existing.state)

    def ledger_settle_many(
        self,
        channel: str,
        kind: LedgerKind,
        settles: Sequence[LedgerSettle],
        *,
        fence: Fence | None = None,
    ) -> None:
        # As ``ledger_update`` per settle, in order: one UPDATE touches a row once, so a
        # repeated reference is merged first (the last state and reasons, the last remote id
        # given), and every release is dropped.
        last = {settle.reference: settle for settle in settles_per_reference(settles)}
        references = list(last)
        released = [s.release for s in settles if s.release is not None]

        def settle_all(cur: PgCursor[Any]) -> None:
            self._check_fence(cur, channel, fence)
            rows = cur.execute(
                self._q(
                    "UPDATE {s}.ledger AS l SET state = v.state,"
                    " remote_id = COALESCE(v.remote_id, l.remote_id), reasons = v.reasons,"
                    " updated_at = %s"
                    " FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[])"
                    " AS v(reference, state, remote_id, reasons)"
                    " WHERE l.channel = %s AND l.kind = %s AND l.reference = v.reference"
                    " RETURNING l.reference"
                ),
                (
                    self._clock().isoformat(),
                    references,
                    [last[r].state.value for r in references],
                    [last[r].remote_id for r in references],
                    [_json(list(last[r].reasons)) for r in references],
                    channel,
                    kind.value,
                ),
            ).fetchall()
            if len(rows) != len(references):  # raised inside the transaction: nothing changes
                found = {row[0] for row in rows}
                missing = next(r for r in references if r not in found)
                raise StateStoreError(
                    f"channel {channel!r}: no {kind.value} ledger entry for reference {missing!r}"
                )
            if released:
                cur.execute(
                    self._q("DELETE FROM {s}.backorders WHERE channel = %s AND key = ANY(%s)"),
                    (channel, released),
                )

        # Setting the same outcomes twice is harmless, so a lost COMMIT may be repeated.
        self._run(settle_all, retry=True)

    def ledger_list(
        self,
        channel: str,
        kind: LedgerKind | None = None,
        *,
        states: Collection[LedgerState] | None = None,
    ) -> list[LedgerEntry]:
        sql = self._q(f"SELECT {self._LEDGER_COLS} FROM {{s}}.ledger") + " WHERE channel = %s"
        params: list[Any] = [channel]
        if kind is not None:
            sql += " AND kind = %s"
            params.append(kind.value)
        if states is not None:
            sql += " AND state = ANY(%s)"
            params.append([s.value for s in states])

        def read(cur: PgCursor[Any]) -> list[LedgerEntry]:
            return [self._ledger_row(r) for r in cur.execute(sql, params).fetchall()]

        entries = self._run(read, retry=True, tx=False)
        return sorted(entries, key=lambda e: (e.created_at, e.kind.value, e.reference))

    def ledger_forget(self, channel: str, kind: LedgerKind, reference: str) -> bool:
        def forget(cur: PgCursor[Any]) -> bool:
            cur.execute(
                self._q("DELETE FROM {s}.ledger WHERE channel = %s AND kind = %s")
                + " AND reference = %s",
                (channel, kind.value, reference),
            )
            return cur.rowcount > 0

        return self._run(forget, retry=False, tx=False)

    def ledger_prune(
        self, channel: str, *, states: Collection[LedgerState], updated_before: datetime
    ) -> int:
        doomed = [s.value for s in states if s is not LedgerState.PENDING]

        def prune(cur: PgCursor[Any]) -> int:
            rows = cur.execute(
                self._q("SELECT kind, reference, updated_at FROM {s}.ledger")
                + " WHERE channel = %s AND state = ANY(%s) FOR UPDATE",
                (channel, doomed),
            ).fetchall()
            # Compared as datetimes: the stored text may carry different offsets.
            keys = [(k, r) for k, r, updated in rows if _dt(updated) < updated_before]
            if keys:
                cur.executemany(
                    self._q("DELETE FROM {s}.ledger WHERE channel = %s AND kind = %s")
                    + " AND reference = %s",
                    [(channel, k, r) for k, r in keys],
                )
            return len(keys)

        return self._run(prune, retry=False) if doomed else 0

    # ------------------------------------------------------------------ backorder queue

    _BACKORDER_COLS = "channel, key, order_json, held_since, updated_at, reason, evaluations"

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

        def put(cur: PgCursor[Any]) -> BackorderEntry:
            self._check_fence(cur, channel, fence)
            fresh = held_entry(
                None, channel=channel, key=key, order=order, reason=reason, now=self._clock()
            )
            cur.execute(
                self._q(
                    "INSERT INTO {s}.backorders (channel, key, order_json, held_since, held_ts,"
                    " updated_at, reason, evaluations) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (channel, key) DO UPDATE SET order_json = excluded.order_json,"
                    " updated_at = excluded.updated_at, reason = excluded.reason,"
                    " evaluations = {s}.backorders.evaluations + 1"
                    " RETURNING held_since, evaluations"
                ),
                (
                    channel,
                    key,
                    document,
                    fresh.held_since.isoformat(),
                    fresh.held_since.timestamp(),
                    fresh.updated_at.isoformat(),
                    reason,
                    1,
                ),
            )
            row = cur.fetchone()
            assert row is not None
            return attrs.evolve(fresh, held_since=_dt(row[0]), evaluations=row[1])

        return self._run(put, retry=False, tx=fence is not None)

    def backorder_get(self, channel: str, key: str) -> BackorderEntry | None:
        def read(cur: PgCursor[Any]) -> BackorderEntry | None:
            row = cur.execute(
                self._q(f"SELECT {self._BACKORDER_COLS} FROM {{s}}.backorders")
                + " WHERE channel = %s AND key = %s",
                (channel, key),
            ).fetchone()
            return None if row is None else self._backorder_row(row)

        return self._run(read, retry=True, tx=False)

    def backorder_list(self, channel: str) -> list[BackorderEntry]:
        def read(cur: PgCursor[Any]) -> list[BackorderEntry]:
            rows = cur.execute(
                self._q(f"SELECT {self._BACKORDER_COLS} FROM {{s}}.backorders")
                + " WHERE channel = %s ORDER BY held_ts, key",
                (channel,),
            ).fetchall()
            return [self._backorder_row(r) for r in rows]

        return self._run(read, retry=True, tx=False)

    def backorder_remove(self, channel: str, key: str, *, fence: Fence | None = None) -> bool:
        def remove(cur: PgCursor[Any]) -> bool:
            self._check_fence(cur, channel, fence)
            cur.execute(
                self._q("DELETE FROM {s}.backorders WHERE channel = %s AND key = %s"),
                (channel, key),
            )
            return cur.rowcount > 0

        return self._run(remove, retry=False, tx=fence is not None)

    # ------------------------------------------------------------------ cursors

    def _cursor_read(self, cur: PgCursor[Any], channel: str, action: str) -> Cursor:
        row = cur.execute(
            self._q("SELECT watermark, updated_at FROM {s}.cursors")
            + " WHERE channel = %s AND action = %s",
            (channel, action),
        ).fetchone()
        if row is None:
            return Cursor(channel=channel, action=action)
        seen = cur.execute(
            self._q("SELECT key, modified FROM {s}.cursor_seen")
            + " WHERE channel = %s AND action = %s",
            (channel, action),
        ).fetchall()
        return Cursor(
            channel=channel,
            action=action,
            watermark=_opt_dt(row[0]),
            seen={k: _dt(v) for k, v in seen},
            updated_at=_opt_dt(row[1]),
        )

    def cursor_get(self, channel: str, action: str) -> Cursor:
        def read(cur: PgCursor[Any]) -> Cursor:
            return self._cursor_read(cur, channel, action)

        # Two SELECTs that must agree: one transaction.
        return self._run(read, retry=True)

    def _commit(
        self,
        cur: PgCursor[Any],
        channel: str,
        action: str,
        delivered: Mapping[str, datetime],
        overlap: timedelta,
        watermark: datetime | None,
        max_keys: int,
    ) -> datetime | None:
        """The :meth:`Cursor.advanced` rule with work proportional to the batch: upsert its
        keys, drop keys below the floor through the time index, count exactly only when the
        running count may exceed the cap. The cursor row is locked first, so concurrent
        commits of one cursor queue."""
        scope = (channel, action)
        cur.execute(
            self._q("INSERT INTO {s}.cursors (channel, action) VALUES (%s, %s)")
            + " ON CONFLICT DO NOTHING",
            scope,
        )
        row = cur.execute(
            self._q("SELECT watermark, seen_count FROM {s}.cursors")
            + " WHERE channel = %s AND action = %s FOR UPDATE",
            scope,
        ).fetchone()
        old_mark, count = (_opt_dt(row[0]), int(row[1])) if row else (None, 0)
        candidates = [t for t in (old_mark, watermark) if t is not None]
        candidates.extend(delivered.values())
        new_mark = max(candidates) if candidates else None
        if delivered:
            cur.executemany(
                self._q("INSERT INTO {s}.cursor_seen (channel, action, key, modified)")
                + " VALUES (%s, %s, %s, %s) ON CONFLICT (channel, action, key)"
                " DO UPDATE SET modified = excluded.modified",
                [(channel, action, k, _fixed(t)) for k, t in delivered.items()],
            )
            count += len(delivered)  # an upper bound: re-delivered keys were updated in place
        if new_mark is not None:
            cur.execute(
                self._q("DELETE FROM {s}.cursor_seen")
                + " WHERE channel = %s AND action = %s AND modified < %s",
                (*scope, _fixed(new_mark - overlap)),
            )
            count -= max(cur.rowcount, 0)
        if count > max_keys:
            counted = cur.execute(
                self._q("SELECT COUNT(*) FROM {s}.cursor_seen")
                + " WHERE channel = %s AND action = %s",
                scope,
            ).fetchone()
            count = int(counted[0]) if counted else 0
            if count > max_keys:
                cur.execute(
                    self._q("DELETE FROM {s}.cursor_seen WHERE channel = %s AND action = %s")
                    + self._q(
                        " AND key IN (SELECT key FROM {s}.cursor_seen"
                        " WHERE channel = %s AND action = %s ORDER BY modified, key LIMIT %s)"
                    ),
                    (*scope, *scope, count - max_keys),
                )
                count = max_keys
        cur.execute(
            self._q("UPDATE {s}.cursors SET watermark = %s, updated_at = %s, seen_count = %s")
            + " WHERE channel = %s AND action = %s",
            (_iso(new_mark), _iso(self._clock()), max(count, 0), *scope),
        )
        return new_mark

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
        def commit(cur: PgCursor[Any]) -> datetime | None:
            return self._commit(cur, channel, action, delivered, overlap, watermark, max_keys)

        # Committing the same delivered records twice gives the same cursor.
        return self._run(commit, retry=True)

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
        def advance(cur: PgCursor[Any]) -> Cursor:
            self._commit(cur, channel, action, delivered, overlap, watermark, max_keys)
            return self._cursor_read(cur, channel, action)

        return self._run(advance, retry=True)

    def cursor_reset(self, channel: str, action: str) -> None:
        def reset(cur: PgCursor[Any]) -> None:
            for table in ("cursor_seen", "cursors"):
                cur.execute(
                    self._q(f"DELETE FROM {{s}}.{table} WHERE channel = %s AND action = %s"),
                    (channel, action),
                )

        self._run(reset, retry=True)

    # ------------------------------------------------------------------ journal

    @staticmethod
    def _journal_values(entry: JournalEntry) -> tuple[Any, ...]:
        return (
            entry.channel,
            entry.kind.value,
            entry.action,
            entry.started_at.isoformat(),
            _iso(entry.finished_at),
            entry.status.value if entry.status else None,
            entry.level.value if entry.level else None,
            entry.message,
            _json(entry.counts),
            _json(list(entry.errors)),
        )

    def _journal_refs_save(self, cur: PgCursor[Any], entry_id: int, entry: JournalEntry) -> None:
        cur.execute(self._q("DELETE FROM {s}.journal_refs WHERE entry_id = %s"), (entry_id,))
        if entry.references:
            cur.executemany(
                self._q(
                    "INSERT INTO {s}.journal_refs (entry_id, position, channel, reference)"
                    " VALUES (%s, %s, %s, %s)"
                ),
                [(entry_id, i, entry.channel, ref) for i, ref in enumerate(entry.references)],
            )

    def journal_add(self, entry: JournalEntry) -> JournalEntry:
        def add(cur: PgCursor[Any]) -> JournalEntry:
            row = cur.execute(
                self._q(
                    "INSERT INTO {s}.journal (channel, kind, action, started_at, finished_at,"
                    " status, level, message, counts, errors)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING entry_id"
                ),
                self._journal_values(entry),
            ).fetchone()
            assert row is not None
            entry_id = int(row[0])
            self._journal_refs_save(cur, entry_id, entry)
            return attrs.evolve(entry, entry_id=entry_id)

        return self._run(add, retry=False)

    def journal_update(self, entry: JournalEntry) -> JournalEntry:
        def update(cur: PgCursor[Any]) -> JournalEntry:
            cur.execute(
                self._q(
                    "UPDATE {s}.journal SET channel = %s, kind = %s, action = %s,"
                    " started_at = %s, finished_at = %s, status = %s, level = %s, message = %s,"
                    " counts = %s, errors = %s WHERE entry_id = %s AND channel = %s"
                ),
                (*self._journal_values(entry), entry.entry_id, entry.channel),
            )
            if entry.entry_id is None or cur.rowcount == 0:
                raise StateStoreError(
                    f"channel {entry.channel!r}: no journal entry {entry.entry_id!r} to update"
                )
            self._journal_refs_save(cur, entry.entry_id, entry)
            return entry

        return self._run(update, retry=True)

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
        sql = self._q(
            "SELECT entry_id, channel, kind, action, started_at, finished_at, status, level,"
            " message, counts, errors FROM {s}.journal WHERE channel = %s"
        )
        params: list[Any] = [channel]
        for condition, value in (
            (" AND action = %s", action),
            (" AND kind = %s", kind.value if kind else None),
            (" AND status = %s", status.value if status else None),
        ):
            if value is not None:
                sql += condition
                params.append(value)
        if reference is not None:
            sql += self._q(
                " AND entry_id IN (SELECT entry_id FROM {s}.journal_refs"
                " WHERE channel = %s AND reference = %s)"
            )
            params.extend((channel, reference))
        sql += " ORDER BY entry_id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(max(limit, 0))

        def read(cur: PgCursor[Any]) -> tuple[list[Any], dict[int, list[str]]]:
            rows = cur.execute(sql, params).fetchall()
            refs: dict[int, list[str]] = {}
            if rows:
                for entry_id, ref in cur.execute(
                    self._q("SELECT entry_id, reference FROM {s}.journal_refs")
                    + " WHERE entry_id = ANY(%s) ORDER BY entry_id, position",
                    ([r[0] for r in rows],),
                ):
                    refs.setdefault(int(entry_id), []).append(ref)
            return rows, refs

        rows, refs = self._run(read, retry=True)
        return [
            JournalEntry(
                entry_id=int(r[0]),
                channel=r[1],
                kind=EntryKind(r[2]),
                action=r[3],
                started_at=_dt(r[4]),
                finished_at=_opt_dt(r[5]),
                status=RunStatus(r[6]) if r[6] else None,
                level=LogLevel(r[7]) if r[7] else None,
                message=r[8],
                counts=json.loads(r[9]),
                errors=tuple(json.loads(r[10])),
                references=tuple(refs.get(int(r[0]), ())),
            )
            for r in rows
        ]

    def journal_prune(self, channel: str, *, keep_last: int) -> int:
        def prune(cur: PgCursor[Any]) -> int:
            keep = "SELECT entry_id FROM {s}.journal WHERE channel = %s ORDER BY entry_id DESC"
            args = (channel, channel, max(keep_last, 0))
            cur.execute(
                self._q(
                    "DELETE FROM {s}.journal_refs WHERE channel = %s"
                    f" AND entry_id NOT IN ({keep} LIMIT %s)"
                ),
                args,
            )
            cur.execute(
                self._q(
                    f"DELETE FROM {{s}}.journal WHERE channel = %s AND entry_id NOT IN ({keep}"
                    " LIMIT %s)"
                ),
                args,
            )
            return cur.rowcount

        return self._run(prune, retry=False)

    # ------------------------------------------------------------------ webhook events

    def mark_event_seen(self, channel: str, event_id: str) -> bool:
        def mark(cur: PgCursor[Any]) -> bool:
            cur.execute(
                self._q("INSERT INTO {s}.events (channel, event_id, seen_ts) VALUES (%s, %s, %s)")
                + " ON CONFLICT DO NOTHING",
                (channel, event_id, self._clock().timestamp()),
            )
            return cur.rowcount > 0

        return self._run(mark, retry=False, tx=False)

    def event_seen(self, channel: str, event_id: str) -> bool:
        def read(cur: PgCursor[Any]) -> bool:
            row = cur.execute(
                self._q("SELECT 1 FROM {s}.events WHERE channel = %s AND event_id = %s"),
                (channel, event_id),
            ).fetchone()
            return row is not None

        return self._run(read, retry=True, tx=False)

    def forget_events(self, channel: str, *, seen_before: datetime) -> int:
        def forget(cur: PgCursor[Any]) -> int:
            cur.execute(
                self._q("DELETE FROM {s}.events WHERE channel = %s AND seen_ts < %s"),
                (channel, seen_before.timestamp()),
            )
            return cur.rowcount

        return self._run(forget, retry=False, tx=False)

    def resource_version(self, channel: str, key: str) -> datetime | None:
        def read(cur: PgCursor[Any]) -> datetime | None:
            row = cur.execute(
                self._q("SELECT version FROM {s}.resource_versions")
                + " WHERE channel = %s AND key = %s",
                (channel, key),
            ).fetchone()
            return None if row is None else _dt(row[0])

        return self._run(read, retry=True, tx=False)

    def advance_resource_version(self, channel: str, key: str, version: datetime) -> bool:
        def advance(cur: PgCursor[Any]) -> bool:
            inserted = cur.execute(
                self._q("INSERT INTO {s}.resource_versions (channel, key, version)")
                + " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                (channel, key, version.isoformat()),
            ).fetchone()
            if inserted is not None:
                return True
            row = cur.execute(
                self._q("SELECT version FROM {s}.resource_versions")
                + " WHERE channel = %s AND key = %s FOR UPDATE",
                (channel, key),
            ).fetchone()
            if row is not None and version <= _dt(row[0]):
                return False
            cur.execute(
                self._q("UPDATE {s}.resource_versions SET version = %s")
                + " WHERE channel = %s AND key = %s",
                (version.isoformat(), channel, key),
            )
            return True

        return self._run(advance, retry=False)

    # ------------------------------------------------------------------ leases

    @staticmethod
    def _lease_row(channel: str, action: str, row: Sequence[Any] | None) -> Lease | None:
        if row is None:
            return None
        return Lease(
            channel=channel,
            action=action,
            owner=row[0],
            acquired_at=_dt(row[1]),
            expires_at=_dt(row[2]),
            token=int(row[3]),
        )

    def _lease_fetch(self, cur: PgCursor[Any], channel: str, action: str) -> Lease | None:
        row = cur.execute(
            self._q("SELECT owner, acquired_at, expires_at, token FROM {s}.leases")
            + " WHERE channel = %s AND action = %s",
            (channel, action),
        ).fetchone()
        return self._lease_row(channel, action, row)

    def acquire_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        return self.take_lease(channel, action, owner, ttl_seconds) is not None

    def take_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> Lease | None:
        now = self._clock()
        expires = now + timedelta(seconds=ttl_seconds)

        def take(cur: PgCursor[Any]) -> Lease | None:
            # One conditional upsert: taken when absent, expired or already ours. A live lease
            # of the same owner keeps its start and token; anything else gets a new token from
            # the sequence (greater than every token before). The conflicting row's lock
            # serialises racing callers.
            row = cur.execute(
                self._q(
                    "INSERT INTO {s}.leases AS l (channel, action, owner, acquired_at,"
                    " expires_at, expires_ts, token) VALUES (%(c)s, %(a)s, %(o)s, %(now)s,"
                    " %(exp)s, %(exp_ts)s, nextval('{s}.lease_tokens'))"
                    " ON CONFLICT (channel, action) DO UPDATE SET"
                    " owner = excluded.owner, expires_at = excluded.expires_at,"
                    " expires_ts = excluded.expires_ts,"
                    " acquired_at = CASE WHEN l.owner = excluded.owner"
                    " AND l.expires_ts > %(now_ts)s THEN l.acquired_at"
                    " ELSE excluded.acquired_at END,"
                    " token = CASE WHEN l.owner = excluded.owner AND l.expires_ts > %(now_ts)s"
                    " THEN l.token ELSE excluded.token END"
                    " WHERE l.owner = excluded.owner OR l.expires_ts <= %(now_ts)s"
                    " RETURNING owner, acquired_at, expires_at, token"
                ),
                {
                    "c": channel,
                    "a": action,
                    "o": owner,
                    "now": now.isoformat(),
                    "exp": expires.isoformat(),
                    "exp_ts": expires.timestamp(),
                    "now_ts": now.timestamp(),
                },
            ).fetchone()
            return self._lease_row(channel, action, row)

        # Safe to repeat: if a lost COMMIT did give us the lease, the repeat finds it live and
        # ours, and returns it with the same token.
        return self._run(take, retry=True, tx=False)

    def renew_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        expires = self._clock() + timedelta(seconds=ttl_seconds)

        def renew(cur: PgCursor[Any]) -> bool:
            cur.execute(
                self._q("UPDATE {s}.leases SET expires_at = %s, expires_ts = %s")
                + " WHERE channel = %s AND action = %s AND owner = %s",
                (expires.isoformat(), expires.timestamp(), channel, action, owner),
            )
            return cur.rowcount > 0

        return self._run(renew, retry=True, tx=False)

    def release_lease(self, channel: str, action: str, owner: str) -> bool:
        def release(cur: PgCursor[Any]) -> bool:
            cur.execute(
                self._q("DELETE FROM {s}.leases WHERE channel = %s AND action = %s")
                + " AND owner = %s",
                (channel, action, owner),
            )
            return cur.rowcount > 0

        return self._run(release, retry=False, tx=False)

    def lease_info(self, channel: str, action: str) -> Lease | None:
        def read(cur: PgCursor[Any]) -> Lease | None:
            return self._lease_fetch(cur, channel, action)

        lease = self._run(read, retry=True, tx=False)
        return lease if lease is not None and lease.live(self._clock()) else None

    # ------------------------------------------------------------------ small metadata

    def kv_get(self, channel: str, key: str) -> str | None:
        def read(cur: PgCursor[Any]) -> str | None:
            row = cur.execute(
                self._q("SELECT value FROM {s}.kv WHERE channel = %s AND key = %s"),
                (channel, key),
            ).fetchone()
            return None if row is None else str(row[0])

        return self._run(read, retry=True, tx=False)

    def kv_set(self, channel: str, key: str, value: str | None) -> None:
        def write(cur: PgCursor[Any]) -> None:
            if value is None:
                cur.execute(
                    self._q("DELETE FROM {s}.kv WHERE channel = %s AND key = %s"), (channel, key)
                )
            else:
                cur.execute(
                    self._q("INSERT INTO {s}.kv (channel, key, value) VALUES (%s, %s, %s)")
                    + " ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value",
                    (channel, key, value),
                )

        self._run(write, retry=True, tx=False)

    def kv_delete(self, channel: str, keys: Collection[str]) -> int:
        wanted = sorted(set(keys))

        def delete(cur: PgCursor[Any]) -> int:
            cur.execute(
                self._q("DELETE FROM {s}.kv WHERE channel = %s AND key = ANY(%s)"),
                (channel, wanted),
            )
            return cur.rowcount

        return self._run(delete, retry=False, tx=False) if wanted else 0

    def kv_get_many(self, entries: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        wanted = sorted(set(entries))

        def read(cur: PgCursor[Any]) -> dict[tuple[str, str], str]:
            rows = cur.execute(
                self._q("SELECT channel, key, kv.value FROM {s}.kv")
                + " JOIN unnest(%s::text[], %s::text[]) AS wanted (channel, key)"
                " USING (channel, key)",
                ([c for c, _ in wanted], [k for _, k in wanted]),
            ).fetchall()
            return {(c, k): str(v) for c, k, v in rows}

        return self._run(read, retry=True, tx=False) if wanted else {}

    # ------------------------------------------------------------------ channels

    def channels(self) -> list[str]:
        union = " UNION ".join(f"SELECT channel FROM {{s}}.{t}" for t in PG_CHANNEL_TABLES)

        def read(cur: PgCursor[Any]) -> list[str]:
            return [r[0] for r in cur.execute(self._q(union + " ORDER BY channel")).fetchall()]

        return self._run(read, retry=True, tx=False)

    def delete_channel(self, channel: str) -> None:
        def delete(cur: PgCursor[Any]) -> None:
            for table in PG_CHANNEL_TABLES:
                sql = self._q(f"DELETE FROM {{s}}.{table}") + " WHERE channel = %s"
                cur.execute(sql, (channel,))

        self._run(delete, retry=True)

    def now(self) -> datetime:
        return self._clock()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._owns_pool:
            pool.close()
