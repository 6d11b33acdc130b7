"""``PostgresStore`` on a real server: the shared contract, migrations, races, lost connections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from extensiv_connector.sync import PostgresStore, StateStore
from extensiv_connector.testing.store_contract import FakeClock, StoreContract, StoreFactory

from ._server import fresh_schema


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store_factory(self) -> Iterator[StoreFactory]:
        with fresh_schema("contract") as (url, schema):
            made: list[PostgresStore] = []

            def make(clock: FakeClock) -> StateStore:
                # Each store of one test gets its own schema, so each starts empty.
                made.append(PostgresStore(url, schema=f"{schema}_{len(made)}", clock=clock))
                return made[-1]

            yield make
            for store in made:
                store.close()
            from ._server import drop_schema

            for n in range(len(made)):
                drop_schema(url, f"{schema}_{n}")
