from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from extensiv_connector.sandbox import Notification, Sandbox, Warehouse

from .conftest import Api


class Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[bytes, dict[str, str]]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((body, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.posts]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def hooked(extensiv_sandbox: Sandbox, receiver: Receiver) -> Sandbox:
    extensiv_sandbox.webhooks.destination = receiver.url
    return extensiv_sandbox


def public_key(sb: Sandbox) -> rsa.RSAPublicKey:
    doc = requests.get(sb.base_url + "/events/webhook/key", timeout=5).json()
    assert doc["retrievalDateISO"].endswith("Z")
    key = serialization.load_pem_public_key(doc["publicKey"].encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def test_events_are_signed_over_the_raw_body(hooked: Sandbox, receiver: Receiver) -> None:
    api = Api(hooked)
    oid = api.create_order("SO-WH", {"SKU-000001": 1}).json()["readOnly"]["orderId"]
    hooked.warehouse.ship_order(oid)
    assert hooked.webhooks.wait_idle()
    key = public_key(hooked)
    for body, headers in receiver.posts:
        key.verify(
            base64.b64decode(headers["Signature"]), body, padding.PKCS1v15(), hashes.SHA256()
        )
    types = [e["eventType"] for e in receiver.events()]
    assert [
        "OrderCreate",
        "InventorySummaryUpdate",
        "OrderConfirm",
        "InventorySummaryUpdate",
    ] == types
    confirm = receiver.events()[2]
    assert {"OrderId": str(oid)} == json.loads(confirm["data"])
    assert json.loads(confirm["links"])["customers/customer"] == "/customers/12"
    assert ("orders/order", "Shipped", True) == (
        confirm["resource"]["rel"],
        confirm["tags"],
        confirm["resource"]["body"]["readOnly"]["isClosed"],
    )
    assert len(confirm["eventDatetimeUtc"].split(".")[1]) == 7
    assert {"tplId", "wmsEventId", "createDatetimeUtc"} <= set(confirm)


def test_receiver_item_and_cancel_events(hooked: Sandbox, receiver: Receiver) -> None:
    wh = hooked.warehouse
    wh.add_item("HOOK-1")
    wh.receive({"HOOK-1": 3})
    oid = Api(hooked).create_order("SO-CX", {"HOOK-1": 1}).json()["readOnly"]["orderId"]
    wh.cancel_order(oid)
    assert hooked.webhooks.wait_idle()
    types = {e["eventType"] for e in receiver.events()}
    assert {"ItemCreate", "ReceiverConfirm", "InventorySummaryUpdate", "OrderCancel"} <= types


def test_resend_delivers_a_duplicate_and_release_can_reverse_order(
    hooked: Sandbox, receiver: Receiver
) -> None:
    hooks = hooked.webhooks
    hooks.hold()
    hooked.warehouse.adjust_stock("SKU-000001", 1)
    hooked.warehouse.adjust_stock("SKU-000002", 1)
    assert hooks.wait_idle()
    assert [] == receiver.posts
    hooks.release(reverse=True)
    assert hooks.wait_idle()
    ids = [e["wmsEventId"] for e in receiver.events()]
    assert ids == sorted(ids, reverse=True)
    hooks.resend(ids[0])
    assert hooks.wait_idle()
    assert receiver.posts[-1][0] == receiver.posts[0][0]


def test_no_destination_means_no_delivery(extensiv_sandbox: Sandbox) -> None:
    extensiv_sandbox.warehouse.adjust_stock("SKU-000001", 1)
    assert ([], []) == (extensiv_sandbox.webhooks.events, extensiv_sandbox.webhooks.deliveries)


def test_failed_delivery_is_recorded(extensiv_sandbox: Sandbox) -> None:
    extensiv_sandbox.webhooks.destination = "http://127.0.0.1:9/closed"
    extensiv_sandbox.warehouse.adjust_stock("SKU-000001", 1)
    assert extensiv_sandbox.webhooks.wait_idle()
    delivery = extensiv_sandbox.webhooks.deliveries[0]
    assert (None, "InventorySummaryUpdate") == (delivery.status, delivery.event_type)


def test_changes_made_while_nobody_listens_send_no_notification() -> None:
    emitted: list[Notification] = []
    listening = [False]
    wh = Warehouse(
        customer_id=12, facility_id=3, emit=emitted.extend, listening=lambda: listening[0]
    )
    wh.add_item("A")
    wh.receive({"A": 5})
    listening[0] = True

    wh.adjust_stock("A", 1)

    assert [("InventorySummaryUpdate", Decimal(6))] == [
        (n.event_type, n.doc["onHand"]) for n in emitted
    ]


def test_a_warehouse_without_a_listening_check_notifies_every_change() -> None:
    emitted: list[Notification] = []
    wh = Warehouse(customer_id=12, facility_id=3, emit=emitted.extend)

    wh.add_item("A")
    wh.receive({"A": 5})

    assert ["ItemCreate", "ReceiverConfirm", "InventorySummaryUpdate"] == [
        n.event_type for n in emitted
    ]
