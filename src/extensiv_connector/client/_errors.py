"""Map an HTTP error answer to the exception tree: one pure function, no I/O, no clock.

The Extensiv API answers errors in several shapes (token endpoint and resources alike):

* typed Newtonsoft bodies ``{"$type": "...ModelValidationException, ...", "ErrorCode": ...,
  "Hint": ..., "Properties": [...]}`` (any key case);
* ``ListException`` with ``Faults: [{EntryNumber, EntryInfo, WmsException: {...}}]``;
* bodies carrying only ``Message`` (the token endpoint's 401) or the OAuth
  ``{"error": ..., "error_description": ...}`` form;
* plain-text 500s.

Messages are short and never contain the body: the raw body stays on the exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from .. import wire
from ..errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    DuplicateError,
    ExtensivError,
    ForbiddenError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RateLimitedError,
    ServerError,
    WireFormatError,
)

__all__ = ["error_from_response", "in_request", "parse_retry_after"]

_MAX_MESSAGE = 200


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP-date).

    An HTTP-date needs ``now`` (aware or naive UTC); without it the date form yields ``None``.
    Negative results become 0. Garbage yields ``None``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if now is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def in_request(
    exc: WireFormatError, method: str, path: str, page: tuple[int, int] | None = None
) -> WireFormatError:
    """``exc`` naming the request whose answer it was found in, as every client error names
    it: ``GET /inventory/stocksummaries``, and for a page of a list ``(pgnum=3, pgsiz=50)``.
    ``path`` is the transport's (no query); no other parameter is named (an RQL filter may
    hold a customer's reference), and no header or credential ever is."""
    where = f"{method} {path}" if method or path else ""
    if page is not None:
        where = f"{where} (pgnum={page[0]}, pgsiz={page[1]})"
    return WireFormatError(exc.json_path, f"{where}: {exc.message}" if where else exc.message)


def _lower_keys(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in doc.items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _short_type(raw: str) -> str:
    """``ModelValidationException`` from ``WMS.V2.Generic.Models.Exceptions.X, WMS.V2...``."""
    return raw.split(",")[0].strip().rsplit(".", 1)[-1] if raw else ""


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _parse_json(body_text: str, content_type: str) -> Any:
    looks_json = "json" in content_type.lower() or body_text.lstrip().startswith(("{", "["))
    if not looks_json or not body_text.strip():
        return None
    try:
        return wire.loads(body_text)
    except WireFormatError:  # hostile or broken: summarised as a non-JSON body, kept in raw_body
        return None


def _faults(raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for fault in raw:
        if isinstance(fault, Mapping):
            low = _lower_keys(fault)
            wms = low.get("wmsexception")
            wms_low = _lower_keys(wms) if isinstance(wms, Mapping) else {}
            out.append(
                {
                    "entry_number": low.get("entrynumber"),
                    "entry_info": low.get("entryinfo"),
                    "error_code": _text(wms_low.get("errorcode")),
                    "hint": _text(wms_low.get("hint")),
                    "message": _text(wms_low.get("message")),
                    "raw": dict(fault),
                }
            )
    return tuple(out)


def _properties(raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(dict(p) for p in raw if isinstance(p, Mapping))


def error_from_response(
    status: int,
    body_text: str,
    content_type: str = "",
    method: str = "",
    path: str = "",
    headers: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> ExtensivError:
    """The exception for an error answer. ``path`` should carry no query secrets (it never does:
    the API takes none in the query). ``now`` is only used for an HTTP-date ``Retry-After``."""
    doc = _parse_json(body_text, content_type)
    low = _lower_keys(doc) if isinstance(doc, Mapping) else {}
    error_type = _short_type(_text(low.get("$type")))
    error_code = _text(low.get("errorcode"))
    hint = _text(low.get("hint"))
    message = _text(low.get("message"))
    oauth_error = _text(low.get("error"))
    oauth_description = _text(low.get("error_description"))
    faults = _faults(low.get("faults"))
    properties = _properties(low.get("properties"))
    if not error_type and faults:
        error_type = "ListException"

    if status == 401:
        detail = message or ": ".join(p for p in (oauth_error, oauth_description) if p)
        where = f"{method} {path}: " if method or path else ""
        text = _clip(detail) if detail else "missing or invalid bearer token"
        return AuthenticationError(
            f"{where}credentials refused (HTTP 401): {text}", status=401, raw_body=body_text
        )

    if hint:
        summary = hint
    elif message:
        summary = message
    elif oauth_error or oauth_description:
        summary = ": ".join(p for p in (oauth_error, oauth_description) if p)
    elif faults:
        first = faults[0]
        summary = f"{len(faults)} fault(s); first: {first['error_code'] or first['message']}"
    elif doc is None and body_text.strip():
        summary = f"non-JSON body ({len(body_text)} chars, see raw_body)"
    else:
        summary = _default_summary(status)
    kwargs: dict[str, Any] = {
        "method": method,
        "path": path,
        "error_type": error_type,
        "error_code": error_code,
        "hint": hint,
        "properties": properties,
        "faults": faults,
        "raw_body": body_text,
    }
    summary = _clip(summary)
    if status == 400:
        if error_code.lower() == "duplicate":
            return DuplicateError(status, summary, **kwargs)
        return BadRequestError(status, summary, **kwargs)
    if status == 403:
        return ForbiddenError(status, summary, **kwargs)
    if status == 404:
        return NotFoundError(status, summary, **kwargs)
    if status == 412:
        return PreconditionFailedError(status, summary, **kwargs)
    if status == 428:
        return PreconditionRequiredError(status, summary, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(_header(headers, "Retry-After"), now)
        return RateLimitedError(status, summary, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(status, summary, **kwargs)
    return ApiError(status, summary, **kwargs)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


_SUMMARIES = {
    400: "bad request",
    403: "forbidden for this credential",
    404: "not found",
    408: "request timeout",
    412: "If-Match does not match the current state (stale ETag)",
    428: "If-Match header required",
    429: "rate limited",
}


def _default_summary(status: int) -> str:
    if status >= 500:
        return "server error"
    return _SUMMARIES.get(status, "error")
