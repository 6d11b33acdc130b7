"""Incremental pulls: records reach the host's handler before the cursor moves past them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs

from ..errors import ValidationError
from ._journal import RunRecorder
from ._outcomes import reason_of
from .store import StateStore

__all__ = ["DELIVERED_PREFIX", "REJECTED_PREFIX", "PullSpec", "Pulled", "run_pull", "state_key"]

T = TypeVar("T")

#: Event-id prefix marking a record delivered by a targeted pull (kept in the store's
#: time-stamped events table, so ``Connector.prune`` can forget old marks).
DELIVERED_PREFIX = "delivered:"
#: Cursor-key prefix of a record that failed translation: the poll moves past it and does not
#: journal it again, but it was never delivered, so a targeted pull still tries it.
REJECTED_PREFIX = "rejected:"


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


@attrs.frozen(kw_only=True)
class Pulled(Generic[T]):
    records: tuple[T, ...]
    skipped: int
    rejected: tuple[str, ...]


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
) -> Pulled[T]:
    """Pull from the cursor (minus ``overlap``; ``start`` the first time), or just ``targeted``.

    Each record is handed to ``handler`` and only then marked delivered: a crash in between
    re-delivers that one record (at least once, with the same dedupe key). Targeted pulls mark
    deliveries without moving the watermark past records the poll has not reached yet.
    """
    cursor = store.cursor_get(channel, spec.action)
    stream = targeted if targeted is not None else spec.source(cursor.since(overlap) or start)

    def delivered(dedupe: str, when: datetime | None) -> None:
        if targeted is not None or when is None:
            store.mark_event_seen(channel, DELIVERED_PREFIX + dedupe)
        else:
            store.cursor_advance(channel, spec.action, {dedupe: when}, overlap=overlap)

    records: list[T] = []
    rejected: list[str] = []
    skipped = 0
    for raw in stream:
        when = spec.modified(raw)
        dedupe = spec.dedupe(raw)
        if cursor.is_delivered(dedupe) or store.event_seen(channel, DELIVERED_PREFIX + dedupe):
            skipped += 1
            continue
        if targeted is None and cursor.is_delivered(REJECTED_PREFIX + dedupe):
            continue  # rejected by an earlier poll, already journaled
        try:
            record = spec.convert(raw)
        except ValidationError as exc:
            # A poison record is journaled once, not retried by every poll.
            rejected.append(reason_of(exc))
            run.error(reason_of(exc))
            if targeted is None:
                delivered(REJECTED_PREFIX + dedupe, when)
            continue
        if record is None:
            continue
        if handler is not None:
            handler(record)
        records.append(record)
        delivered(dedupe, when)
        run.touch(dedupe)
    run.count("received", len(records))
    run.count("skipped", skipped)
    if rejected:
        run.count("rejected", len(rejected))
    return Pulled(records=tuple(records), skipped=skipped, rejected=tuple(rejected))
