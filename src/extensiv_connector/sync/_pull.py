"""Incremental pulls: the cursor moves past a record only after the caller has it.

With a handler, "has it" means the handler returned; acknowledgements are committed in batches
(one store transaction per ``COMMIT_EVERY`` records or ``COMMIT_SECONDS``), so a crash
re-delivers at most the uncommitted batch, with the same dedupe keys. Without a handler the
records come back unacknowledged and the caller acknowledges them with ``ack()`` once it has
used them (see :class:`Delivery`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs

from ..errors import ValidationError
from ._journal import RunRecorder
from ._outcomes import reason_of
from .store import StateStore

__all__ = [
    "COMMIT_EVERY",
    "DELIVERED_PREFIX",
    "REJECTED_PREFIX",
    "Delivery",
    "ProgressCallback",
    "PullSpec",
    "Pulled",
    "run_pull",
    "state_key",
]

T = TypeVar("T")

#: ``on_progress(done, total)``: records examined so far, and the total when known (else None).
ProgressCallback = Callable[[int, "int | None"], None]

#: Event-id prefix marking a record delivered by a targeted pull (kept in the store's
#: time-stamped events table, so ``Connector.prune`` can forget old marks).
DELIVERED_PREFIX = "delivered:"
#: Event-id prefix of a record that failed translation: the poll does not journal it again,
#: but it was never delivered, so a targeted pull still tries it. (Older versions kept it as
#: a cursor key; both places are checked.)
REJECTED_PREFIX = "rejected:"

#: Acknowledgements per store transaction; also the most a crash can make a handler see twice.
COMMIT_EVERY = 500
#: A slow handler still commits this often (seconds), to bound what a crash re-delivers.
COMMIT_SECONDS = 2.0


def state_key(kind: str, remote_id: int | None, modified: datetime | None) -> str:
    """``kind:id:lastModifiedDate``: one state of one warehouse record."""
    return f"{kind}:{remote_id}:{modified.isoformat() if modified else ''}"


@attrs.frozen(kw_only=True)
class PullSpec(Generic[T]):
    """How one resource is pulled. ``convert`` returns ``None`` for records that are not the
    host's business (open orders, records another channel pushed); ``dedupe`` names a warehouse
    record's state stably across re-deliveries (it matches the host model's ``dedupe_key``)."""

    action: str
    source: Callable[[datetime], Iterator[Any]]  # incremental query from a lower bound
    modified: Callable[[Any], datetime | None]
    convert: Callable[[Any], T | None]
    dedupe: Callable[[Any], str]


class Delivery:
    """Acknowledgements not yet written: cursor keys (with times) and targeted-delivery marks.

    ``ack()`` writes them, in order, a batch per transaction; it is idempotent and safe to call
    from any thread. Nothing is written for records never acknowledged, so the next pull hands
    them out again (at least once).
    """

    def __init__(self, store: StateStore, channel: str, action: str, overlap: timedelta) -> None:
        self._store, self._channel, self._action, self._overlap = store, channel, action, overlap
        self._cursor: dict[str, datetime] = {}
        self._marks: list[str] = []
        self._lock = threading.Lock()
        self.acknowledged = 0

    def __repr__(self) -> str:
        return f"Delivery(action={self._action!r}, pending={self.pending})"

    @property
    def pending(self) -> int:
        return len(self._cursor) + len(self._marks)

    def add(self, key: str, when: datetime | None, *, targeted: bool) -> None:
        with self._lock:
            if targeted or when is None:
                self._marks.append(DELIVERED_PREFIX + key)
            else:
                self._cursor[key] = when

    def ack(self) -> int:
        """Write every pending acknowledgement; returns how many were written now."""
        with self._lock:
            written = 0
            while self._cursor:
                batch = dict(_take(self._cursor, COMMIT_EVERY))
                self._store.cursor_commit(self._channel, self._action, batch, overlap=self._overlap)
                for key in batch:
                    del self._cursor[key]
                written += len(batch)
            while self._marks:
                self._store.mark_event_seen(self._channel, self._marks[0])
                self._marks.pop(0)
                written += 1
            self.acknowledged += written
            return written


class _Handed:
    """Keys this pull handed out, kept only inside the overlap window of the newest one, so a
    long pull's memory stays flat (records come sorted by modification time)."""

    def __init__(self, overlap: timedelta) -> None:
        self._overlap = overlap
        self._times: dict[str, datetime | None] = {}
        self._newest: datetime | None = None
        self._pruned_at = 0

    def __contains__(self, key: str) -> bool:
        return key in self._times

    def add(self, key: str, when: datetime | None) -> None:
        self._times[key] = when
        if when is not None and (self._newest is None or when > self._newest):
            self._newest = when
        if self._newest is not None and len(self._times) >= 2 * self._pruned_at + COMMIT_EVERY:
            floor = self._newest - self._overlap
            self._times = {k: t for k, t in self._times.items() if t is None or t >= floor}
            self._pruned_at = len(self._times)


def _take(items: dict[str, datetime], n: int) -> Iterator[tuple[str, datetime]]:
    for i, pair in enumerate(items.items()):
        if i >= n:
            return
        yield pair


@attrs.frozen(kw_only=True)
class Pulled(Generic[T]):
    records: tuple[T, ...]
    skipped: int
    rejected: tuple[str, ...]
    delivery: Delivery
    received: int


def run_pull(
    spec: PullSpec[T],
    *,
    store: StateStore,
    channel: str,
    overlap: timedelta,
    start: datetime,
    run: RunRecorder,
    handler: Callable[[T], None] | None,
    targeted: Iterable[Any] | None = None,
    on_progress: ProgressCallback | None = None,
    keep_records: bool = True,
) -> Pulled[T]:
    """Pull from the cursor (minus ``overlap``; ``start`` the first time), or just ``targeted``.

    With ``handler``, each record is acknowledged after the handler returns (committed in
    batches, and whatever was handled is committed even when a later record fails). Without
    one, nothing is acknowledged: the caller calls ``Pulled.delivery.ack()``. Targeted pulls
    mark deliveries without moving the watermark past records the poll has not reached yet.
    ``keep_records=False`` (only with a handler) keeps memory flat on long pulls.
    """
    cursor = store.cursor_get(channel, spec.action)
    is_targeted = targeted is not None
    stream = targeted if targeted is not None else spec.source(cursor.since(overlap) or start)
    delivery = Delivery(store, channel, spec.action, overlap)
    handed = _Handed(overlap)  # keys handed out by this pull (pages may overlap)

    records: list[T] = []
    rejected: list[str] = []
    skipped = received = done = 0
    last_commit = time.monotonic()
    try:
        for raw in stream:
            done += 1
            if on_progress is not None:
                on_progress(done, None)
            when = spec.modified(raw)
            dedupe = spec.dedupe(raw)
            if (
                dedupe in handed
                or cursor.is_delivered(dedupe)
                or store.event_seen(channel, DELIVERED_PREFIX + dedupe)
            ):
                skipped += 1
                continue
            if not is_targeted and (
                cursor.is_delivered(REJECTED_PREFIX + dedupe)
                or store.event_seen(channel, REJECTED_PREFIX + dedupe)
            ):
                continue  # rejected by an earlier poll, already journaled
            try:
                record = spec.convert(raw)
            except ValidationError as exc:
                # A poison record is journaled once, not retried by every poll. The mark is an
                # event, not a cursor key: it must not move the watermark past records the
                # caller has not acknowledged yet.
                rejected.append(reason_of(exc))
                run.error(reason_of(exc))
                if not is_targeted:
                    store.mark_event_seen(channel, REJECTED_PREFIX + dedupe)
                continue
            if record is None:
                continue
            handed.add(dedupe, when)
            if handler is not None:
                handler(record)
            if keep_records or handler is None:
                records.append(record)
            received += 1
            delivery.add(dedupe, when, targeted=is_targeted)
            run.touch(dedupe)
            if handler is not None and (
                delivery.pending >= COMMIT_EVERY or time.monotonic() - last_commit >= COMMIT_SECONDS
            ):
                delivery.ack()
                last_commit = time.monotonic()
    finally:
        if handler is not None:
            delivery.ack()  # what the handler returned from is the caller's: keep it
    if on_progress is not None:
        on_progress(done, done)
    run.count("received", received)
    run.count("skipped", skipped)
    if rejected:
        run.count("rejected", len(rejected))
    return Pulled(
        records=tuple(records),
        skipped=skipped,
        rejected=tuple(rejected),
        delivery=delivery,
        received=received,
    )
