"""End to end with a real ``Connector``: the sandbox warehouse emits signed event notifications to
a ``WebhookReceiver`` served on loopback, which verifies them, acknowledges, and pulls the
affected resource through the connector into the host callbacks.

Every test starts a small sandbox, a ``Connector`` over a ``MemoryStore`` and the receiver built
by ``connector.webhook_receiver(...)``, served by werkzeug in a thread. The receiver fetches the
sandbox's public key from ``/events/webhook/key`` over HTTP, as it would from Extensiv.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.serving import make_server

from extensiv_connector.errors import ConfigError
from extensiv_connector.models import (
    InventoryLevel,
    Product,
    Receipt,
    ReceiptLine,
    SalesOrder,
    Shipment,
    WebhookEvent,
)
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import Connector, MemoryStore, hold_lease, targeted_lease_name
from extensiv_connector.webhooks import WebhookReceiver

from .. import factories

TOKEN = "Xq3v-path-token-9Lm"


def sales_order(number: str, sku: str = "SKU-000001", qty: int = 2) -> SalesOrder:
    return factories.sales_order(number, (sku, qty), ordered_at=datetime(2026, 3, 1, 9))


class Loop:
    """Sandbox -> HTTP -> receiver -> real Connector -> host callbacks."""

    def __init__(self, sb: Sandbox, settings: dict[str, Any], **receiver_options: Any) -> None:
        self.sb = sb
        config = factories.channel_config(
            sb.connection_info(),
            connection_name="e2e",
            environ={},
            **{"webhooks": {"enabled": True, "path_token": TOKEN}, **settings},
        )
        self.connector = Connector(config, store=MemoryStore())
        self.shipments: list[Shipment] = []
        self.receipts: list[Receipt] = []
        self.levels: list[InventoryLevel] = []
        self.products: list[Product] = []
        self.failures: list[tuple[str, str]] = []
        self.receiver: WebhookReceiver = self.connector.webhook_receiver(
            on_shipment=self.shipments.append,
            on_receipt=self.receipts.append,
            on_inventory_level=self.levels.append,
            on_product=self.products.append,
            on_error=self._failed,
            **receiver_options,
        )
        self.server = make_server("127.0.0.1", 0, self.receiver, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}/extensiv/events/{TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        sb.webhooks.destination = self.url

    def _failed(self, event: WebhookEvent, exc: BaseException) -> None:
        self.failures.append((event.event_type, type(exc).__name__))

    def settle(self) -> None:
        assert self.sb.webhooks.wait_idle(10)
        assert self.receiver.join(10)

    def push(self, *orders: SalesOrder) -> list[int]:
        result = self.connector.push_orders(orders)
        ids = [outcome.remote_id for outcome in result.outcomes]
        assert all(isinstance(i, int) for i in ids), result
        return [i for i in ids if i is not None]

    def statuses(self, event_type: str) -> list[int | None]:
        return [d.status for d in self.sb.webhooks.deliveries if d.event_type == event_type]

    def event_id(self, event_type: str) -> int:
        (found,) = [
            e["wmsEventId"] for e in self.sb.webhooks.events if e["eventType"] == event_type
        ]
        return int(found)

    def close(self) -> None:
        self.sb.webhooks.destination = None
        self.server.shutdown()
        self.thread.join(5)
        self.receiver.close()
        self.connector.close()


LoopFactory = Callable[..., Loop]


@pytest.fixture
def make_loop() -> Iterator[LoopFactory]:
    with ExitStack() as stack:

        def build(
            *,
            sandbox: dict[str, Any] | None = None,
            settings: dict[str, Any] | None = None,
            **receiver_options: Any,
        ) -> Loop:
            sb = stack.enter_context(Sandbox(catalog_size=3, initial_stock=10, **(sandbox or {})))
            loop = Loop(sb, settings or {}, **receiver_options)
            stack.callback(loop.close)
            return loop

        yield build


@pytest.fixture
def loop(make_loop: LoopFactory) -> Loop:
    return make_loop()


# ---------------------------------------------------------------------- built-in actions


def test_shipped_order_reaches_on_shipment_through_its_confirm_event(loop: Loop) -> None:
    (order_id,) = loop.push(sales_order("SO-100"))
    loop.settle()
    loop.sb.warehouse.ship_order(order_id, tracking_number="1ZE2E0000000001")
    loop.settle()

    assert [200] == loop.statuses("OrderConfirm")
    assert [("SO-100", order_id, ("1ZE2E0000000001",))] == [
        (s.order_number, s.order_id, s.tracking_numbers) for s in loop.shipments
    ]
    assert [("SKU-000001", Decimal(2))] == [
        (line.sku, line.shipped_quantity) for line in loop.shipments[0].lines
    ]
    assert [] == loop.failures


def test_canceled_order_reaches_on_shipment_as_a_cancellation(loop: Loop) -> None:
    (order_id,) = loop.push(sales_order("SO-101"))
    loop.sb.warehouse.cancel_order(order_id)
    loop.settle()

    assert [200] == loop.statuses("OrderCancel")
    assert [("SO-101", "canceled")] == [(s.order_number, s.status.value) for s in loop.shipments]


def test_confirmed_receiver_reaches_on_receipt(loop: Loop) -> None:
    sent = loop.connector.send_receipts(
        [
            Receipt(
                reference="ASN-7",
                lines=[ReceiptLine(sku="SKU-000002", expected_quantity=5, line_reference="1")],
            )
        ]
    )
    receiver_id = sent.outcomes[0].remote_id
    assert receiver_id is not None
    loop.sb.warehouse.confirm_receiver(receiver_id, received={"SKU-000002": 4})
    loop.settle()

    assert [200] == loop.statuses("ReceiverConfirm")
    assert [("ASN-7", receiver_id, "SKU-000002", Decimal(5), Decimal(4))] == [
        (r.reference, r.receiver_id, line.sku, line.expected_quantity, line.received_quantity)
        for r in loop.receipts
        for line in r.lines
    ]


def test_inventory_summary_event_delivers_that_skus_level(loop: Loop) -> None:
    loop.sb.warehouse.adjust_stock("SKU-000003", 5)
    loop.settle()

    assert [200] == loop.statuses("InventorySummaryUpdate")
    assert [("SKU-000003", Decimal(15))] == [(lvl.sku, lvl.available) for lvl in loop.levels]


def test_item_event_imports_that_product(loop: Loop) -> None:
    loop.sb.warehouse.add_item("NEW-ITEM-1", "a new widget")
    loop.settle()

    assert [200] == loop.statuses("ItemCreate")
    assert [("NEW-ITEM-1", "a new widget")] == [(p.sku, p.description) for p in loop.products]


def test_event_without_body_is_resolved_by_fetching_its_href_through_the_connector(
    make_loop: LoopFactory,
) -> None:
    loop = make_loop(sandbox={"webhook_include_resource": False})
    loop.sb.warehouse.add_item("BARE-ITEM-1", "sent without a resource body")
    loop.settle()

    assert "body" not in loop.sb.webhooks.events[-1]["resource"]
    assert ["BARE-ITEM-1"] == [p.sku for p in loop.products]


def test_events_naming_warehouse_skus_reach_the_host_under_its_mapped_skus(
    make_loop: LoopFactory,
) -> None:
    mapping = {"entries": [{"host_sku": "WIDGET-RED", "channel_sku": "SKU-000001"}]}
    loop = make_loop(settings={"sku_mappings": mapping})
    loop.sb.warehouse.adjust_stock("SKU-000001", 1)
    loop.settle()

    assert [("WIDGET-RED", Decimal(11))] == [(lvl.sku, lvl.available) for lvl in loop.levels]


def test_host_handlers_run_after_the_built_in_action(loop: Loop) -> None:
    seen: list[tuple[str, int]] = []
    loop.receiver.register(
        "OrderConfirm", lambda event: seen.append((event.event_type, len(loop.shipments)))
    )
    (order_id,) = loop.push(sales_order("SO-102"))
    loop.sb.warehouse.ship_order(order_id)
    loop.settle()

    assert [("OrderConfirm", 1)] == seen


# ---------------------------------------------------------------------- refused deliveries


def test_confirm_signed_with_another_key_is_refused_and_not_processed(loop: Loop) -> None:
    (order_id,) = loop.push(sales_order("SO-200"))
    loop.settle()
    loop.sb.webhooks.hold()  # the genuine confirm is built and signed, never delivered
    loop.sb.warehouse.ship_order(order_id)
    genuine = loop.sb.webhooks.payloads[loop.event_id("OrderConfirm")]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = base64.b64encode(forger.sign(genuine, padding.PKCS1v15(), hashes.SHA256()))

    response = requests.post(loop.url, data=genuine, headers={"Signature": forged}, timeout=5)
    loop.settle()

    assert 403 == response.status_code
    assert [] == loop.shipments
    assert 1 == loop.receiver.stats()["rejected_signature"]
    # the refusal re-fetched the key once (rotation check), and no more than once
    assert 2 == loop.receiver.keys.fetch_count


def test_unsigned_and_altered_deliveries_are_refused_and_not_processed(loop: Loop) -> None:
    (order_id,) = loop.push(sales_order("SO-201"))
    loop.settle()
    loop.sb.webhooks.hold()
    loop.sb.warehouse.ship_order(order_id)
    genuine = loop.sb.webhooks.payloads[loop.event_id("OrderConfirm")]
    signature = loop.sb.webhooks.sign(genuine)
    altered = genuine.replace(b'"OrderConfirm"', b'"OrderCancel"')
    assert altered != genuine
    accepted_before = loop.receiver.stats()["accepted"]

    unsigned = requests.post(loop.url, data=genuine, timeout=5)
    tampered = requests.post(loop.url, data=altered, headers={"Signature": signature}, timeout=5)
    loop.settle()

    assert (401, 403) == (unsigned.status_code, tampered.status_code)
    assert [] == loop.shipments
    stats = loop.receiver.stats()
    assert (accepted_before, 1, 1) == (
        stats["accepted"],
        stats["rejected_unsigned"],
        stats["rejected_signature"],
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b'["an", "array"]',
        b'{"wmsEventId": 1, "tplId": 9104}',
        b'{"eventType": "OrderConfirm", "wmsEventId": 2, "eventDatetimeUtc": "yesterday"}',
        b'{"eventType": "OrderConfirm", "wmsEventId": 3, "data": "{not json"}',
        '{"eventType": "OrderConfirm", "wmsEventId": 4, "tags": "\u00e9"}'.encode("latin-1"),
        b"[" * 1500 + b"]" * 1500,
        b'{"eventType": "OrderConfirm", "wmsEventId": NaN}',
        b'{"eventType": "OrderConfirm", "wmsEventId": 1e400}',
        b'{"eventType": "OrderConfirm", "wmsEventId": 5, "data": {"OrderId": 1E+1000000}}',
    ],
    ids=[
        "not-json",
        "array",
        "no-event-type",
        "bad-time",
        "bad-data",
        "not-utf8",
        "nested-1500",
        "nan-id",
        "1e400-id",
        "huge-exponent",
    ],
)
def test_signed_malformed_payload_is_refused_and_not_processed(loop: Loop, body: bytes) -> None:
    headers = {"Signature": loop.sb.webhooks.sign(body), "Content-Type": "application/json"}
    response = requests.post(loop.url, data=body, headers=headers, timeout=5)
    loop.settle()

    assert 400 == response.status_code
    assert {"rejected_malformed": 1} == loop.receiver.stats()


def test_genuine_delivery_with_a_wrong_content_type_is_refused_415_and_not_processed(
    loop: Loop,
) -> None:
    (order_id,) = loop.push(sales_order("SO-203"))
    loop.settle()
    loop.sb.webhooks.hold()
    loop.sb.warehouse.ship_order(order_id)
    genuine = loop.sb.webhooks.payloads[loop.event_id("OrderConfirm")]
    headers = {"Signature": loop.sb.webhooks.sign(genuine), "Content-Type": "text/plain"}

    response = requests.post(loop.url, data=genuine, headers=headers, timeout=5)
    loop.settle()

    assert (415, [], 1) == (
        response.status_code,
        loop.shipments,
        loop.receiver.stats()["rejected_media_type"],
    )


def test_wrong_path_token_is_not_found(loop: Loop) -> None:
    loop.sb.webhooks.destination = loop.url.replace(TOKEN, "guessed")
    (order_id,) = loop.push(sales_order("SO-202"))
    loop.sb.warehouse.ship_order(order_id)
    loop.settle()

    assert [404] == loop.statuses("OrderConfirm")
    assert [] == loop.shipments


# ---------------------------------------------------------------------- replay and ordering


def test_replayed_confirm_is_handled_once(loop: Loop) -> None:
    handled: list[int | str] = []
    loop.receiver.register("OrderConfirm", lambda event: handled.append(event.wms_event_id))
    (order_id,) = loop.push(sales_order("SO-300"))
    loop.sb.warehouse.ship_order(order_id)
    loop.settle()
    confirm = loop.event_id("OrderConfirm")
    loop.sb.webhooks.resend(confirm)
    loop.sb.webhooks.resend(confirm)
    loop.settle()

    assert [200, 200, 200] == loop.statuses("OrderConfirm")
    assert ["SO-300"] == [s.order_number for s in loop.shipments]
    assert [confirm] == [int(i) for i in handled]
    assert 2 == loop.receiver.stats()["duplicate"]


def test_older_events_arriving_after_newer_ones_are_skipped(make_loop: LoopFactory) -> None:
    loop = make_loop(sandbox={"options": WarehouseOptions(allocation="none")})
    updates: list[int | str] = []
    loop.receiver.register("OrderUpdate", lambda event: updates.append(event.wms_event_id))
    (order_id,) = loop.push(sales_order("SO-301"))
    loop.settle()
    loop.sb.webhooks.hold()
    loop.sb.warehouse.allocate_order(order_id)  # OrderUpdate + InventorySummaryUpdate (older)
    loop.sb.warehouse.ship_order(order_id)  # OrderConfirm + InventorySummaryUpdate (newer)
    loop.sb.webhooks.release(reverse=True)
    loop.settle()

    assert ["InventorySummaryUpdate", "OrderConfirm", "InventorySummaryUpdate", "OrderUpdate"] == [
        d.event_type for d in loop.sb.webhooks.deliveries[-4:]
    ]
    assert {200} == {d.status for d in loop.sb.webhooks.deliveries}
    assert ["SO-301"] == [s.order_number for s in loop.shipments]
    assert [] == updates  # the late OrderUpdate was skipped, its handler never ran
    assert [Decimal(8)] == [lvl.available for lvl in loop.levels]  # only the newest level
    assert 2 == loop.receiver.stats()["stale"]


# ---------------------------------------------------------------------- webhooks and polling


def test_shipment_delivered_by_webhook_is_not_delivered_again_by_polling(loop: Loop) -> None:
    (order_id,) = loop.push(sales_order("SO-400"))
    loop.sb.warehouse.ship_order(order_id)
    loop.settle()
    assert ["SO-400"] == [s.order_number for s in loop.shipments]

    polled: list[Shipment] = []
    first = loop.connector.receive_shipments(handler=polled.append)
    second = loop.connector.receive_shipments(handler=polled.append)

    assert ([], 1, 1) == (polled, first.skipped, second.skipped)


def test_targeted_pull_does_not_move_the_polling_watermark(make_loop: LoopFactory) -> None:
    loop = make_loop(settings={"sync": {"overlap_minutes": 0}})
    missed_id, hooked_id = loop.push(sales_order("SO-401"), sales_order("SO-402"))
    loop.settle()
    loop.sb.webhooks.destination = None  # this confirm's webhook is lost
    loop.sb.warehouse.ship_order(missed_id)
    loop.sb.webhooks.destination = loop.url
    loop.sb.warehouse.ship_order(hooked_id)  # modified later than the missed one
    loop.settle()
    assert ["SO-402"] == [s.order_number for s in loop.shipments]

    polled: list[Shipment] = []
    result = loop.connector.receive_shipments(handler=polled.append)

    assert (["SO-401"], 1) == ([s.order_number for s in polled], result.skipped)


def test_webhook_pull_runs_beside_a_running_poll(loop: Loop) -> None:
    (order_id,) = loop.push(sales_order("SO-402"))
    loop.settle()
    connector = loop.connector
    with hold_lease(connector.store, connector.channel, "receive_shipments"):
        loop.sb.warehouse.ship_order(order_id)
        loop.settle()  # targeted pulls hold their own lease: no waiting for the poll
        delivered_during_poll = [s.order_number for s in loop.shipments]

    assert (["SO-402"], []) == (delivered_during_poll, loop.failures)


def test_webhook_pull_waits_for_another_targeted_pull_to_release_the_lease(loop: Loop) -> None:
    (order_id,) = loop.push(sales_order("SO-403"))
    loop.settle()
    connector = loop.connector
    targeted = targeted_lease_name("receive_shipments")
    with hold_lease(connector.store, connector.channel, targeted):
        loop.sb.warehouse.ship_order(order_id)
        assert loop.sb.webhooks.wait_idle(10)
        assert not loop.receiver.join(0.2)  # still waiting for the other targeted pull
        assert [] == loop.shipments
    loop.settle()

    assert (["SO-403"], []) == ([s.order_number for s in loop.shipments], loop.failures)


def test_webhook_pull_gives_up_after_lease_wait_and_polling_delivers_it(
    make_loop: LoopFactory,
) -> None:
    loop = make_loop(lease_wait_seconds=0.1)
    (order_id,) = loop.push(sales_order("SO-404"))
    loop.settle()
    connector = loop.connector
    targeted = targeted_lease_name("receive_shipments")
    with hold_lease(connector.store, connector.channel, targeted):
        loop.sb.warehouse.ship_order(order_id)
        loop.settle()
    polled = connector.receive_shipments()

    assert [("OrderConfirm", "LeaseHeldError")] == loop.failures
    assert 1 == loop.receiver.stats()["failed"]
    assert ([], ["SO-404"]) == (loop.shipments, [s.order_number for s in polled.records])


# ---------------------------------------------------------------------- settings


def test_channel_with_webhooks_disabled_gets_no_receiver() -> None:
    with Sandbox(catalog_size=0) as sb:
        config = sb.config
        assert config.webhooks.enabled is False
        with (
            Connector(config, store=MemoryStore()) as connector,
            pytest.raises(ConfigError) as raised,
        ):
            connector.webhook_receiver()

    assert "webhooks.enabled" == raised.value.path


def test_concurrent_genuine_and_hostile_deliveries_each_genuine_shipment_arrives_once(
    loop: Loop,
) -> None:
    ids = loop.push(*(sales_order(f"SO-3{i:02d}") for i in range(4)))
    loop.settle()
    loop.sb.webhooks.hold()
    for order_id in ids:
        loop.sb.warehouse.ship_order(order_id)
    genuine = [
        loop.sb.webhooks.payloads[e["wmsEventId"]]
        for e in loop.sb.webhooks.events
        if e["eventType"] == "OrderConfirm"
    ]
    hostile = [
        b"[" * 1500 + b"]" * 1500,
        b'{"eventType": "OrderConfirm", "wmsEventId": NaN}',
        b'{"eventType": "OrderConfirm", "wmsEventId": 1E+1000000}',
    ]
    # well-formed, so acknowledged; its id is no id, which must not crash the worker
    unresolvable = b'{"eventType": "OrderConfirm", "wmsEventId": 9, "data": {"OrderId": "'
    unresolvable += b"9" * 5000 + b'"}}'
    # every genuine payload twice (Extensiv redelivers), every other one three times
    bodies = [*(genuine * 2), *(hostile * 3), *([unresolvable] * 3)]
    answers: dict[bytes, list[int]] = {body: [] for body in bodies}
    lock = threading.Lock()

    def deliver(body: bytes) -> None:
        headers = {"Signature": loop.sb.webhooks.sign(body), "Content-Type": "application/json"}
        status = requests.post(loop.url, data=body, headers=headers, timeout=10).status_code
        with lock:
            answers[body].append(status)

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    loop.settle()

    assert {body: [200, 200] for body in genuine} == {body: answers[body] for body in genuine}
    assert {body: [400, 400, 400] for body in hostile} == {body: answers[body] for body in hostile}
    assert [200, 200, 200] == answers[unresolvable]
    # a shipment without an order id sorts as -1, which no pushed order has
    shipped = sorted(-1 if s.order_id is None else s.order_id for s in loop.shipments)
    assert (sorted(ids), []) == (shipped, loop.failures)
