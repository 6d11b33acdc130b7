"""Test doubles for the webhook tests: an RSA signer, a fake connector and store, payloads."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

BASE_URL = "https://wms.test"


class Signer:
    """An RSA key pair standing in for Extensiv's webhook key."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, body: bytes) -> str:
        raw = self.private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def key_document(self) -> dict[str, str]:
        return {"publicKey": self.pem.decode(), "retrievalDateISO": "2026-03-22T17:23:38.895Z"}


class FakeStore:
    """The three store methods the receiver uses, in memory."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.versions: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def mark_event_seen(self, channel: str, event_id: str) -> bool:
        with self._lock:
            if (channel, event_id) in self.seen:
                return False
            self.seen.add((channel, event_id))
            return True

    def resource_version(self, channel: str, key: str) -> datetime | None:
        return self.versions.get((channel, key))

    def advance_resource_version(self, channel: str, key: str, version: datetime) -> bool:
        current = self.versions.get((channel, key))
        if current is not None and version <= current:
            return False
        self.versions[(channel, key)] = version
        return True


class FakeConnector:
    """Records the targeted pulls the receiver asks for."""

    def __init__(self, base_url: str = BASE_URL) -> None:
        self.config = SimpleNamespace(
            general=SimpleNamespace(connection_name="acme-3pl"),
            credentials=SimpleNamespace(base_url=base_url),
        )
        self.store = FakeStore()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.before_call: Callable[[], None] | None = None

    def _record(self, name: str, targets: Sequence[Any] | None) -> None:
        if self.before_call is not None:
            self.before_call()
        self.calls.append((name, tuple(targets or ())))

    def receive_shipments(
        self, order_ids: Sequence[int] | None = None, handler: Any = None
    ) -> None:
        self._record("receive_shipments", order_ids)

    def receive_receipts(
        self, receiver_ids: Sequence[int] | None = None, handler: Any = None
    ) -> None:
        self._record("receive_receipts", receiver_ids)

    def receive_inventory_levels(
        self, skus: Sequence[str] | None = None, handler: Any = None
    ) -> None:
        self._record("receive_inventory_levels", skus)

    def import_products(self, skus: Sequence[str] | None = None, handler: Any = None) -> None:
        self._record("import_products", skus)


#: A captured Extensiv event payload (body shortened to what matters here).
CAPTURED_ORDER_EVENT: dict[str, Any] = {
    "tplId": 9104,
    "wmsEventId": 187450321,
    "dateTime": "2026-02-11T16:42:19.0630000",
    "eventDatetimeUtc": "2026-02-11T16:42:19.0630000",
    "warehouseTransactionEventId": 187450321,
    "createDatetimeUtc": "2026-02-11T16:43:08.2430000",
    "eventType": "OrderUpdate",
    "resource": {
        "rel": "orders/order",
        "href": "/orders/31004581?detail=OrderItems,Packages&itemdetail=All",
        "body": {
            "readOnly": {"orderId": 31004581, "isClosed": False},
            "referenceNum": "SO-1001",
            "_links": {"self": {"href": "/orders/31004581"}},
        },
    },
    "links": json.dumps(
        {
            "uiproperties/user": {"LastModifiedBy": "/uiproperties/users/2108"},
            "customers/customer": "/customers/418",
            "properties/facility": "/properties/facilities/12",
        }
    ),
    "data": json.dumps({"OrderId": "31004581"}),
    "tags": "Demo",
}


def make_event(
    event_type: str, event_id: int, when: str = "2026-02-11T16:42:19", **fields: Any
) -> dict[str, Any]:
    """A minimal notification without a resource body."""
    document: dict[str, Any] = {
        "tplId": 9104,
        "wmsEventId": event_id,
        "eventDatetimeUtc": when,
        "eventType": event_type,
    }
    document.update(fields)
    return document
