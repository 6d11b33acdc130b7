"""Fixtures for the connector's integration tests: a running sandbox and connectors on it.

Builders of orders and configs live in ``tests/factories.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from extensiv_connector.backorder import BackorderPolicy
from extensiv_connector.config import ChannelConfig
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, MemoryStore, StateStore

# Builders live in tests/factories.py; re-exported here for the tests that import them from
# the integration conftest.
from ..factories import SHIP_TO as SHIP_TO
from ..factories import channel_config
from ..factories import sales_order as sales_order


def config_with(sb: Sandbox, **sections: Any) -> ChannelConfig:
    """``sb``'s connection (or ``credentials=``) plus extra TOML-like sections, through
    ``ChannelConfig.from_dict``."""
    credentials = sections.pop("credentials", None) or sb.connection_info()
    return channel_config(credentials, **sections)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(catalog_size=6, initial_stock=10) as sandbox:
        yield sandbox


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


ConnectorFactory = Callable[..., Connector]


@pytest.fixture
def make_connector(sb: Sandbox, store: MemoryStore) -> Iterator[ConnectorFactory]:
    """``make_connector(policy=None, config=None, store=None)``: a connector on the sandbox,
    sharing the test's store unless told otherwise; closed after the test."""
    opened: list[Connector] = []

    def factory(
        policy: BackorderPolicy | None = None,
        config: ChannelConfig | None = None,
        store_: StateStore | None = None,
    ) -> Connector:
        cfg = config if config is not None else sb.config
        if policy is not None:
            cfg = attrs.evolve(cfg, backorder=policy)
        connector = Connector(cfg, store=store_ if store_ is not None else store)
        opened.append(connector)
        return connector

    yield factory
    for connector in opened:
        connector.close()


def warehouse_orders(sb: Sandbox) -> list[dict[str, Any]]:
    """Every order document the warehouse holds (the simulation's view, not the API's)."""
    return [sb.warehouse.order_view(record) for record in sb.warehouse.order_records()]


def reference_counts(sb: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in warehouse_orders(sb):
        ref = doc["referenceNum"]
        counts[ref] = counts.get(ref, 0) + 1
    return counts
