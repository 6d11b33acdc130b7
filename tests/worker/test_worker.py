"""``Worker`` against the sandbox: due jobs run once, then wait for their schedule; workers
sharing one store take each due job exactly once; a dead worker's job is picked up again."""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector.config import ChannelConfig
from extensiv_connector.errors import ConfigError
from extensiv_connector.models import Address, OrderLine, SalesOrder, Shipment
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import MemoryStore, SQLiteStore, StateStore
from extensiv_connector.worker import JobOutcome, Worker, due_at

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
_SHIP_TO = Address(name="W", address1="1 Main St", city="Dallas", postal_code="75201", country="US")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(catalog_size=10, initial_stock=1000) as sb:
        yield sb


def _config(sb: Sandbox, name: str, schedule: dict[str, str]) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": name},
            "credentials": sb.connection_info(),
            "sync": {"schedule": schedule, "lease_seconds": 5},
        }
    )


def _orders(prefix: str, n: int) -> list[SalesOrder]:
    return [
        SalesOrder(
            order_number=f"{prefix}-{i}",
            lines=[OrderLine(sku="SKU-000001", quantity=Decimal(1), line_reference="1")],
            ship_to=_SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(n)
    ]


def _statuses(outcomes: list[JobOutcome]) -> list[tuple[str, str, str]]:
    return sorted((o.channel, o.action, o.status) for o in outcomes)


def test_a_due_job_runs_once_and_then_waits_for_its_schedule(sandbox: Sandbox) -> None:
    clock, store = Clock(), MemoryStore()
    config = _config(
        sandbox, "w-once", {"push_orders": "every 1m", "receive_shipments": "every 5m"}
    )
    sources = {"push_orders": lambda cfg: _orders("ONCE", 3)}
    with Worker([config], store, sources=sources, clock=clock) as worker:
        first = worker.run_once()
        again = worker.run_once()
        clock.now += timedelta(seconds=61)
        later = worker.run_once()

    assert [
        ("w-once", "push_orders", "ran"),
        ("w-once", "receive_shipments", "ran"),
    ] == _statuses(first)
    assert [] == again
    assert [("w-once", "push_orders", "ran")] == _statuses(later)
    assert T0 + timedelta(seconds=61 + 60) == due_at(store, "w-once", "push_orders")
    assert 3 == len(store.ledger_list("w-once"))


def test_workers_sharing_a_store_take_each_due_job_exactly_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "shared.db"
    SQLiteStore(path).close()
    configs = [
        _config(sandbox, f"w-share-{c}", {"push_orders": "every 1h", "import_products": "every 1h"})
        for c in range(5)
    ]
    sources = {"push_orders": lambda cfg: _orders(cfg.channel, 2)}
    barrier = threading.Barrier(4)
    outcomes: list[JobOutcome] = []

    def work() -> None:
        store = SQLiteStore(path)
        with Worker(configs, store, sources=sources) as worker:
            barrier.wait()
            outcomes.extend(worker.run_once())
        store.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ran = collections.Counter((o.channel, o.action) for o in outcomes if o.status == "ran")
    with SQLiteStore(path) as store:
        runs = collections.Counter(
            (c.channel, e.action) for c in configs for e in store.journal_query(c.channel)
        )
    assert {(c.channel, a): 1 for c in configs for a in ("push_orders", "import_products")} == (
        dict(ran)
    )
    assert dict(ran) == dict(runs)  # exactly one journal run per due job, across workers
    assert {"ran", "busy"} >= {o.status for o in outcomes}


def test_a_job_whose_worker_died_is_run_once_its_lease_expires(sandbox: Sandbox) -> None:
    clock, store = Clock(), MemoryStore(clock=lambda: clock.now)
    config = _config(sandbox, "w-dead", {"receive_shipments": "every 1m"})
    store.acquire_lease("w-dead", "worker:receive_shipments", "dead-worker", 30)
    with Worker([config], store, clock=clock) as worker:
        blocked = worker.run_once()
        clock.now += timedelta(seconds=31)
        resumed = worker.run_once()

    assert [("w-dead", "receive_shipments", "busy")] == _statuses(blocked)
    assert [("w-dead", "receive_shipments", "ran")] == _statuses(resumed)
    assert store.lease_info("w-dead", "worker:receive_shipments") is None


def test_pulled_records_reach_the_handler(sandbox: Sandbox) -> None:
    store: StateStore = MemoryStore()
    config = _config(sandbox, "w-pull", {"push_orders": "every 1m"})
    pushed: Any = None
    with Worker([config], store, sources={"push_orders": lambda cfg: _orders("PULL", 2)}) as worker:
        worker.run_once()
        pushed = store.ledger_list("w-pull")
    for entry in pushed:
        assert entry.remote_id is not None
        sandbox.warehouse.ship_order(entry.remote_id)

    received: list[tuple[str, Shipment]] = []
    config = _config(sandbox, "w-pull", {"receive_shipments": "every 1m"})
    with Worker(
        [config],
        store,
        handlers={"receive_shipments": lambda c, r: received.append((c.channel, r))},
    ) as worker:
        [outcome] = worker.run_once()

    assert "ran" == outcome.status
    assert {"w-pull"} == {channel for channel, _ in received}
    assert {"PULL-0", "PULL-1"} == {shipment.order_number for _, shipment in received}


def test_an_unknown_action_is_a_config_error(sandbox: Sandbox) -> None:
    config = _config(sandbox, "w-bad", {"push_everything": "every 1m"})
    with pytest.raises(ConfigError, match="unknown action 'push_everything'") as raised:
        Worker([config], MemoryStore())
    assert "sync.schedule.push_everything" == raised.value.path


def test_an_action_that_needs_host_input_without_a_source_is_a_config_error(
    sandbox: Sandbox,
) -> None:
    config = _config(sandbox, "w-src", {"send_receipts": "every 1m"})
    with pytest.raises(ConfigError, match="needs its input from the host"):
        Worker([config], MemoryStore())


def test_a_channel_configured_twice_is_a_config_error(sandbox: Sandbox) -> None:
    config = _config(sandbox, "w-twice", {"import_products": "every 1m"})
    with pytest.raises(ConfigError, match="configured twice"):
        Worker([config, config], MemoryStore())


def test_a_failing_host_source_fails_the_job_not_the_worker(sandbox: Sandbox) -> None:
    clock, store = Clock(), MemoryStore()
    config = _config(sandbox, "w-fail", {"push_orders": "every 1m", "import_products": "every 1m"})

    def broken(cfg: ChannelConfig) -> list[SalesOrder]:
        raise RuntimeError("customer Jane Doe, 1 Secret Lane")  # must not reach the outcome

    with Worker([config], store, sources={"push_orders": broken}, clock=clock) as worker:
        outcomes = {o.action: o for o in worker.run_once()}

    assert ("failed", "RuntimeError") == (
        outcomes["push_orders"].status,
        outcomes["push_orders"].detail,
    )
    assert "ran" == outcomes["import_products"].status
    assert store.lease_info("w-fail", "worker:push_orders") is None


def test_channels_of_one_account_share_one_client_unless_they_limit_their_own_rate(
    sandbox: Sandbox,
) -> None:
    shared = [_config(sandbox, f"w-acct-{c}", {"check_connection": "every 1m"}) for c in "ab"]
    limited = ChannelConfig.from_dict(
        {
            "general": {"connection_name": "w-acct-limited"},
            "credentials": sandbox.connection_info(),
            "client": {"rate_limit_per_second": 1000},
            "sync": {"schedule": {"check_connection": "every 1m"}},
        }
    )
    issued_before = sandbox.tokens.issued

    with Worker([*shared, limited], MemoryStore()) as worker:
        outcomes = worker.run_once()

    assert {"ran"} == {o.status for o in outcomes}
    assert 2 == sandbox.tokens.issued - issued_before  # one for a and b together, one for limited


class _CountingStore(MemoryStore):
    """Counts the reads a worker makes of due times and leases."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.calls: collections.Counter[str] = collections.Counter()

    def kv_get(self, channel: str, key: str) -> str | None:
        self.calls["kv_get"] += 1
        return super().kv_get(channel, key)

    def kv_get_many(self, entries: Any) -> dict[tuple[str, str], str]:
        self.calls["kv_get_many"] += 1
        return super().kv_get_many(entries)

    def take_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> Any:
        self.calls["take_lease"] += 1
        return super().take_lease(channel, action, owner, ttl_seconds)


class _CountedWaits(threading.Event):
    """A stop event that records each idle wait and stops the worker after ``limit`` of them."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if len(self.waits) >= self.limit:
            self.set()
        return self.is_set()


def test_a_pass_over_jobs_that_are_not_due_is_one_store_read(sandbox: Sandbox) -> None:
    clock = Clock()
    store = _CountingStore(clock)
    configs = [_config(sandbox, f"w-read-{c}", {"import_products": "every 1h"}) for c in range(5)]
    with Worker(configs, store, clock=clock) as worker:
        worker.run_once()
        store.calls.clear()
        again = worker.run_once()

    assert [] == again
    assert {"kv_get_many": 1} == dict(store.calls)


def test_a_job_another_worker_holds_is_asked_about_again_after_the_poll_interval(
    sandbox: Sandbox,
) -> None:
    clock = Clock()
    store = _CountingStore(clock)
    config = _config(sandbox, "w-held", {"import_products": "every 1h"})
    store.acquire_lease("w-held", "worker:import_products", "another-worker", 600)
    store.calls.clear()
    stop = _CountedWaits(limit=3)

    with Worker([config], store, clock=clock, poll_seconds=2.0) as worker:
        worker.run(stop)

    assert [2.0, 2.0, 2.0] == stop.waits  # not 0: asking again at once would only spin
    assert 3 == store.calls["take_lease"]
