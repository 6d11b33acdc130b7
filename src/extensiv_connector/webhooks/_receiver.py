"""The WSGI endpoint: verify, parse, acknowledge, then process on a background worker.

Extensiv counts a delivery as failed unless a 2xx arrives within 3 seconds, so the request path
only checks the path token, reads the body, verifies the signature and parses; everything that
talks to the API or the state store runs after the response on one worker thread.
"""

from __future__ import annotations

import enum
import hmac
import json
import logging
import os
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, WebhookOverloadedError, WireFormatError
from ..models import InventoryLevel, Product, Receipt, Shipment, WebhookEvent
from ..wire import make_converter
from ._dedupe import first_sighting, is_stale, record_processed
from ._dispatch import (
    ConnectorLike,
    Dispatcher,
    EventHandler,
    ResourceFetcher,
    WebhookActionKind,
    _Unresolved,
)
from ._errors import WebhookContentTypeError, WebhookKeyError, WebhookSignatureError
from ._events import parse_event
from ._keys import KeyFetcher, PublicKeyCache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["EventOutcome", "WebhookOverloadedError", "WebhookReceiver"]

logger = logging.getLogger("extensiv_connector.webhooks")

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    503: "Service Unavailable",
}


_LENGTH = re.compile(r"[0-9]{1,18}")
_MEDIA_TYPE = re.compile(r"application/(?:[a-z0-9.+-]+\+)?json", re.IGNORECASE)


def _content_type_problem(value: str | None) -> str:
    """Why a ``Content-Type`` is refused ("" when accepted).

    Extensiv posts ``application/json``; ``application/*+json`` is accepted too, with no charset
    or ``charset=utf-8`` (JSON is UTF-8 by RFC 8259).
    """
    if not value or not value.strip():
        return "Content-Type required (application/json)"
    media, _, params = value.partition(";")
    if not _MEDIA_TYPE.fullmatch(media.strip()):
        return "unsupported Content-Type (expected application/json)"
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset" and raw.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return "unsupported charset (expected utf-8)"
    return ""


def _clip(text: str, limit: int = 200) -> str:
    """Paths and messages can quote keys of a hostile body: keep logs and answers short."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EventOutcome(enum.Enum):
    """What happened to one event: processed, duplicate, stale, unhandled, unresolved or failed."""

    PROCESSED = "processed"  # the built-in action and/or host handlers ran
    DUPLICATE = "duplicate"  # wmsEventId already seen
    STALE = "stale"  # older than the last processed event for the same resource
    UNHANDLED = "unhandled"  # no built-in action and no handler for this event type
    UNRESOLVED = "unresolved"  # no id/SKU in the event and no way to fetch the resource
    FAILED = "failed"  # the action or a handler raised


class _Stop:
    pass


_STOP = _Stop()


def _secret_text(value: Any) -> str | None:
    if value is None:
        return None
    text = value.reveal() if hasattr(value, "reveal") else value
    if not isinstance(text, str):
        raise TypeError("path_token must be a string or a Secret")
    return text or None


class WebhookReceiver:
    """A WSGI application receiving Extensiv event notifications for one channel.

    Mount it at ``https://your-host/<prefix>/<path_token>``; Extensiv must be configured with the
    same URL. ``path_token``, the key URL and ``max_body_bytes`` default to the channel's
    ``[webhooks]`` settings (``path_token``, ``public_key_url``, ``max_body_bytes``; 1 MiB when the
    config has no such section). A channel whose ``[webhooks] enabled`` is false gets no
    receiver: the constructor raises :class:`~extensiv_connector.errors.ConfigError`.

    Valid events trigger a targeted pull through the connector (order events ->
    ``receive_shipments``, receiver confirmation -> ``receive_receipts``, inventory summary ->
    ``receive_inventory_levels``, item create/update -> ``import_products``; SKUs named by events
    are mapped to host SKUs) and then any handlers registered with :meth:`register`. While a
    poll of the same action holds the channel's lease, the pull waits for it up to
    ``lease_wait_seconds``, then counts as failed (the next poll delivers the resource).
    """

    def __init__(
        self,
        connector: ConnectorLike,
        *,
        path_token: Any = None,
        key_cache: PublicKeyCache | None = None,
        fetch_key: KeyFetcher | None = None,
        fetch_resource: ResourceFetcher | None = None,
        actions: Mapping[str, WebhookActionKind] | None = None,
        on_shipment: Callable[[Shipment], None] | None = None,
        on_receipt: Callable[[Receipt], None] | None = None,
        on_inventory_level: Callable[[InventoryLevel], None] | None = None,
        on_product: Callable[[Product], None] | None = None,
        on_error: Callable[[WebhookEvent, BaseException], None] | None = None,
        max_body_bytes: int | None = None,
        queue_size: int = 1000,
        lease_wait_seconds: float = 10.0,
    ) -> None:
        self._connector = connector
        general = connector.config.general
        # The channel's state is keyed by its stable id (older configs: the name).
        self.channel: str = getattr(general, "channel_id", None) or general.connection_name
        settings = getattr(connector.config, "webhooks", None)
        if getattr(settings, "enabled", True) is False:
            raise ConfigError(
                "webhooks.enabled",
                f"event notifications are disabled for channel {self.channel!r}; "
                "set [webhooks] enabled = true to receive them",
            )
        if path_token is None:
            path_token = getattr(settings, "path_token", None)
        self._token = _secret_text(path_token)
        key_url = getattr(settings, "public_key_url", "") or None
        self.keys = key_cache or PublicKeyCache(
            connector.config.credentials.base_url, fetch_key, key_url=key_url
        )
        if fetch_resource is None:
            fetch_resource = getattr(connector, "fetch_resource", None)
        self.dispatcher = Dispatcher(
            connector,
            actions=actions,
            fetch_resource=fetch_resource,
            on_shipment=on_shipment,
            on_receipt=on_receipt,
            on_inventory_level=on_inventory_level,
            on_product=on_product,
            lease_wait_seconds=lease_wait_seconds,
        )
        self._on_error = on_error
        if max_body_bytes is None:
            max_body_bytes = getattr(settings, "max_body_bytes", None) or 1_048_576
        self.max_body_bytes: int = max_body_bytes
        self._converter = make_converter()
        self._queue: queue.Queue[WebhookEvent | _Stop] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._stats: Counter[str] = Counter()
        self._worker: threading.Thread | None = None
        self._worker_pid: int | None = None
        self._closed = False

    def __repr__(self) -> str:
        token = "yes" if self._token else "no"
        return f"WebhookReceiver(channel={self.channel!r}, path_token={token})"

    # -- host API ---------------------------------------------------------------------------

    def register(
        self, event_type: str, handler: EventHandler, *, replace_default: bool = False
    ) -> None:
        """Call ``handler(event)`` for each new event of ``event_type`` (``"*"`` for all).

        Handlers run on the worker after the built-in action; ``replace_default=True`` skips the
        built-in action for that type.
        """
        self.dispatcher.register(event_type, handler, replace_default=replace_default)

    def stats(self) -> dict[str, int]:
        """Counts of requests and outcomes since start (``accepted``, ``processed``, ...)."""
        with self._lock:
            return dict(self._stats)

    def prefetch_key(self) -> None:
        """Fetch the public key now instead of on the first request."""
        self.keys.current()

    def accept(
        self, body: bytes, signature: str | None, *, content_type: str | None = None
    ) -> WebhookEvent:
        """Verify and parse one delivery and queue it; for hosts that are not WSGI (e.g. ASGI).

        ``content_type`` (the request's header; ``""`` when absent) is checked after the
        signature: ``application/json`` or ``application/*+json``, charset UTF-8 if any.
        ``None`` skips the check. Raises :class:`WebhookSignatureError`,
        :class:`WebhookKeyError`, :class:`WebhookContentTypeError`,
        :class:`WebhookPayloadError` or :class:`WebhookOverloadedError`; nothing is processed then.
        """
        self.keys.verify(body, signature or "")
        if content_type is not None:
            problem = _content_type_problem(content_type)
            if problem:
                raise WebhookContentTypeError(problem)
        event = parse_event(body, self._converter)
        self._enqueue(event)
        return event

    def process(self, event: WebhookEvent) -> EventOutcome:
        """De-duplicate, order and dispatch one event now, on the calling thread."""
        outcome = self._process(event)
        self._count(outcome.value)
        logger.info("webhook %s event %s: %s", event.event_type, event.wms_event_id, outcome.value)
        return outcome

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every accepted event is processed; False if ``timeout`` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float | None = 5.0) -> None:
        """Finish queued events and stop the worker; later deliveries get 503."""
        with self._lock:
            self._closed = True
            worker = self._worker
        if worker is not None and worker.is_alive():
            self._queue.put(_STOP, timeout=timeout)
            worker.join(timeout)

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        status, payload, headers = self._respond(environ)
        body = json.dumps(payload).encode()
        start_response(
            f"{status} {_REASONS.get(status, '')}".rstrip(),
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                *headers,
            ],
        )
        return [body]

    def _respond(
        self, environ: WSGIEnvironment
    ) -> tuple[int, dict[str, str], list[tuple[str, str]]]:
        if not self._token_matches(environ):
            self._count("rejected_path")
            return 404, {"error": "not found"}, []
        if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
            return 405, {"error": "only POST is accepted"}, [("Allow", "POST")]
        body, problem = self._read_body(environ)
        if body is None:
            status, message = problem
            self._count("rejected_body")
            return status, {"error": message}, []
        try:
            event = self.accept(
                body, environ.get("HTTP_SIGNATURE"), content_type=environ.get("CONTENT_TYPE") or ""
            )
        except WebhookSignatureError as exc:
            unsigned = exc.reason == "unsigned"
            self._count("rejected_unsigned" if unsigned else "rejected_signature")
            logger.warning("webhook refused: %s", exc)
            return (401 if unsigned else 403), {"error": str(exc)}, []
        except WebhookContentTypeError as exc:
            self._count("rejected_media_type")
            return 415, {"error": str(exc)}, [("Accept-Post", "application/json")]
        except WebhookKeyError as exc:
            self._count("rejected_key_unavailable")
            logger.error("webhook refused, key unavailable: %s", exc)
            return 503, {"error": "signature key unavailable, retry later"}, [("Retry-After", "30")]
        except WireFormatError as exc:  # WebhookPayloadError: hostile or malformed body
            self._count("rejected_malformed")
            where = _clip(exc.json_path)
            logger.warning("webhook refused, malformed payload at %s", where)
            return 400, {"error": f"{where}: {_clip(exc.message)}"}, []
        except WebhookOverloadedError as exc:
            self._count("rejected_busy")
            return 503, {"error": str(exc)}, [("Retry-After", "30")]
        return 200, {"status": "accepted", "wmsEventId": str(event.wms_event_id)}, []

    def _token_matches(self, environ: WSGIEnvironment) -> bool:
        if self._token is None:
            return True
        path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
        segments = [s for s in path.split("/") if s]
        last = segments[-1] if segments else ""
        return hmac.compare_digest(last.encode("utf-8", "replace"), self._token.encode())

    def _read_body(self, environ: WSGIEnvironment) -> tuple[bytes | None, tuple[int, str]]:
        stream = environ["wsgi.input"]
        raw_length = environ.get("CONTENT_LENGTH") or ""
        if raw_length.strip():
            # ASCII digits only: int() would also take "١٢" or "1_000" (and refuse 5,000 digits)
            if not _LENGTH.fullmatch(raw_length.strip()):
                return None, (400, "invalid Content-Length")
            length = int(raw_length)
            if length > self.max_body_bytes:
                return None, (413, f"body larger than {self.max_body_bytes} bytes")
            body = self._read(stream, length) if length else b""
            if body is None or len(body) != length:
                return None, (400, "body shorter than Content-Length")
            return body, (200, "")
        if environ.get("wsgi.input_terminated"):
            body = self._read(stream, self.max_body_bytes + 1)
            if body is None:
                return None, (400, "body could not be read")
            if len(body) > self.max_body_bytes:
                return None, (413, f"body larger than {self.max_body_bytes} bytes")
            return body, (200, "")
        return None, (411, "Content-Length required")

    @staticmethod
    def _read(stream: Any, size: int) -> bytes | None:
        """Up to ``size`` bytes; None when the client went away mid-body (a 400, not a 500)."""
        try:
            data = stream.read(size)
        except (OSError, ValueError):
            return None
        return bytes(data) if isinstance(data, bytes | bytearray) else None

    # -- worker -----------------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1

    def _enqueue(self, event: WebhookEvent) -> None:
        self._ensure_worker()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            raise WebhookOverloadedError("webhook queue is full, retry later") from None
        self._count("accepted")

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._closed:
                raise WebhookOverloadedError("webhook receiver is closed")
            pid = os.getpid()
            if self._worker is not None and self._worker.is_alive() and self._worker_pid == pid:
                return
            # Started lazily, and again after a fork (pre-forking servers copy no threads).
            self._worker_pid = pid
            self._worker = threading.Thread(
                target=self._run, name=f"extensiv-webhooks-{self.channel}", daemon=True
            )
            self._worker.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if isinstance(item, _Stop):
                    return
                self.process(item)
            finally:
                self._queue.task_done()

    def _process(self, event: WebhookEvent) -> EventOutcome:
        try:
            store = self._connector.store
            if not first_sighting(store, self.channel, event):
                return EventOutcome.DUPLICATE
            action = self.dispatcher.plan(event)
            key = action.resource_key if action is not None else None
            if is_stale(store, self.channel, event, key):
                return EventOutcome.STALE
            if not self.dispatcher.run(event, action):
                return EventOutcome.UNHANDLED
            record_processed(store, self.channel, event, key)
        except _Unresolved as exc:
            logger.warning(
                "webhook %s event %s: %s (no body; pass fetch_resource)",
                event.event_type,
                event.wms_event_id,
                exc,
            )
            return EventOutcome.UNRESOLVED
        except Exception as exc:
            logger.error(
                "webhook %s event %s failed: %s",
                event.event_type,
                event.wms_event_id,
                type(exc).__name__,
            )
            if self._on_error is not None:
                try:
                    self._on_error(event, exc)
                except Exception:
                    logger.error("webhook on_error hook raised")
            return EventOutcome.FAILED
        return EventOutcome.PROCESSED
