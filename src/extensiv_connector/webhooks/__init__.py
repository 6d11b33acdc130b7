"""Extensiv event notifications (webhooks): verify, parse, de-duplicate, dispatch.

``WebhookReceiver(connector)`` is a WSGI application to mount in any server or framework; it
acknowledges within Extensiv's 3-second window and pulls the affected resource afterwards.
``verify_signature`` and ``parse_event`` are usable on their own. Needs the ``webhooks`` extra
(``cryptography``) for signature checks. See docs/webhooks.md.
"""

from __future__ import annotations

import warnings
from typing import Any

from ._dedupe import EventStore
from ._dispatch import (
    DEFAULT_ACTIONS,
    ConnectorLike,
    EventHandler,
    ResourceFetcher,
    WebhookAction,
    WebhookActionKind,
    plan_action,
)
from ._errors import (
    WebhookContentTypeError,
    WebhookKeyError,
    WebhookOverloadedError,
    WebhookPayloadError,
    WebhookSignatureError,
)
from ._events import event_time, parse_event
from ._keys import KEY_PATH, PublicKeyCache, fetch_key_document
from ._receiver import EventOutcome, WebhookReceiver
from ._signature import verify_signature

__all__ = [
    "DEFAULT_ACTIONS",
    "KEY_PATH",
    "ConnectorLike",
    "EventHandler",
    "EventOutcome",
    "EventStore",
    "PublicKeyCache",
    "ResourceFetcher",
    "WebhookAction",
    "WebhookActionKind",
    "WebhookContentTypeError",
    "WebhookKeyError",
    "WebhookOverloadedError",
    "WebhookPayloadError",
    "WebhookReceiver",
    "WebhookSignatureError",
    "event_time",
    "fetch_key_document",
    "parse_event",
    "plan_action",
    "verify_signature",
]

#: Names kept for one release after the rename (``backorder`` has its own ``Action``).
_DEPRECATED = {"Action": WebhookAction, "ActionKind": WebhookActionKind}


def __getattr__(name: str) -> Any:
    """``Action``/``ActionKind``: deprecated aliases of ``WebhookAction``/``WebhookActionKind``."""
    if name in _DEPRECATED:
        warnings.warn(
            f"extensiv_connector.webhooks.{name} is deprecated; use Webhook{name} "
            "(it will be removed in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return _DEPRECATED[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
