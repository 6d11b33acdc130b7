"""A stateful model of several workers sharing one store under a controlled clock: each due job
is run by exactly one worker, never before it is due, never while a crashed worker's lease is
live, and always once that lease has expired and the job is due."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from extensiv_connector.config import ChannelConfig
from extensiv_connector.sync import Connector, MemoryStore
from extensiv_connector.worker import Worker

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
CHANNELS = ("a", "b")
INTERVAL = 60
TTL = 30.0


class _Clock:
    now = T0

    def __call__(self) -> datetime:
        return self.now


class _FakeConnector:
    """Records each run: (channel, time). Stands in for the connector's I/O."""

    def __init__(self, channel: str, runs: dict[str, list[datetime]], clock: _Clock) -> None:
        self.channel, self.runs, self.clock = channel, runs, clock

    def import_products(self, handler: Any = None) -> Any:
        self.runs[self.channel].append(self.clock.now)
        return None

    def close(self) -> None:
        pass


def _config(channel: str) -> ChannelConfig:
    return ChannelConfig.from_dict(
        {
            "general": {"connection_name": channel},
            "credentials": {
                "base_url": "http://127.0.0.1:9",
                "client_id": "id",
                "client_secret": "secret",
                "user_login_id": "1",
                "customer_id": 1,
                "facility_id": 1,
            },
            "sync": {"schedule": {"import_products": f"every {INTERVAL}s"}},
        }
    )


SLACK = timedelta(seconds=min(INTERVAL / 10, 60))


def next_on_grid(served: datetime | None, started: datetime) -> datetime:
    """The model of the next due time: an interval after the first run, then on its grid,
    skipping the slots that passed while nothing ran."""
    step = timedelta(seconds=INTERVAL)
    if served is None:
        return started + step
    due = served + step
    while due - SLACK <= started:  # a slot already due (slack included) is not the next one
        due += step
    return due


class SharedWorkers(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = _Clock()
        self.clock.now = T0
        self.store = MemoryStore(clock=self.clock)
        self.runs: dict[str, list[datetime]] = defaultdict(list)
        self.crashed_until: dict[str, datetime] = {}
        configs = [_config(c) for c in CHANNELS]
        self.workers = [
            Worker(
                configs,
                self.store,
                # the fake stands in for a Connector: it has only what the worker calls
                connector_factory=lambda cfg, store: cast(
                    Connector, _FakeConnector(cfg.channel, self.runs, self.clock)
                ),
                owner=f"w{i}",
                lease_seconds=TTL,
                clock=self.clock,
            )
            for i in range(3)
        ]
        # The due time each channel's job last recorded (None: never ran, so due now).
        self.due: dict[str, datetime | None] = dict.fromkeys(CHANNELS, None)

    @rule(seconds=st.integers(1, 90))
    def time_passes(self, seconds: int) -> None:
        self.clock.now += timedelta(seconds=seconds)

    @rule(worker=st.integers(0, 2))
    def a_worker_polls(self, worker: int) -> None:
        before = {c: len(self.runs[c]) for c in CHANNELS}
        self.workers[worker].run_once()
        now = self.clock.now
        for channel in CHANNELS:
            ran = len(self.runs[channel]) - before[channel]
            blocked = self.crashed_until.get(channel, T0) > now
            due = self.due[channel]
            expected = 0 if blocked or (due is not None and now < due - SLACK) else 1
            assert expected == ran, (channel, now, due)
            if ran:
                self.due[channel] = next_on_grid(due, now)

    @rule(channel=st.sampled_from(CHANNELS))
    def a_worker_dies_holding_a_job(self, channel: str) -> None:
        """A worker took the job's lease and was killed before running it."""
        if self.store.acquire_lease(channel, "worker:import_products", "dead", TTL):
            self.crashed_until[channel] = self.clock.now + timedelta(seconds=TTL)

    @invariant()
    def each_run_serves_its_own_interval(self) -> None:
        """Runs fall on the grid of the first one: no two in one interval, slack aside."""
        for times in self.runs.values():
            first = times[0] if times else T0
            slots = [(when + SLACK - first) // timedelta(seconds=INTERVAL) for when in times]
            assert len(slots) == len(set(slots)), times

    def teardown(self) -> None:
        for worker in self.workers:
            worker.close()
        self.store.close()


SharedWorkers.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestSharedWorkers = SharedWorkers.TestCase
