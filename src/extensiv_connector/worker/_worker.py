"""``Worker``: runs every configured channel's scheduled actions, sharing them with any number
of other workers through the state store.

Each due (channel, action) is taken by exactly one worker: a worker takes the job's lease
(``worker:<action>``), re-reads the due time under it (another worker may have just run it),
runs the action while a background thread renews the lease, records the next due time and
releases the lease. A worker killed mid-run leaves the due time untouched, so once its lease
expires another worker runs the job again (pushes are idempotent through the ledger; pulls
resume from their cursors). ``stop`` is checked between jobs: a running action finishes.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from ..client import ExtensivClient
from ..config import ChannelConfig, ClientSettings, Credentials
from ..errors import ExtensivError
from ..sync import Connector, LeaseHeldError, StateStore, StateStoreError
from ..sync.store import default_owner, utc_now
from ._jobs import Job, due_key, is_due, plan_jobs

__all__ = ["JobOutcome", "Worker"]

log = logging.getLogger("extensiv_connector.worker")

#: ``source(config)`` -> the action's input (orders, receipts, products, or {sku: level}).
Source = Callable[[ChannelConfig], Any]
#: ``handler(config, record)``: receives each record a pull delivers.
Handler = Callable[[ChannelConfig, Any], None]
ConnectorFactory = Callable[[ChannelConfig, StateStore], Connector]


@attrs.frozen
class JobOutcome:
    """What one worker did with one due job: ``ran``, ``failed`` (the action raised or
    reported errors), ``busy`` (another worker or process holds it) or ``skipped`` (another
    worker ran it first)."""

    channel: str
    action: str
    status: str
    detail: str = ""


class Worker:
    """Run the ``[sync.schedule]`` of every channel in ``configs`` on ``store``.

    ``sources`` give the input of actions that need one (``push_orders`` without a source
    re-evaluates held backorders only); ``handlers`` receive what pulls deliver.
    ``lease_seconds`` bounds how long a killed worker's job waits for another worker.

    Without a ``connector_factory``, channels with the same ``[credentials]`` and ``[client]``
    settings share one :class:`ExtensivClient` (one token, one connection pool) unless they
    set a client-side rate limit, which stays per channel.
    """

    def __init__(
        self,
        configs: Sequence[ChannelConfig],
        store: StateStore,
        *,
        sources: Mapping[str, Source] | None = None,
        handlers: Mapping[str, Handler] | None = None,
        connector_factory: ConnectorFactory | None = None,
        owner: str | None = None,
        lease_seconds: float = 30.0,
        poll_seconds: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self._sources = dict(sources or {})
        self._handlers = dict(handlers or {})
        self.jobs = plan_jobs(configs, with_sources=frozenset(self._sources))
        self._configs = {c.channel: c for c in configs}
        self._store = store
        self._factory = connector_factory or self._default_connector
        self._connectors: dict[str, Connector] = {}
        self._clients: dict[tuple[Credentials, ClientSettings], ExtensivClient] = {}
        self.owner = owner or default_owner()
        self._ttl = lease_seconds
        self._poll = poll_seconds
        self._clock = clock
        self._rng = rng or random.Random()  # spreads workers over jobs
        self._busy: set[tuple[str, str]] = set()  # jobs another worker held in the last pass

    def __repr__(self) -> str:
        return f"Worker(owner={self.owner!r}, jobs={len(self.jobs)})"

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the loop

    def run(self, stop: threading.Event) -> None:
        """Run due jobs until ``stop`` is set (checked between jobs and while idle)."""
        while not stop.is_set():
            self.run_once(stop)
            stop.wait(self._idle_seconds())

    def run_once(self, stop: threading.Event | None = None) -> list[JobOutcome]:
        """Run every job due now, once each, in random order (so workers spread out); return
        what happened to each due job.

        The due times of all jobs are one store read, repeated after each job that ran (other
        workers ran jobs meanwhile), so a job someone else already ran is not even tried."""
        outcomes: list[JobOutcome] = []
        pending = list(self.jobs)
        self._busy = set()
        stale = True
        while pending and not (stop is not None and stop.is_set()):
            if stale:
                try:
                    due = self._due_times(pending)
                except StateStoreError as exc:
                    outcomes.extend(
                        JobOutcome(j.channel, j.action, "failed", str(exc)) for j in pending
                    )
                    break
                now = self._now()
                pending = [j for j in pending if is_due(due.get(_key(j)), now)]
                if not pending:
                    break
            job = pending.pop(self._rng.randrange(len(pending)))
            try:
                outcome = self._take(job)
            except StateStoreError as exc:
                outcome = JobOutcome(job.channel, job.action, "failed", str(exc))
            # A refusal is quick, so the read before it is still fresh; a job that ran took
            # a while, and one found already run (None) shows the read was stale.
            stale = outcome is None or outcome.status != "busy"
            if outcome is not None:
                log.info("%s %s: %s %s", job.channel, job.action, outcome.status, outcome.detail)
                outcomes.append(outcome)
                if outcome.status == "busy":
                    self._busy.add(_key(job))
        return outcomes

    def _now(self) -> datetime:
        return self._clock()

    def _due_times(self, jobs: Sequence[Job]) -> dict[tuple[str, str], str]:
        """The next due time (ISO text) of each of ``jobs`` that has one, by ``_key``."""
        read = self._store.kv_get_many([(j.channel, due_key(j.action)) for j in jobs])
        return {
            _key(j): text
            for j in jobs
            if (text := read.get((j.channel, due_key(j.action)))) is not None
        }

    def _idle_seconds(self) -> float:
        """Until the earliest due job, at most ``poll_seconds`` (other workers move due times).
        A job another worker held in the last pass counts as due in ``poll_seconds``: its
        holder moves its due time when done, and asking again at once would only spin."""
        now, wait = self._now(), self._poll
        try:
            due = self._due_times(self.jobs)
        except StateStoreError:
            return self._poll
        for job in self.jobs:
            if _key(job) in self._busy:
                continue
            text = due.get(_key(job))
            if text is None:
                return 0.0
            wait = min(wait, max((datetime.fromisoformat(text) - now).total_seconds(), 0.0))
        return wait

    # ------------------------------------------------------------------ one job

    def _take(self, job: Job) -> JobOutcome | None:
        store = self._store
        if not store.acquire_lease(job.channel, job.lease, self.owner, self._ttl):
            return JobOutcome(job.channel, job.action, "busy", "another worker holds it")
        try:
            # Re-read under the lease: a worker that held it a moment ago may have run it.
            if not is_due(store.kv_get(job.channel, due_key(job.action)), self._now()):
                return None
            with self._renewing(job):
                outcome = self._execute(job)
            if outcome.status != "busy":
                next_due = job.schedule.next_due(self._now())
                store.kv_set(job.channel, due_key(job.action), next_due.isoformat())
            return outcome
        finally:
            with contextlib.suppress(StateStoreError):
                store.release_lease(job.channel, job.lease, self.owner)

    @contextlib.contextmanager
    def _renewing(self, job: Job) -> Iterator[None]:
        """Renew the job's lease every third of its TTL while the action runs."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self._ttl / 3):
                try:
                    if not self._store.renew_lease(job.channel, job.lease, self.owner, self._ttl):
                        log.warning("%s %s: worker lease lost", job.channel, job.action)
                        return
                except StateStoreError as exc:
                    log.warning("%s %s: lease renewal failed: %s", job.channel, job.action, exc)

        thread = threading.Thread(target=renew, name=f"renew-{job.channel}-{job.action}")
        thread.daemon = True
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _default_connector(self, config: ChannelConfig, store: StateStore) -> Connector:
        # A client per channel costs a token request and builds its model readers again on
        # first use: most of the CPU of a short job when many channels share one account.
        if config.client.rate_limit_per_second:
            return Connector(config, store=store)  # the documented limit is the channel's own
        key = (config.credentials, config.client)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = ExtensivClient.from_config(config)
        return Connector(config, store=store, client=client)

    def _connector(self, channel: str) -> Connector:
        connector = self._connectors.get(channel)
        if connector is None:
            connector = self._factory(self._configs[channel], self._store)
            self._connectors[channel] = connector
        return connector

    def _execute(self, job: Job) -> JobOutcome:
        config = self._configs[job.channel]
        connector = self._connector(job.channel)
        try:
            result = self._call(connector, config, job.action)
        except LeaseHeldError as exc:
            return JobOutcome(job.channel, job.action, "busy", str(exc))
        except ExtensivError as exc:
            return JobOutcome(job.channel, job.action, "failed", str(exc))
        except Exception as exc:  # a host source or handler failed: keep the worker alive
            # Only the type: a host exception's message may carry personal data.
            return JobOutcome(job.channel, job.action, "failed", type(exc).__name__)
        ok = bool(getattr(result, "ok", True))
        errors: Iterable[str] = getattr(result, "errors", ())
        detail = "; ".join(list(errors)[:3])
        return JobOutcome(job.channel, job.action, "ran" if ok else "failed", detail)

    def _call(self, connector: Connector, config: ChannelConfig, action: str) -> Any:
        source = self._sources.get(action)
        if action == "push_orders":
            return connector.push_orders(source(config) if source else [])
        if action == "synchronize_inventory":
            assert source is not None  # plan_jobs refused the job otherwise
            return connector.synchronize_inventory(source(config))
        if action in ("send_receipts", "export_products"):
            assert source is not None
            return getattr(connector, action)(source(config))
        if action == "check_connection":
            return connector.check_connection()
        handler = self._handlers.get(action)
        method = getattr(connector, action)
        if handler is None:
            return method()
        return method(handler=lambda record: handler(config, record))


def _key(job: Job) -> tuple[str, str]:
    return (job.channel, job.action)


def due_at(store: StateStore, channel: str, action: str) -> datetime | None:
    """When ``action`` of ``channel`` is next due (None: never run, so due now)."""
    text = store.kv_get(channel, due_key(action))
    return None if text is None else datetime.fromisoformat(text)
