"""What only a shared PostgreSQL store has to get right: migrations under concurrent openers,
several processes on separate connections, lost connections, and no secrets in reprs."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from extensiv_connector.sync import (
    LedgerKind,
    LedgerState,
    PostgresStore,
    StateStoreError,
    open_store,
)
from extensiv_connector.sync.store._pg_schema import PG_SCHEMA_VERSION

ORDER = LedgerKind.ORDER


def _versions(url: str, schema: str) -> list[int]:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT version FROM {}.schema_version ORDER BY 1")
        rows = conn.execute(query.format(sql.Identifier(schema))).fetchall()
    return [r[0] for r in rows]


def test_racing_openers_migrate_a_new_schema_exactly_once(pg: tuple[str, str]) -> None:
    url, schema = pg
    barrier = threading.Barrier(6)
    opened: list[int] = []
    failures: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            with PostgresStore(url, schema=schema, pool_size=1) as store:
                opened.append(store.schema_version)
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [] == failures
    assert [PG_SCHEMA_VERSION] * 6 == opened
    assert list(range(1, PG_SCHEMA_VERSION + 1)) == _versions(url, schema)


def test_a_schema_written_by_a_newer_library_is_refused(pg: tuple[str, str]) -> None:
    url, schema = pg
    PostgresStore(url, schema=schema).close()
    with psycopg.connect(url) as conn:
        query = sql.SQL("INSERT INTO {}.schema_version VALUES (999, 'future', 'x')")
        conn.execute(query.format(sql.Identifier(schema)))

    with pytest.raises(StateStoreError, match="newer"):
        PostgresStore(url, schema=schema)


def test_a_schema_name_that_is_not_a_plain_identifier_is_refused(pg: tuple[str, str]) -> None:
    url, _ = pg
    with pytest.raises(StateStoreError, match="plain identifier"):
        PostgresStore(url, schema='x"; DROP TABLE ledger; --')


def test_state_lives_in_the_named_schema_and_survives_reopening(pg: tuple[str, str]) -> None:
    url, schema = pg
    with PostgresStore(url, schema=schema) as store:
        store.ledger_begin("main", ORDER, "SO-1")
        store.ledger_update("main", ORDER, "SO-1", state=LedgerState.SENT, remote_id=7)

    reopened = open_store(f"{url}?schema={schema}")
    try:
        entry = reopened.ledger_get("main", ORDER, "SO-1")
    finally:
        reopened.close()

    assert entry is not None
    assert (LedgerState.SENT, 7) == (entry.state, entry.remote_id)


def _terminate_backends(url: str, schema: str) -> int:
    """Kill every server connection of the store (as a failover or a restart would)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"ext-test-{schema}",),
        ).fetchall()
    return len(rows)


def _store(url: str, schema: str) -> PostgresStore:
    tagged = f"{url}{'&' if '?' in url else '?'}application_name=ext-test-{schema}"
    return PostgresStore(tagged, schema=schema, pool_size=1)


def test_reads_and_idempotent_writes_survive_a_lost_connection(pg: tuple[str, str]) -> None:
    url, schema = pg
    with _store(url, schema) as store:
        store.kv_set("main", "k", "v1")
        assert 1 <= _terminate_backends(url, schema)

        value = store.kv_get("main", "k")  # the dead pooled connection is replaced and retried
        store.kv_set("main", "k", "v2")
        assert 1 <= _terminate_backends(url, schema)
        store.kv_set("main", "k", "v3")

        assert ("v1", "v3") == (value, store.kv_get("main", "k"))


def test_a_claim_on_a_lost_connection_is_a_state_store_error_not_a_silent_retry(
    pg: tuple[str, str],
) -> None:
    url, schema = pg
    with _store(url, schema) as store:
        assert 1 <= _terminate_backends(url, schema)

        with pytest.raises(StateStoreError, match="may or may not have been applied"):
            store.ledger_begin("main", ORDER, "SO-1")
        claim = store.ledger_begin("main", ORDER, "SO-1")  # the next call gets a new connection

    # Here the first attempt never reached the server, so the second one is the only claim.
    assert (True, 1) == (claim.claimed, claim.entry.attempts)


def test_an_unreachable_server_is_a_state_store_error_without_credentials() -> None:
    url = "postgresql://app:s3cret-pw@127.0.0.1:1/db"
    with pytest.raises(StateStoreError) as raised:
        PostgresStore(url, connect_timeout=1)

    assert "127.0.0.1:1/db" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_repr_names_the_server_but_not_the_password(pg: tuple[str, str]) -> None:
    url, schema = pg
    with_password = url.replace("postgres@", "postgres:hunter2@", 1)
    with PostgresStore(with_password, schema=schema) as store:
        text = repr(store)

    assert "hunter2" not in text
    assert schema in text


def test_a_host_pool_is_used_and_left_open(pg: tuple[str, str]) -> None:
    url, schema = pg
    with ConnectionPool(url, min_size=1, max_size=2, open=True) as pool:
        store = PostgresStore(pool, schema=schema)
        store.kv_set("main", "k", "v")
        store.close()

        with pool.connection() as conn:
            query = sql.SQL("SELECT value FROM {}.kv").format(sql.Identifier(schema))
            row = conn.execute(query).fetchone()

    assert ("v",) == row


def test_a_closed_store_names_itself_closed(pg: tuple[str, str]) -> None:
    url, schema = pg
    store = PostgresStore(url, schema=schema)
    store.close()

    with pytest.raises(StateStoreError, match="closed"):
        store.kv_get("main", "k")


_RACER = """
import sys
from extensiv_connector.sync import LedgerKind, PostgresStore
url, schema, name = sys.argv[1:4]
store = PostgresStore(url, schema=schema, pool_size=2)
print("ready", flush=True)
sys.stdin.readline()
won = store.acquire_lease("main", "push_orders", name, 60)
claimed = [n for n in range(60) if store.ledger_begin("main", LedgerKind.ORDER, f"SO-{n}").claimed]
store.close()
print(int(won), ",".join(map(str, claimed)), flush=True)
"""


def test_processes_never_hold_one_lease_or_claim_one_reference_twice(
    pg: tuple[str, str], tmp_path: Path
) -> None:
    url, schema = pg
    PostgresStore(url, schema=schema).close()
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and inline script
            [sys.executable, "-c", _RACER, url, schema, f"worker-{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert "ready" == proc.stdout.readline().strip()
    outputs = [proc.communicate("go\n", timeout=120)[0].split() for proc in procs]

    wins = [int(out[0]) for out in outputs]
    claimed = [int(n) for out in outputs if len(out) > 1 for n in out[1].split(",")]
    assert [0, 0, 0, 1] == sorted(wins)
    assert list(range(60)) == sorted(claimed)


def test_a_version_1_schema_is_migrated_and_keeps_its_data(pg: tuple[str, str]) -> None:
    from extensiv_connector.sync.store._pg_schema import PG_MIGRATIONS, quote_schema

    url, schema = pg
    with psycopg.connect(url) as conn:  # the schema as the first release wrote it
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.schema_version (version INTEGER PRIMARY KEY,"
                " description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            ).format(sql.Identifier(schema))
        )
        for statement in PG_MIGRATIONS[0].statements:
            conn.execute(statement.replace("{s}", quote_schema(schema)))
        conn.execute(
            sql.SQL("INSERT INTO {}.schema_version VALUES (1, 'v1', 'x')").format(
                sql.Identifier(schema)
            )
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.ledger (channel, kind, reference, state, remote_id, created_at,"
                " created_ts, updated_at) VALUES ('main', 'order', 'SO-1', 'pending', NULL,"
                " '2024-01-01T00:00:00+00:00', 1704067200, '2024-01-01T00:00:00+00:00')"
            ).format(sql.Identifier(schema))
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.cursors (channel, action, watermark, seen) VALUES ('main',"
                " 'receive_shipments', '2024-03-01T08:05:00.250000', %s)"
            ).format(sql.Identifier(schema)),
            ('{"k1": "2024-03-01T08:00:00", "k2": "2024-03-01T08:05:00.250000"}',),
        )

    with PostgresStore(url, schema=schema) as store:
        entry = store.ledger_get("main", ORDER, "SO-1")
        lease = store.take_lease("main", "push_orders", "w1", 60)
        cursor = store.cursor_get("main", "receive_shipments")
        mark = store.cursor_commit(
            "main", "receive_shipments", {"k3": datetime(2024, 3, 1, 8, 6)}, overlap=timedelta(0)
        )
        after = store.cursor_get("main", "receive_shipments")

        assert PG_SCHEMA_VERSION == store.schema_version
        assert entry is not None
        assert (LedgerState.PENDING, None) == (entry.state, entry.claim)  # an unowned claim
        assert lease is not None
        assert lease.token >= 1
        # the remembered keys moved from the old JSON value into the indexed table
        assert {
            "k1": datetime(2024, 3, 1, 8, 0),
            "k2": datetime(2024, 3, 1, 8, 5, 0, 250000),
        } == cursor.seen
        assert datetime(2024, 3, 1, 8, 6) == mark
        assert {"k3": datetime(2024, 3, 1, 8, 6)} == after.seen  # older keys fell below the floor
    assert list(range(1, PG_SCHEMA_VERSION + 1)) == _versions(url, schema)


def test_fencing_tokens_grow_across_release_and_channel_deletion(pg: tuple[str, str]) -> None:
    url, schema = pg
    with PostgresStore(url, schema=schema) as store:
        first = store.take_lease("main", "push_orders", "w1", 60)
        again = store.take_lease("main", "push_orders", "w1", 60)  # a renewal keeps it
        store.release_lease("main", "push_orders", "w1")
        second = store.take_lease("main", "push_orders", "w2", 60)
        store.delete_channel("main")
        third = store.take_lease("main", "push_orders", "w1", 60)

    tokens = [lease.token if lease else None for lease in (first, again, second, third)]
    assert tokens[0] is not None
    assert tokens[0] == tokens[1]
    # These narrow for mypy: a missing lease already failed the ordering below (TypeError).
    assert tokens[2] is not None
    assert tokens[3] is not None
    assert tokens[1] < tokens[2] < tokens[3]
