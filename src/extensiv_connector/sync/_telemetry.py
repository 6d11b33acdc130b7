"""Operator hooks: one ``on_event`` callable receives typed events (counts, durations, retries,
lease trouble); a host forwards them to OpenTelemetry, Prometheus or its logs. No dependency.

A hook that raises is logged and ignored: metrics never break a sync action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import attrs

__all__ = ["ConnectorEvent", "EventHook", "EventKind", "emit"]

log = logging.getLogger("extensiv_connector.events")


class EventKind:
    """The ``kind`` strings an event carries (plain strings, stable across releases)."""

    ACTION_STARTED = "action_started"  # the lease is held, the journal run is open
    ACTION_FINISHED = "action_finished"  # duration_seconds, counts, status
    LEASE_HELD = "lease_held"  # another process runs this action: nothing was done
    RECORDS_ACKNOWLEDGED = "records_acknowledged"  # value = records the cursor moved past
    RETRY = "retry"  # value = seconds waited before the retry; detail = "METHOD /path"


@attrs.frozen(kw_only=True)
class ConnectorEvent:
    """One thing that happened. ``value`` is the event's number (a count or seconds)."""

    kind: str
    channel: str
    action: str = ""
    value: float = 0.0
    duration_seconds: float | None = None
    status: str = ""
    counts: Mapping[str, int] = attrs.field(factory=dict)
    detail: str = ""


EventHook = Callable[[ConnectorEvent], None]


def emit(hook: EventHook | None, event: ConnectorEvent) -> None:
    if hook is None:
        return
    try:
        hook(event)
    except Exception:  # a broken metrics hook must not fail the action it observes
        log.warning("on_event hook raised on %s; ignored", event.kind, exc_info=True)
