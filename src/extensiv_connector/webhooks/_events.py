"""Event notifications as Extensiv sends them -> :class:`~extensiv_connector.models.WebhookEvent`.

Tolerated variants (docs and captures differ): camelCase or PascalCase keys and ``eventDatetimeUtc``
vs ``eventDateTimeUtc``; ``resource.body`` as an object, a JSON string, or absent; ``links`` and
``data`` as JSON strings or objects; ``tags`` comma-delimited or an array. Event timestamps are
UTC without an offset and are returned timezone-aware. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs
import cattrs

from ..errors import WireFormatError
from ..models import WebhookEvent, WebhookResource
from ..wire import loads, make_converter
from ._errors import WebhookPayloadError

__all__ = [
    "event_time",
    "find_key",
    "order_id_of",
    "parse_event",
    "receiver_id_of",
    "sku_of",
]


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def parse_event(
    payload: bytes | str | Mapping[str, Any], converter: cattrs.Converter | None = None
) -> WebhookEvent:
    """Parse one notification body; raise :class:`WebhookPayloadError` naming the bad JSON path."""
    document: Any = payload
    if isinstance(payload, bytes | bytearray | str):
        try:
            document = loads(payload)
        except WireFormatError as exc:
            raise WebhookPayloadError(exc.json_path, exc.message) from None
    if not isinstance(document, Mapping):
        raise WebhookPayloadError("$", "expected an event object")
    conv = converter if converter is not None else make_converter()
    try:
        event = conv.structure(document, WebhookEvent)
    except WireFormatError as exc:
        raise WebhookPayloadError(exc.json_path, exc.message) from None
    if not event.event_type.strip():
        raise WebhookPayloadError("$.eventType", "empty event type")
    resource = event.resource
    if resource is not None and resource.body is not None and not resource.body:
        resource = attrs.evolve(resource, body=None)
    return attrs.evolve(
        event,
        event_type=event.event_type.strip(),
        event_datetime_utc=_utc(event.event_datetime_utc),
        create_datetime_utc=_utc(event.create_datetime_utc),
        resource=resource,
    )


def event_time(event: WebhookEvent) -> datetime | None:
    """When the event happened (UTC): ``eventDatetimeUtc``, else ``createDatetimeUtc``."""
    return event.event_datetime_utc or event.create_datetime_utc


def find_key(mapping: Any, *path: str) -> Any:
    """``mapping[path[0]][path[1]]...`` with keys matched case-insensitively; None if absent."""
    current = mapping
    for name in path:
        if not isinstance(current, Mapping):
            return None
        wanted = name.lower()
        current = next((v for k, v in current.items() if str(k).lower() == wanted), None)
    return current


_MAX_ID = 2**63


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < _MAX_ID:
        return value
    # ASCII digits, bounded: int() of 5,000 digits raises, and no id is over 64 bits
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,19}\s*", value):
        number = int(value)
        return number if 0 < number < _MAX_ID else None
    return None


def _href_id(resource: WebhookResource | None, pattern: str) -> int | None:
    if resource is None or not resource.href:
        return None
    match = re.search(rf"(?:^|/){pattern}/([0-9]+)(?:[/?#]|$)", resource.href, re.IGNORECASE)
    return _as_id(match.group(1)) if match else None


def _body(event: WebhookEvent) -> dict[str, Any] | None:
    return event.resource.body if event.resource is not None else None


def order_id_of(event: WebhookEvent) -> int | None:
    """The order's id: ``data.OrderId``, the ``/orders/{id}`` href, or ``body.readOnly.orderId``."""
    return (
        _as_id(find_key(event.data, "orderId"))
        or _href_id(event.resource, "orders")
        or _as_id(find_key(_body(event), "readOnly", "orderId"))
        or _as_id(find_key(_body(event), "orderId"))
    )


def receiver_id_of(event: WebhookEvent) -> int | None:
    """The receiver id: ``data.ReceiverId``, the ``/inventory/receivers/{id}`` href, or body."""
    return (
        _as_id(find_key(event.data, "receiverId"))
        or _href_id(event.resource, "receivers")
        or _as_id(find_key(_body(event), "readOnly", "receiverId"))
        or _as_id(find_key(_body(event), "receiverId"))
    )


def _as_sku(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def sku_of(event: WebhookEvent, body: Mapping[str, Any] | None = None) -> str | None:
    """The item's SKU: ``data.Sku``, else the item or stock-summary body (``body`` overrides)."""
    doc = body if body is not None else _body(event)
    return (
        _as_sku(find_key(event.data, "sku"))
        or _as_sku(find_key(event.data, "itemSku"))
        or _as_sku(find_key(doc, "sku"))
        or _as_sku(find_key(doc, "itemIdentifier", "sku"))
    )
