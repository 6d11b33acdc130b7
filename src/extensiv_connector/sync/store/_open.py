"""``open_store(url)``: pick a state-store backend from a URL (config ``sync.state_url``, CLI
``--state``).

* ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or a bare file path: SQLite;
* ``postgresql://…`` / ``postgres://…`` (optionally ``?schema=name``): PostgreSQL;
* ``memory:``: an in-process store (tests, one-off runs; nothing survives the process).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from .._errors import StateStoreError
from ._clock import utc_now
from ._memory import MemoryStore
from ._protocol import StateStore
from ._sqlite import SQLiteStore

__all__ = ["describe_store_url", "open_store"]

_PG_SCHEMES = ("postgresql://", "postgres://")


def _split_schema(url: str) -> tuple[str, str | None]:
    """Take our own ``schema`` query parameter off a PostgreSQL URL (libpq does not know it)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), schema


def open_store(url: str, **options: Any) -> StateStore:
    """The state store ``url`` names (see the module docstring). ``options`` go to the
    backend's constructor (e.g. ``clock=``, ``pool_size=`` for PostgreSQL)."""
    if not isinstance(url, str) or not url.strip():
        raise StateStoreError("state store URL is empty; expected sqlite:///…, postgresql://…")
    url = url.strip()
    if url == "memory:":
        return MemoryStore(clock=options.get("clock", utc_now))
    if url.startswith(_PG_SCHEMES):
        from ._postgres import PostgresStore

        conninfo, schema = _split_schema(url)
        return PostgresStore(conninfo, schema=options.pop("schema", schema), **options)
    if url.startswith("sqlite:"):
        path = url[len("sqlite:") :]
        if path.startswith("///"):
            path = path[3:]  # sqlite:///rel/x.db -> rel/x.db; sqlite:////abs/x.db -> /abs/x.db
        elif path.startswith("//"):
            raise StateStoreError(
                "SQLite state URL must look like sqlite:///relative.db or sqlite:////abs.db"
                " (no host part)"
            )
        if not path:
            raise StateStoreError("SQLite state URL has no file path")
        return SQLiteStore(path, **options)
    if "://" in url or url.endswith(":"):
        scheme = url.split(":", 1)[0]
        raise StateStoreError(
            f"unknown state store scheme {scheme!r}; expected sqlite, postgresql or memory"
        )
    return SQLiteStore(url, **options)  # a bare path, as in sync.state_path


def describe_store_url(url: str) -> str:
    """``url`` without credentials, for logs and messages."""
    if url.startswith(_PG_SCHEMES):
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    return url
