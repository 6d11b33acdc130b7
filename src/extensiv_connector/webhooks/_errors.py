"""The webhook errors: who sent what, and why it was refused."""

from __future__ import annotations

from ..errors import ExtensivError, WireFormatError

__all__ = [
    "WebhookContentTypeError",
    "WebhookKeyError",
    "WebhookPayloadError",
    "WebhookSignatureError",
]


class WebhookSignatureError(ExtensivError):
    """A webhook request is unsigned, or its ``Signature`` does not verify against the key.

    ``reason`` is one of ``"unsigned"``, ``"malformed"`` (not base64), ``"bad_key"`` (the public
    key is unusable) or ``"mismatch"`` (forged, or signed with another key). The message never
    contains the signature, the key or the body.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


class WebhookKeyError(ExtensivError):
    """Extensiv's webhook public key could not be fetched or read (the request is not processed)."""


class WebhookContentTypeError(ExtensivError):
    """A signed webhook request is not declared as JSON (``Content-Type``); answered 415."""


class WebhookPayloadError(WireFormatError):
    """A verified webhook body is not an event notification; ``json_path`` says where."""
