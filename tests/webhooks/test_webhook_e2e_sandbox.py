"""End to end on loopback: the sandbox's webhook sender POSTs signed events to a served receiver.

The sandbox's ``WebhookSender`` builds payloads in Extensiv's captured shape (``links``/``data``
as JSON strings, 7-digit timestamps, HAL body) and signs them with its own RSA key, which the
receiver fetches as it would fetch ``/events/webhook/key``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

from extensiv_connector.sandbox import Notification, WebhookSender
from extensiv_connector.webhooks import WebhookReceiver

from ._support import FakeConnector

TOKEN = "k7Qm2-path-token"


def order_note(order_id: int, event_type: str = "OrderConfirm") -> Notification:
    return Notification(
        event_type=event_type,
        kind="order",
        rel="orders/order",
        href=f"/orders/{order_id}?detail=OrderItems,Packages",
        doc={"readOnly": {"orderId": order_id, "isClosed": True}, "referenceNum": "SO-1"},
        data={"OrderId": str(order_id)},
        tags="Shipped",
    )


class Loop:
    def __init__(self, connector: FakeConnector) -> None:
        self.connector = connector
        self.sender = WebhookSender(
            tpl_id=9104, customer_id=418, facility_id=12, render=lambda note: dict(note.doc)
        )
        self.receiver = WebhookReceiver(
            connector, path_token=TOKEN, fetch_key=lambda url: self.sender.key_document()
        )
        self.server = make_server("127.0.0.1", 0, self.receiver, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.port}/extensiv/events"
        self.sender.destination = f"{self.base}/{TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def settle(self) -> None:
        assert self.sender.wait_idle(10)
        assert self.receiver.join(10)

    def statuses(self) -> list[int | None]:
        return [delivery.status for delivery in self.sender.deliveries]

    def close(self) -> None:
        self.sender.close()
        self.server.shutdown()
        self.thread.join(5)
        self.receiver.close()


@pytest.fixture
def loop(connector: FakeConnector) -> Iterator[Loop]:
    running = Loop(connector)
    yield running
    running.close()


def test_sandbox_events_trigger_targeted_pulls(loop: Loop, connector: FakeConnector) -> None:
    loop.sender.emit(
        [
            order_note(31004581),
            Notification(
                event_type="ReceiverConfirm",
                kind="receiver",
                rel="inventory/receiver",
                href="/inventory/receivers/77?detail=ReceiveItems",
                doc={"readOnly": {"receiverId": 77}},
                data={"ReceiverId": "77"},
            ),
            Notification(
                event_type="InventorySummaryUpdate",
                kind="summary",
                rel="inventory/stocksummary",
                href="/inventory/stocksummaries?rql=itemIdentifier.id==5",
                doc={"itemIdentifier": {"id": 5, "sku": "WIDGET"}, "available": 3},
                data={"ItemId": "5", "Sku": "WIDGET"},
            ),
            Notification(
                event_type="ItemUpdate",
                kind="item",
                rel="customers/item",
                href="/customers/418/items/5",
                doc={"itemId": 5, "sku": "WIDGET"},
                data={"ItemId": "5"},
            ),
        ]
    )
    loop.settle()
    assert [200, 200, 200, 200] == loop.statuses()
    assert [
        ("receive_shipments", (31004581,)),
        ("receive_receipts", (77,)),
        ("receive_inventory_levels", ("WIDGET",)),
        ("import_products", ("WIDGET",)),
    ] == connector.calls


def test_redelivered_event_is_processed_once(loop: Loop, connector: FakeConnector) -> None:
    loop.sender.emit([order_note(5)])
    loop.settle()
    loop.sender.resend(loop.sender.deliveries[0].wms_event_id)
    loop.settle()
    assert ([200, 200], [("receive_shipments", (5,))]) == (loop.statuses(), connector.calls)


def test_out_of_order_delivery_skips_the_older_event(loop: Loop, connector: FakeConnector) -> None:
    loop.sender.hold()
    loop.sender.emit([order_note(6, "OrderUpdate")])
    time.sleep(0.002)  # the sandbox stamps events with the clock; make the second one newer
    loop.sender.emit([order_note(6, "OrderConfirm")])
    loop.sender.release(reverse=True)
    loop.settle()
    assert ([200, 200], [("receive_shipments", (6,))]) == (loop.statuses(), connector.calls)
    assert 1 == loop.receiver.stats()["stale"]


def test_events_signed_with_another_key_are_refused(loop: Loop, connector: FakeConnector) -> None:
    forger = WebhookSender(
        tpl_id=9104,
        customer_id=418,
        facility_id=12,
        render=lambda note: dict(note.doc),
        key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        destination=loop.sender.destination,
    )
    try:
        forger.emit([order_note(7)])
        assert forger.wait_idle(10)
    finally:
        forger.close()
    loop.settle()
    assert ([403], []) == ([d.status for d in forger.deliveries], connector.calls)


def test_wrong_path_token_is_not_found(loop: Loop, connector: FakeConnector) -> None:
    loop.sender.destination = f"{loop.base}/guessed-token"
    loop.sender.emit([order_note(8)])
    loop.settle()
    assert ([404], []) == (loop.statuses(), connector.calls)


def test_event_without_body_fetches_the_item_by_href(connector: FakeConnector) -> None:
    def unused(_: Any) -> dict[str, Any]:
        raise AssertionError("not rendered without include_resource")

    sender = WebhookSender(
        tpl_id=9104, customer_id=418, facility_id=12, render=unused, include_resource=False
    )
    receiver = WebhookReceiver(
        connector,
        fetch_key=lambda url: sender.key_document(),
        fetch_resource=lambda href: {"itemId": 5, "sku": "FROM-HREF"},
    )
    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    sender.destination = f"http://127.0.0.1:{server.port}/hook"
    try:
        sender.emit(
            [
                Notification(
                    event_type="ItemCreate",
                    kind="item",
                    rel="customers/item",
                    href="/customers/418/items/5",
                    doc={},
                    data={"ItemId": "5"},
                )
            ]
        )
        assert sender.wait_idle(10)
        assert receiver.join(10)
    finally:
        sender.close()
        server.shutdown()
        thread.join(5)
        receiver.close()
    assert [("import_products", ("FROM-HREF",))] == connector.calls


def test_full_sandbox_warehouse_changes_reach_the_receiver() -> None:
    from extensiv_connector.sandbox import Sandbox

    with Sandbox(catalog_size=2, initial_stock=10) as sb:
        served = FakeConnector(base_url=sb.base_url)  # the key comes from the sandbox over HTTP
        receiver = WebhookReceiver(served, path_token=TOKEN)
        server = make_server("127.0.0.1", 0, receiver, threaded=True)
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        sb.webhooks.destination = f"http://127.0.0.1:{server.port}/events/{TOKEN}"
        try:
            sku = sb.warehouse.item_record(sb.warehouse.find_item_id("SKU-000001") or 0).doc["sku"]
            sb.warehouse.adjust_stock(sku, 5)
            sb.warehouse.add_item("NEW-ITEM-1", "a new item")
            assert sb.webhooks.wait_idle(10)
            assert receiver.join(10)
        finally:
            server.shutdown()
            thread.join(5)
            receiver.close()
        statuses = {delivery.status for delivery in sb.webhooks.deliveries}
    assert {200} == statuses
    assert 1 == receiver.keys.fetch_count
    assert [("receive_inventory_levels", (sku,)), ("import_products", ("NEW-ITEM-1",))] == [
        call for call in served.calls if call[0] in ("receive_inventory_levels", "import_products")
    ]
