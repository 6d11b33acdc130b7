"""``open_store(url)`` and ``sync.state_url``: one URL picks the backend."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extensiv_connector.config import ChannelConfig
from extensiv_connector.sync import Connector, MemoryStore, SQLiteStore, StateStoreError, open_store
from extensiv_connector.sync.store import describe_store_url


def test_memory_url_opens_a_memory_store() -> None:
    store = open_store("memory:")
    assert isinstance(store, MemoryStore)
    store.close()


def test_sqlite_urls_take_relative_and_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///rel.db")
    absolute = open_store(f"sqlite:///{tmp_path.as_posix()}/abs.db")
    bare = open_store(str(tmp_path / "bare.db"))
    for store in (relative, absolute, bare):
        assert isinstance(store, SQLiteStore)
        store.close()

    assert {"rel.db", "abs.db", "bare.db"} <= set(os.listdir(tmp_path))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("redis://localhost/0", "unknown state store scheme 'redis'"),
        ("sqlite://host/x.db", "no host part"),
        ("sqlite:", "no file path"),
    ],
)
def test_bad_state_urls_are_typed_errors_that_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(StateStoreError, match=message):
        open_store(url)


def test_describing_a_postgres_url_drops_the_credentials() -> None:
    assert "postgresql://db.internal:5433/oms" == describe_store_url(
        "postgresql://app:s3cret@db.internal:5433/oms?sslmode=require"
    )


def _config(tmp_path: Path, **sync: str) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": "main"},
            "credentials": {
                "base_url": "http://127.0.0.1:9",
                "client_id": "id",
                "client_secret": "secret",
                "user_login_id": "1",
                "customer_id": 1,
                "facility_id": 1,
            },
            "sync": {"state_path": str(tmp_path / "default.db"), **sync},
        }
    )


def test_connector_defaults_to_the_sqlite_state_path(tmp_path: Path) -> None:
    with Connector(_config(tmp_path)) as connector:
        assert isinstance(connector.store, SQLiteStore)
    assert (tmp_path / "default.db").exists()


def test_state_url_in_the_config_wins_over_the_state_path(tmp_path: Path) -> None:
    with Connector(_config(tmp_path, state_url="memory:")) as connector:
        assert isinstance(connector.store, MemoryStore)
    assert not (tmp_path / "default.db").exists()
