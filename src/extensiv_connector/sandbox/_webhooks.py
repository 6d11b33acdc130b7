"""Event notifications in Extensiv's documented payload shape, signed like the real ones.

Payload: ``tplId``, ``wmsEventId``, ``dateTime``, ``eventDatetimeUtc``,
``warehouseTransactionEventId``, ``createDatetimeUtc`` (7 fractional digits), ``eventType``,
``resource {rel, href, body}`` (body = the resource in HAL form, when "include resource" is on),
``links`` and ``data`` as JSON *strings*, ``tags``. Header ``Signature`` = base64 RSA-SHA256
(PKCS#1 v1.5) over the raw body; the public key is served at ``GET /events/webhook/key``.

Deliveries run on one background thread so warehouse operations never wait for a receiver.
Tests can hold deliveries and release them reversed (out of order) and re-send an event
(duplicate delivery).
"""

from __future__ import annotations

import base64
import json
import queue
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ._render import dumps
from ._warehouse import Notification

__all__ = ["Delivery", "WebhookSender", "shared_key"]

_KEY_LOCK = threading.Lock()
_SHARED_KEY: list[rsa.RSAPrivateKey] = []


def shared_key() -> rsa.RSAPrivateKey:
    """One 2048-bit signing key per process (generating one per sandbox would slow tests down;
    it signs test traffic only)."""
    with _KEY_LOCK:
        if not _SHARED_KEY:
            _SHARED_KEY.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _SHARED_KEY[0]


def _ts7(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


@attrs.frozen(kw_only=True)
class Delivery:
    """One POST attempt: ``status`` is the HTTP status, or None with ``error`` set."""

    wms_event_id: int
    event_type: str
    status: int | None
    error: str | None = None


class WebhookSender:
    """Sends signed event notifications in Extensiv's payload shape to ``destination``."""

    def __init__(
        self,
        *,
        tpl_id: int,
        customer_id: int,
        facility_id: int,
        render: Callable[[Notification], dict[str, Any]],
        key: rsa.RSAPrivateKey | None = None,
        destination: str | None = None,
        include_resource: bool = True,
        timeout_s: float = 3.0,
    ) -> None:
        self._key = key or shared_key()
        self.key_retrieval = datetime.now(timezone.utc)
        self.public_pem = (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )
        self.destination = destination
        self.include_resource = include_resource
        self.timeout_s = timeout_s
        self._tpl_id = tpl_id
        self._links = json.dumps(
            {
                "customers/customer": f"/customers/{customer_id}",
                "properties/facility": f"/properties/facilities/{facility_id}",
            }
        )
        self._render = render
        self._lock = threading.Lock()
        self._next_event_id = 187450000
        self.payloads: dict[int, bytes] = {}
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self._held: list[int] | None = None
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ producing
    def sign(self, body: bytes) -> str:
        signature = self._key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def key_document(self) -> dict[str, str]:
        stamp = self.key_retrieval.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return {"publicKey": self.public_pem, "retrievalDateISO": stamp}

    def emit(self, notes: list[Notification]) -> None:
        """Called by the warehouse after a change; builds payloads and queues them."""
        if self.destination is None:
            return
        for note in notes:
            now = datetime.now(timezone.utc)
            with self._lock:
                self._next_event_id += 1
                event_id = self._next_event_id
            resource: dict[str, Any] = {"rel": note.rel, "href": note.href}
            if self.include_resource:
                resource["body"] = self._render(note)
            payload = {
                "tplId": self._tpl_id,
                "wmsEventId": event_id,
                "dateTime": _ts7(now),
                "eventDatetimeUtc": _ts7(now),
                "warehouseTransactionEventId": event_id,
                "createDatetimeUtc": _ts7(now),
                "eventType": note.event_type,
                "resource": resource,
                "links": self._links,
                "data": json.dumps(note.data),
                "tags": note.tags,
            }
            raw = dumps(payload)
            with self._lock:
                self.payloads[event_id] = raw
                self.events.append(payload)
            self._enqueue(event_id)

    def _enqueue(self, event_id: int) -> None:
        with self._lock:
            if self._held is not None:
                self._held.append(event_id)
                return
            self._pending += 1
        self._queue.put(event_id)

    # ------------------------------------------------------------------ test controls
    def hold(self) -> None:
        """Queue new events without sending them until :meth:`release`."""
        with self._lock:
            if self._held is None:
                self._held = []

    def release(self, *, reverse: bool = False) -> None:
        """Send the held events, in order or newest first (out-of-order delivery)."""
        with self._lock:
            held, self._held = self._held or [], None
        for event_id in reversed(held) if reverse else held:
            self._enqueue(event_id)

    def resend(self, wms_event_id: int) -> None:
        """Deliver an already sent event again, byte for byte (duplicate delivery)."""
        with self._lock:
            if wms_event_id not in self.payloads:
                raise KeyError(f"no event {wms_event_id}")
        self._enqueue(wms_event_id)

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """Wait until every queued delivery was attempted; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=self.timeout_s + 1)
        self._session.close()

    # ------------------------------------------------------------------ delivery
    def _run(self) -> None:
        while True:
            event_id = self._queue.get()
            if event_id is None:
                return
            try:
                self._deliver(event_id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, event_id: int) -> None:
        with self._lock:
            raw = self.payloads[event_id]
            destination = self.destination
        event_type = json.loads(raw)["eventType"]
        if destination is None:
            return
        try:
            response = self._session.post(
                destination,
                data=raw,
                headers={"Content-Type": "application/json", "Signature": self.sign(raw)},
                timeout=self.timeout_s,
            )
            delivery = Delivery(
                wms_event_id=event_id, event_type=event_type, status=response.status_code
            )
        except requests.RequestException as exc:
            delivery = Delivery(
                wms_event_id=event_id,
                event_type=event_type,
                status=None,
                error=type(exc).__name__,
            )
        with self._lock:
            self.deliveries.append(delivery)
