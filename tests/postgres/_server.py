"""Finding the PostgreSQL test server, and one throwaway schema per test.

``EXTENSIV_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) names it.
When it does not answer the tests skip with the reason, unless ``EXTENSIV_REQUIRE_POSTGRES=1``
(set by CI), where a missing server fails them instead.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("EXTENSIV_TEST_POSTGRES_URL", DEFAULT_URL)


@functools.cache
def _unavailable() -> str | None:
    """Why the server cannot be used (None if it can); asked once per test session."""
    try:
        import psycopg
    except ModuleNotFoundError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    try:
        psycopg.connect(postgres_url(), connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at EXTENSIV_TEST_POSTGRES_URL ({type(exc).__name__})"
    return None


def require_postgres() -> str:
    """The server URL, or skip (fail when ``EXTENSIV_REQUIRE_POSTGRES=1``) with the reason."""
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("EXTENSIV_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"EXTENSIV_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return postgres_url()


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def fresh_schema(prefix: str = "t") -> Iterator[tuple[str, str]]:
    """``(url, schema)`` for a schema no other test uses; dropped afterwards."""
    url = require_postgres()
    schema = f"ext_{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield url, schema
    finally:
        drop_schema(url, schema)
