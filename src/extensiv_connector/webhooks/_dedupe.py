"""De-duplication by ``wmsEventId`` and ordering by event time, over the channel's state store.

Extensiv retries for hours and does not guarantee delivery order. An event whose id was already
seen is a duplicate; an event older than the last one processed for the same resource is stale.
Both are acknowledged and skipped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol

from ..models import WebhookEvent
from ._events import event_time

__all__ = ["EventStore", "first_sighting", "is_stale", "record_processed"]


class EventStore(Protocol):
    """The part of the state store the webhook receiver uses."""

    def mark_event_seen(self, channel: str, event_id: str) -> bool:
        """Record ``event_id``; True if it was not seen before (atomic)."""
        ...

    def resource_version(self, channel: str, key: str) -> datetime | None: ...

    def advance_resource_version(self, channel: str, key: str, version: datetime) -> bool:
        """Store ``version`` if newer than the stored one; True if it was."""
        ...


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def first_sighting(store: EventStore, channel: str, event: WebhookEvent) -> bool:
    """Mark the event's ``wmsEventId`` seen; True if it had not been seen before."""
    return store.mark_event_seen(channel, str(event.wms_event_id))


def is_stale(
    store: EventStore, channel: str, event: WebhookEvent, resource_key: str | None
) -> bool:
    """True if a newer event for the same resource was already processed."""
    when = event_time(event)
    if resource_key is None or when is None:
        return False
    last = store.resource_version(channel, resource_key)
    return last is not None and _aware(when) < _aware(last)


def record_processed(
    store: EventStore, channel: str, event: WebhookEvent, resource_key: str | None
) -> None:
    """Remember the newest event time processed for the resource."""
    when = event_time(event)
    if resource_key is not None and when is not None:
        store.advance_resource_version(channel, resource_key, _aware(when))
