"""The exception tree.

Every error the library raises derives from one root, so a host can catch ``ExtensivError`` at
its boundary and know nothing else escapes. Subclasses say whose fault it is::

    ExtensivError
    ├── ConfigError                 a setting is wrong (carries its dotted path)
    ├── ChannelNotEmptyError        delete_channel() would drop held orders (needs force=True)
    ├── InputError                  a command-line input file is wrong (CLI exit code 2)
    ├── ValidationError             host data breaks rules (carries every violation)
    │   └── UnitConversionError     a line's quantity has no whole number of warehouse units
    ├── WireFormatError             an API/webhook JSON document has the wrong shape (JSON path)
    │   └── WebhookPayloadError     a verified webhook body is not an event notification
    ├── AuthenticationError         the token endpoint or a resource refused the credentials
    ├── ApiError                    the API answered with an error status
    │   ├── BadRequestError         400 not covered below
    │   │   └── DuplicateError      400 ModelValidationException, ErrorCode "Duplicate"
    │   ├── ForbiddenError          403 (role or operation not allowed)
    │   ├── NotFoundError           404
    │   ├── PreconditionError       412/428 (If-Match)
    │   │   ├── PreconditionFailedError    412 stale ETag
    │   │   └── PreconditionRequiredError  428 missing If-Match
    │   ├── RateLimitedError        429 (carries retry_after)
    │   └── ServerError             5xx (often a plain-text body)
    ├── TransportError              no usable HTTP answer
    │   ├── ConnectionFailedError   connect/reset
    │   └── TimeoutError_           connect or read timeout
    ├── OutcomeUnknownError         a create may or may not have happened; resolve by reference
    ├── StateStoreError             the state store cannot do what was asked
    │   ├── LeaseHeldError          another worker runs this action of this channel right now
    │   └── LeaseLostError          a lease this worker held expired and was taken over
    ├── WebhookSignatureError       a webhook request is unsigned or its signature does not verify
    ├── WebhookKeyError             Extensiv's webhook public key could not be fetched or read
    ├── WebhookContentTypeError     a signed webhook request is not declared as JSON (answered 415)
    ├── WebhookOverloadedError      the webhook queue is full (answered 503; Extensiv retries)
    ├── SandboxError                the sandbox cannot do what a test asked (also a ValueError)
    │   └── RqlError                the sandbox cannot parse an RQL query (sandbox/_rql.py)
    └── ApiFault                    inside the sandbox only: an error answer its server sends
                                    (sandbox/_errors.py; caught by the sandbox's WSGI app)

Every class above is defined here except the two sandbox-internal ones, which live next to the
code that raises them. The old import paths (``extensiv_connector.sync``, ``.webhooks``,
``.backorder``, ``.sandbox``) re-export the same class objects, so ``except`` clauses written
against either path catch the same errors.

Messages never contain secrets or personal data: bodies are kept on the exception as
``raw_body`` for the caller to inspect, and not interpolated into ``str(exc)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ChannelNotEmptyError",
    "ConfigError",
    "ConnectionFailedError",
    "DuplicateError",
    "ExtensivError",
    "ForbiddenError",
    "InputError",
    "LeaseHeldError",
    "LeaseLostError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PreconditionError",
    "PreconditionFailedError",
    "PreconditionRequiredError",
    "RateLimitedError",
    "SandboxError",
    "ServerError",
    "StateStoreError",
    "TimeoutError_",
    "TransportError",
    "UnitConversionError",
    "ValidationError",
    "Violation",
    "WebhookContentTypeError",
    "WebhookKeyError",
    "WebhookOverloadedError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WireFormatError",
]


class ExtensivError(Exception):
    """Root of every error raised by extensiv_connector."""


class ConfigError(ExtensivError):
    """A configuration setting is missing, unknown or has the wrong type or value."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class ChannelNotEmptyError(ExtensivError):
    """Deleting the channel would drop shipments it still holds. ``held`` lists their keys
    (``order_number#shipment_seq``: held orders and remainders of partial shipments)."""

    def __init__(self, channel: str, held: Sequence[str]) -> None:
        self.channel = channel
        self.held = tuple(held)
        shown = ", ".join(self.held[:10]) + (" ..." if len(self.held) > 10 else "")
        super().__init__(
            f"channel {channel!r} still holds {len(self.held)} backordered shipment(s): {shown};"
            " delete with force=True (CLI: --yes) to drop them"
        )


@attrs.frozen
class Violation:
    """One broken rule: where (a field path), what, and how bad."""

    path: str
    message: str
    severity: str = "error"  # "error" blocks the record; "warning" is reported only
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InputError(ExtensivError):
    """Bad command-line input (a file, its JSON or its shape): exit code 2, one clear line."""


class ValidationError(ExtensivError):
    """Host data breaks one or more rules. ``violations`` holds all of them, not just the first."""

    def __init__(self, violations: Iterable[Violation], subject: str = "") -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        self.subject = subject
        head = f"{subject}: " if subject else ""
        count = len(self.violations)
        listed = "; ".join(str(v) for v in self.violations[:10])
        more = f" (+{count - 10} more)" if count > 10 else ""
        super().__init__(f"{head}{count} violation(s): {listed}{more}")


class WireFormatError(ExtensivError):
    """A JSON document from the API or a webhook does not have the expected shape."""

    def __init__(self, json_path: str, message: str) -> None:
        self.json_path = json_path
        self.message = message
        super().__init__(f"{json_path}: {message}")


class AuthenticationError(ExtensivError):
    """The credentials were refused (token endpoint or a 401 that survived one refresh)."""

    def __init__(self, message: str, *, status: int | None = None, raw_body: str = "") -> None:
        self.status = status
        self.raw_body = raw_body
        super().__init__(message)


class ApiError(ExtensivError):
    """The Extensiv API answered with an error status.

    ``error_code`` and ``hint`` come from the typed body (``ErrorCode``/``Hint``), ``error_type``
    is the short ``$type`` name (``ModelValidationException``...), ``faults`` holds
    ``ListException`` entries. ``raw_body`` is the body as received, never part of ``str()``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        method: str = "",
        path: str = "",
        error_type: str = "",
        error_code: str = "",
        hint: str = "",
        properties: Sequence[Mapping[str, Any]] = (),
        faults: Sequence[Mapping[str, Any]] = (),
        raw_body: str = "",
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.error_type = error_type
        self.error_code = error_code
        self.hint = hint
        self.properties = tuple(properties)
        self.faults = tuple(faults)
        self.raw_body = raw_body
        where = f"{method} {path} " if method or path else ""
        code = f" [{error_type}{'/' if error_type and error_code else ''}{error_code}]"
        code = code if (error_type or error_code) else ""
        super().__init__(f"{where}-> HTTP {status}{code}: {message}")


class BadRequestError(ApiError):
    """HTTP 400."""


class DuplicateError(BadRequestError):
    """HTTP 400 ``ErrorCode: Duplicate``: the reference already exists for this customer."""


class ForbiddenError(ApiError):
    """HTTP 403: the credential's roles do not allow this, or the operation is forbidden."""


class NotFoundError(ApiError):
    """HTTP 404."""


class PreconditionError(ApiError):
    """An ``If-Match`` problem (412 or 428)."""


class PreconditionFailedError(PreconditionError):
    """HTTP 412: the ETag sent in ``If-Match`` is stale; re-read and re-apply."""


class PreconditionRequiredError(PreconditionError):
    """HTTP 428: the update was sent without ``If-Match``."""


class RateLimitedError(ApiError):
    """HTTP 429. ``retry_after`` is the server's hint in seconds, if it sent one."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """HTTP 5xx."""


class TransportError(ExtensivError):
    """No usable HTTP answer: the connection failed, was reset, or timed out."""

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method or path else ""
        super().__init__(f"{where}{message}")


class ConnectionFailedError(TransportError):
    """The connection could not be made or was reset."""


class TimeoutError_(TransportError):  # noqa: N801, N818 - named after the builtin it must not shadow
    """A connect or read timeout."""


class OutcomeUnknownError(ExtensivError):
    """A create request may or may not have taken effect (timeout, reset, 5xx, lost response).

    It is never retried blindly: the caller looks the record up by ``reference`` and adopts it,
    or re-sends only when the lookup proves it absent.
    """

    def __init__(
        self, message: str, *, method: str, path: str, reference: str, cause: Exception
    ) -> None:
        self.method = method
        self.path = path
        self.reference = reference
        self.cause = cause
        super().__init__(f"{method} {path}: outcome unknown for reference {reference!r}: {message}")


class UnitConversionError(ValidationError):
    """A line's unit has no conversion factor, or its quantity converts to a fraction of an
    integral warehouse unit. ``subject`` names the order; each violation names the line."""

    def __init__(self, order_number: str, index: int, sku: str, message: str) -> None:
        self.order_number = order_number
        self.line_index = index
        self.sku = sku
        super().__init__(
            [Violation(f"lines[{index}]", f"{sku}: {message}", rule="units")],
            subject=f"order {order_number}",
        )


class StateStoreError(ExtensivError):
    """The state store cannot do what was asked (missing record, unknown schema, closed store)."""


class LeaseHeldError(StateStoreError):
    """Another worker holds the lease for this channel's action; try again later.

    ``expires_at`` is when the holder's lease runs out unless it renews (``None`` if unknown).
    """

    def __init__(self, channel: str, action: str, expires_at: datetime | None = None) -> None:
        self.channel = channel
        self.action = action
        self.expires_at = expires_at
        until = f" until {expires_at.isoformat()}" if expires_at else ""
        super().__init__(
            f"channel {channel!r}: action {action!r} is already running elsewhere"
            f" (lease held{until})"
        )


class LeaseLostError(StateStoreError):
    """A lease this worker held expired and was taken by another worker (or released)."""

    def __init__(self, channel: str, action: str) -> None:
        self.channel = channel
        self.action = action
        super().__init__(f"channel {channel!r}: lease for action {action!r} was lost")


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


class WebhookOverloadedError(ExtensivError):
    """The processing queue is full; the request is refused so that Extensiv retries it later."""


class SandboxError(ExtensivError, ValueError):
    """The sandbox cannot do what was asked (e.g. a warehouse-driver call without enough stock).

    Also a ``ValueError``, as it was before it joined this tree, so existing handlers still match.
    """
