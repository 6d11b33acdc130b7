"""The webhook errors, defined in :mod:`extensiv_connector.errors` and re-exported here."""

from __future__ import annotations

from ..errors import (
    WebhookContentTypeError,
    WebhookKeyError,
    WebhookOverloadedError,
    WebhookPayloadError,
    WebhookSignatureError,
)

__all__ = [
    "WebhookContentTypeError",
    "WebhookKeyError",
    "WebhookOverloadedError",
    "WebhookPayloadError",
    "WebhookSignatureError",
]
