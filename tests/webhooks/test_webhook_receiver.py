from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from extensiv_connector.config import Secret, WebhookSettings
from extensiv_connector.models import WebhookEvent
from extensiv_connector.webhooks import EventOutcome, WebhookReceiver, parse_event

from ._support import FakeConnector, Signer, make_event

Factory = Callable[..., dict[str, Any]]


class Harness:
    """A receiver under werkzeug's test client, with helpers to post signed events."""

    def __init__(self, receiver: WebhookReceiver, signer: Signer) -> None:
        self.receiver = receiver
        self.client = Client(receiver)
        self.signer = signer

    def post(self, document: Any, *, path: str = "/hook", signature: str | None = None) -> Any:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        sig = self.signer.sign(body) if signature is None else signature
        headers = {"Signature": sig} if sig else {}
        return self.client.post(path, data=body, headers=headers, content_type="application/json")

    def settle(self) -> None:
        assert self.receiver.join(5)


@pytest.fixture
def harness(connector: FakeConnector, signer: Signer) -> Iterator[Harness]:
    receiver = WebhookReceiver(connector, fetch_key=lambda url: signer.key_document())
    yield Harness(receiver, signer)
    receiver.close()


def test_signed_order_event_is_acknowledged_then_pulls_that_order(
    harness: Harness, connector: FakeConnector, order_event: dict[str, Any]
) -> None:
    response = harness.post(order_event)
    harness.settle()
    assert (200, "accepted") == (response.status_code, response.json["status"])
    assert [("receive_shipments", (31004581,))] == connector.calls


@pytest.mark.parametrize(
    ("event_type", "fields", "call"),
    [
        (
            "OrderConfirm",
            {"data": '{"OrderId":"5"}', "tags": "Shipped"},
            ("receive_shipments", (5,)),
        ),
        ("OrderCancel", {"resource": {"href": "/orders/6"}}, ("receive_shipments", (6,))),
        ("ReceiverConfirm", {"data": {"ReceiverId": 7}}, ("receive_receipts", (7,))),
        (
            "InventorySummaryUpdate",
            {"resource": {"body": {"itemIdentifier": {"sku": "W-1"}}}},
            ("receive_inventory_levels", ("W-1",)),
        ),
        ("ItemCreate", {"resource": {"body": {"sku": "W-2"}}}, ("import_products", ("W-2",))),
    ],
)
def test_each_event_kind_triggers_its_targeted_pull(
    harness: Harness,
    connector: FakeConnector,
    event_type: str,
    fields: dict[str, Any],
    call: tuple[str, tuple[Any, ...]],
) -> None:
    assert 200 == harness.post(make_event(event_type, 1, **fields)).status_code
    harness.settle()
    assert [call] == connector.calls


def test_unsigned_request_is_401_and_not_processed(
    harness: Harness, connector: FakeConnector, order_event: dict[str, Any]
) -> None:
    response = harness.post(order_event, signature="")
    harness.settle()
    stats = harness.receiver.stats()
    assert (401, [], 1) == (response.status_code, connector.calls, stats["rejected_unsigned"])
    assert "accepted" not in stats


def test_forged_request_is_403_and_not_processed(
    harness: Harness, connector: FakeConnector, other_signer: Signer, order_event: dict[str, Any]
) -> None:
    body = json.dumps(order_event).encode()
    response = harness.post(body, signature=other_signer.sign(body))
    harness.settle()
    assert (403, []) == (response.status_code, connector.calls)
    text = response.get_data(as_text=True)
    assert [] == [secret for secret in ("SO-1001", body.decode()[:30], "BEGIN") if secret in text]


def test_garbage_signature_is_403(harness: Harness, order_event: dict[str, Any]) -> None:
    assert 403 == harness.post(order_event, signature="%%%not-base64").status_code


def test_signed_but_malformed_payload_is_400_naming_the_path(
    harness: Harness, connector: FakeConnector
) -> None:
    response = harness.post(make_event("OrderConfirm", 1, data="{broken"))
    harness.settle()
    assert (400, []) == (response.status_code, connector.calls)
    assert "$.data" in response.json["error"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405(harness: Harness, method: str) -> None:
    response = harness.client.open("/hook", method=method)
    assert (405, "POST") == (response.status_code, response.headers["Allow"])


def test_oversized_body_is_413_before_verification(
    connector: FakeConnector, signer: Signer
) -> None:
    fetches: list[str] = []

    def fetch(url: str) -> Any:
        fetches.append(url)
        return signer.key_document()

    receiver = WebhookReceiver(connector, fetch_key=fetch, max_body_bytes=100)
    harness = Harness(receiver, signer)
    response = harness.post(make_event("OrderConfirm", 1, notes="x" * 200))
    assert (413, []) == (response.status_code, fetches)


def test_replayed_event_is_acknowledged_but_processed_once(
    harness: Harness, connector: FakeConnector, order_event: dict[str, Any]
) -> None:
    statuses = [harness.post(order_event).status_code for _ in range(3)]
    harness.settle()
    assert [200, 200, 200] == statuses
    assert [("receive_shipments", (31004581,))] == connector.calls
    assert (1, 2) == (harness.receiver.stats()["processed"], harness.receiver.stats()["duplicate"])


def test_older_event_for_the_same_order_arriving_late_is_skipped(
    harness: Harness, connector: FakeConnector
) -> None:
    newer = make_event("OrderConfirm", 2, when="2026-02-11T17:00:00", data={"OrderId": 9})
    older = make_event("OrderUpdate", 1, when="2026-02-11T16:00:00", data={"OrderId": 9})
    other = make_event("OrderUpdate", 3, when="2026-02-11T15:00:00", data={"OrderId": 10})
    for document in (newer, older, other):
        assert 200 == harness.post(document).status_code
    harness.settle()
    assert [("receive_shipments", (9,)), ("receive_shipments", (10,))] == connector.calls
    assert 1 == harness.receiver.stats()["stale"]


def test_events_with_the_same_time_are_both_processed(
    harness: Harness, connector: FakeConnector
) -> None:
    for event_id in (1, 2):
        harness.post(make_event("OrderUpdate", event_id, data={"OrderId": 9}))
    harness.settle()
    assert [("receive_shipments", (9,))] * 2 == connector.calls


def test_path_token_is_required_when_configured(
    connector: FakeConnector, signer: Signer, order_event: dict[str, Any]
) -> None:
    receiver = WebhookReceiver(
        connector, path_token=Secret("s3cr3t-t0ken"), fetch_key=lambda url: signer.key_document()
    )
    harness = Harness(receiver, signer)
    statuses = [
        harness.post(order_event, path=path).status_code
        for path in ("/hooks/wrong", "/hooks/", "/hooks/s3cr3t-t0ke", "/hooks/s3cr3t-t0ken")
    ]
    harness.settle()
    assert [404, 404, 404, 200] == statuses
    assert [("receive_shipments", (31004581,))] == connector.calls
    assert "s3cr3t" not in repr(receiver)
    receiver.close()


def test_token_key_url_and_size_limit_come_from_the_channel_webhook_settings(
    connector: FakeConnector, signer: Signer
) -> None:
    urls: list[str] = []

    def fetch(url: str) -> Any:
        urls.append(url)
        return signer.key_document()

    connector.config.webhooks = WebhookSettings(
        enabled=True,
        path_token=Secret("from-config"),
        public_key_url="https://keys.test/events/webhook/key",
        max_body_bytes=400,
    )
    receiver = WebhookReceiver(connector, fetch_key=fetch)
    harness = Harness(receiver, signer)
    statuses = [
        harness.post(make_event("OrderCreate", 1), path="/h/x").status_code,
        harness.post(make_event("OrderCreate", 2), path="/h/from-config").status_code,
        harness.post(
            make_event("OrderCreate", 3, pad="x" * 400), path="/h/from-config"
        ).status_code,
    ]
    receiver.close()
    assert [404, 200, 413] == statuses
    assert ["https://keys.test/events/webhook/key"] == urls


def test_registered_handlers_run_after_the_built_in_action(
    harness: Harness, connector: FakeConnector
) -> None:
    seen: list[tuple[str, int]] = []
    harness.receiver.register("OrderConfirm", lambda e: seen.append(("confirm", e.wms_event_id)))
    harness.receiver.register("*", lambda e: seen.append(("any", e.wms_event_id)))
    harness.post(make_event("OrderConfirm", 1, data={"OrderId": 3}))
    harness.post(make_event("OrderPickJobDone", 2, data={"OrderId": 3}))
    harness.settle()
    assert [("confirm", 1), ("any", 1), ("any", 2)] == seen
    assert [("receive_shipments", (3,))] == connector.calls


def test_handler_can_replace_the_built_in_action(
    harness: Harness, connector: FakeConnector
) -> None:
    seen: list[int] = []
    harness.receiver.register(
        "ordercancel", lambda e: seen.append(e.wms_event_id), replace_default=True
    )
    harness.post(make_event("OrderCancel", 4, data={"OrderId": 3}))
    harness.settle()
    assert ([4], []) == (seen, connector.calls)


def test_unknown_event_type_is_acknowledged_and_left_unhandled(
    harness: Harness, connector: FakeConnector
) -> None:
    response = harness.post(make_event("AssemblyConfirm", 1))
    harness.settle()
    assert (200, [], 1) == (
        response.status_code,
        connector.calls,
        harness.receiver.stats()["unhandled"],
    )


def test_event_without_body_or_ids_fetches_the_resource_by_href(
    connector: FakeConnector, signer: Signer
) -> None:
    fetched: list[str] = []

    def fetch_resource(href: str) -> dict[str, Any]:
        fetched.append(href)
        return {"itemId": 5, "sku": "FETCHED-SKU"}

    receiver = WebhookReceiver(
        connector, fetch_key=lambda url: signer.key_document(), fetch_resource=fetch_resource
    )
    harness = Harness(receiver, signer)
    harness.post(
        make_event("ItemUpdate", 1, resource={"rel": "items/item", "href": "/customers/1/items/5"})
    )
    harness.settle()
    assert (["/customers/1/items/5"], [("import_products", ("FETCHED-SKU",))]) == (
        fetched,
        connector.calls,
    )
    receiver.close()


def test_event_without_body_and_no_fetcher_is_unresolved(
    harness: Harness, connector: FakeConnector
) -> None:
    harness.post(make_event("ItemUpdate", 1, resource={"href": "/customers/1/items/5"}))
    harness.settle()
    assert ([], 1) == (connector.calls, harness.receiver.stats()["unresolved"])


def test_acknowledges_before_processing_finishes(
    harness: Harness, connector: FakeConnector
) -> None:
    release = threading.Event()

    def block() -> None:
        release.wait(5)

    connector.before_call = block
    # The action blocks until released, so an answer that waited for it could not arrive here
    # with no call made; how long the answer took is a benchmark's business, not this test's.
    response = harness.post(make_event("OrderConfirm", 1, data={"OrderId": 3}))
    assert (200, [], False) == (response.status_code, connector.calls, harness.receiver.join(0.05))
    release.set()
    harness.settle()
    assert [("receive_shipments", (3,))] == connector.calls


def test_full_queue_answers_503_so_extensiv_retries(
    connector: FakeConnector, signer: Signer
) -> None:
    started, release = threading.Event(), threading.Event()

    def block() -> None:
        started.set()
        release.wait(5)

    connector.before_call = block
    receiver = WebhookReceiver(connector, fetch_key=lambda url: signer.key_document(), queue_size=1)
    harness = Harness(receiver, signer)

    def post(n: int) -> int:
        return int(harness.post(make_event("OrderConfirm", n, data={"OrderId": n})).status_code)

    statuses = [post(1)]
    assert started.wait(5)  # the worker holds event 1; the queue is empty again
    statuses += [post(2), post(3)]
    release.set()
    assert receiver.join(5)
    statuses.append(post(3))  # Extensiv's retry of the refused delivery
    assert receiver.join(5)
    receiver.close()
    assert [200, 200, 503, 200] == statuses
    assert [(n,) for n in (1, 2, 3)] == [targets for _, targets in connector.calls]


def test_key_endpoint_down_answers_503_without_processing(
    connector: FakeConnector, signer: Signer
) -> None:
    def down(url: str) -> Any:
        raise ConnectionError("no route")

    receiver = WebhookReceiver(connector, fetch_key=down)
    response = Harness(receiver, signer).post(make_event("OrderConfirm", 1, data={"OrderId": 1}))
    assert (503, "30", []) == (
        response.status_code,
        response.headers["Retry-After"],
        connector.calls,
    )


def test_rotated_key_is_picked_up_by_the_endpoint(
    connector: FakeConnector, signer: Signer, other_signer: Signer
) -> None:
    keys = [other_signer.key_document(), signer.key_document()]
    receiver = WebhookReceiver(
        connector, fetch_key=lambda url: keys.pop(0) if len(keys) > 1 else keys[0]
    )
    harness = Harness(receiver, signer)
    response = harness.post(make_event("OrderConfirm", 1, data={"OrderId": 2}))
    harness.settle()
    assert (200, [("receive_shipments", (2,))]) == (response.status_code, connector.calls)
    receiver.close()


def test_failing_pull_is_reported_and_the_worker_keeps_going(
    harness: Harness, connector: FakeConnector
) -> None:
    errors: list[tuple[int, str]] = []
    failures = iter([RuntimeError("boom")])

    def flaky() -> None:
        exc = next(failures, None)
        if exc is not None:
            raise exc

    connector.before_call = flaky
    receiver = harness.receiver
    receiver._on_error = lambda event, exc: errors.append((event.wms_event_id, type(exc).__name__))
    harness.post(make_event("OrderConfirm", 1, data={"OrderId": 1}))
    harness.post(make_event("OrderConfirm", 2, data={"OrderId": 2}))
    harness.settle()
    assert ([(1, "RuntimeError")], [("receive_shipments", (2,))]) == (errors, connector.calls)
    assert 1 == receiver.stats()["failed"]


def test_lazy_pull_results_are_drained(connector: FakeConnector, signer: Signer) -> None:
    pulled: list[int] = []

    def lazy(order_ids: Any = None, handler: Any = None) -> Iterator[int]:
        for order_id in order_ids:
            pulled.append(order_id)
            yield order_id

    # swapped on purpose for a generator the receiver must drain; it returns ids, not a result
    connector.receive_shipments = lazy  # type: ignore[method-assign,assignment]
    receiver = WebhookReceiver(connector, fetch_key=lambda url: signer.key_document())
    assert EventOutcome.PROCESSED == receiver.process(
        parse_event(make_event("OrderConfirm", 1, data={"OrderId": 8}))
    )
    assert [8] == pulled


def test_process_reports_each_outcome(connector: FakeConnector, signer: Signer) -> None:
    receiver = WebhookReceiver(connector, fetch_key=lambda url: signer.key_document())
    events: list[WebhookEvent] = [
        parse_event(make_event("OrderConfirm", 1, when="2026-01-02T00:00:00", data={"OrderId": 1})),
        parse_event(make_event("OrderConfirm", 1, when="2026-01-02T00:00:00", data={"OrderId": 1})),
        parse_event(make_event("OrderUpdate", 2, when="2026-01-01T00:00:00", data={"OrderId": 1})),
        parse_event(make_event("OrderPickJobDone", 3)),
    ]
    assert [
        EventOutcome.PROCESSED,
        EventOutcome.DUPLICATE,
        EventOutcome.STALE,
        EventOutcome.UNHANDLED,
    ] == [receiver.process(event) for event in events]


def test_chunked_body_without_length_is_read_up_to_the_limit(
    harness: Harness, connector: FakeConnector, signer: Signer
) -> None:
    body = json.dumps(make_event("OrderConfirm", 1, data={"OrderId": 4})).encode()
    environ_overrides = {"wsgi.input_terminated": True}
    response = harness.client.post(
        "/hook",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Signature": signer.sign(body), "Transfer-Encoding": "chunked"},
        environ_overrides=environ_overrides,
    )
    harness.settle()
    assert (200, [("receive_shipments", (4,))]) == (response.status_code, connector.calls)
