"""The WSGI receiver under hostile requests: 400/415 (never 500) for anything malformed, and a
fuzz run over signed bodies and headers that may only produce 2xx/4xx answers."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from werkzeug.test import Client

from extensiv_connector.webhooks import WebhookContentTypeError, WebhookReceiver, parse_event
from extensiv_connector.webhooks._events import order_id_of, receiver_id_of

from ._support import CAPTURED_ORDER_EVENT, FakeConnector, Signer, make_event

FIXTURES = Path(__file__).parents[1] / "foundation" / "fixtures"
VALID = json.dumps(CAPTURED_ORDER_EVENT).encode()
DEEP = b"[" * 1500 + b"]" * 1500


@pytest.fixture
def app(signer: Signer) -> Iterator[tuple[WebhookReceiver, Client, FakeConnector]]:
    connector = FakeConnector()
    receiver = WebhookReceiver(connector, fetch_key=lambda url: signer.key_document())
    yield receiver, Client(receiver), connector
    receiver.close()


def post(
    client: Client, signer: Signer, body: bytes, content_type: str | None = "application/json"
) -> Any:
    headers = {"Signature": signer.sign(body)}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post("/hook", data=body, headers=headers)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
    ids=["missing", "text", "form", "latin-1"],
)
def test_valid_signature_with_a_wrong_content_type_is_refused_with_415(
    app: tuple[WebhookReceiver, Client, FakeConnector], signer: Signer, content_type: str | None
) -> None:
    receiver, client, connector = app

    response = post(client, signer, VALID, content_type)
    receiver.join(5)

    assert (415, {"rejected_media_type": 1}, []) == (
        response.status_code,
        receiver.stats(),
        connector.calls,
    )


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON; charset=UTF-8", "application/hal+json"],
)
def test_json_content_types_are_accepted(
    app: tuple[WebhookReceiver, Client, FakeConnector], signer: Signer, content_type: str
) -> None:
    _receiver, client, _connector = app

    assert 200 == post(client, signer, VALID, content_type).status_code


def test_accept_checks_the_content_type_only_when_given(
    app: tuple[WebhookReceiver, Client, FakeConnector], signer: Signer
) -> None:
    receiver, _client, _connector = app

    with pytest.raises(WebhookContentTypeError):
        receiver.accept(VALID, signer.sign(VALID), content_type="text/plain")
    assert 187450321 == receiver.accept(VALID, signer.sign(VALID)).wms_event_id


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (DEEP, "$"),
        (b'{"eventType": "OrderUpdate", "wmsEventId": NaN}', "$.wmsEventId"),
        (b'{"eventType": "OrderUpdate", "wmsEventId": 1e400}', "$.wmsEventId"),
        (b'{"eventType": "OrderUpdate", "wmsEventId": 1E+1000000}', "$.wmsEventId"),
        (b'{"eventType": "OrderUpdate", "wmsEventId": 1, "tplId": Infinity}', "$.tplId"),
        (b'{"eventType": "X", "wmsEventId": 1, "data": "' + b"[" * 100 + b'"}', "$.data"),
    ],
    ids=["deep", "nan-id", "1e400-id", "huge-exponent-id", "infinite-tpl", "deep-data-string"],
)
def test_signed_hostile_bodies_are_answered_400_naming_the_path(
    app: tuple[WebhookReceiver, Client, FakeConnector], signer: Signer, body: bytes, path: str
) -> None:
    receiver, client, connector = app

    response = post(client, signer, body)
    receiver.join(5)

    assert (400, True, []) == (
        response.status_code,
        response.json["error"].startswith(path + ":"),
        connector.calls,
    )


@pytest.mark.parametrize("length", ["١٢", "1_0", "+5", "9" * 5000, "-1", " 12x"])
def test_malformed_content_length_is_answered_400(
    app: tuple[WebhookReceiver, Client, FakeConnector], length: str
) -> None:
    _receiver, client, _connector = app

    response = client.post(
        "/hook",
        data=b"{}",
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": length},
    )

    assert 400 == response.status_code


class _Broken:
    def read(self, size: int = -1) -> bytes:
        raise OSError("client went away")


def test_a_client_that_goes_away_mid_body_gets_400_not_500(
    app: tuple[WebhookReceiver, Client, FakeConnector],
) -> None:
    _receiver, client, _connector = app

    response = client.post(
        "/hook",
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": "10", "wsgi.input": _Broken()},
    )

    assert 400 == response.status_code


# -- fuzz -----------------------------------------------------------------------------------

SAMPLES = [VALID, *(p.read_bytes() for p in sorted(FIXTURES.glob("*.json")))]
TOKENS = [b"NaN", b"1e400", b"1E+1000000", b"[" * 100, b"\xff", b'"\\udc00"', b"9" * 60, b"null"]


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        if draw(st.booleans()):
            data[at:at] = draw(st.sampled_from(TOKENS))
        else:
            del data[at : at + draw(st.integers(1, 30))]
    return bytes(data)


content_types = st.one_of(
    st.none(),
    st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ";;"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),  # raise it for a long local hunt
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=bodies(), content_type=content_types, signed=st.booleans())
def test_fuzzed_requests_are_answered_2xx_or_4xx_only(
    app: tuple[WebhookReceiver, Client, FakeConnector],
    signer: Signer,
    body: bytes,
    content_type: str | None,
    signed: bool,
) -> None:
    receiver, client, _connector = app
    headers = {"Signature": signer.sign(body) if signed else "bm90IGEgc2lnbmF0dXJl"}
    if content_type is not None:
        headers["Content-Type"] = content_type

    response = client.post("/hook", data=body, headers=headers)

    assert response.status_code < 500, response.get_data()
    assert receiver.join(5)


def test_ids_too_long_to_be_ids_are_ignored_instead_of_crashing_the_worker() -> None:
    document = {
        "eventType": "OrderConfirm",
        "wmsEventId": 1,
        "data": {"OrderId": "9" * 5000, "ReceiverId": 2**70},
        "resource": {"href": "/orders/" + "9" * 5000},
    }
    event = parse_event(json.dumps(document).encode())

    assert (None, None) == (order_id_of(event), receiver_id_of(event))


# -- stateful -------------------------------------------------------------------------------


class ReceiverMachine(RuleBasedStateMachine):
    """Genuine events, redeliveries, hostile bodies and wrong content types, interleaved: every
    answer is 2xx/4xx, and exactly the genuine events pull their order, once each."""

    def __init__(self) -> None:
        super().__init__()
        self.signer = _SIGNER
        self.connector = FakeConnector()
        self.receiver = WebhookReceiver(
            self.connector, fetch_key=lambda url: _SIGNER.key_document()
        )
        self.client = Client(self.receiver)
        self.sent: list[bytes] = []
        self.expected: list[tuple[str, tuple[Any, ...]]] = []

    def post(self, body: bytes, content_type: str | None = "application/json") -> int:
        status: int = post(self.client, self.signer, body, content_type).status_code
        return status

    @rule()
    def genuine(self) -> None:
        order_id = len(self.sent) + 1
        body = json.dumps(
            make_event("OrderConfirm", 7_000_000_000 + order_id, data={"OrderId": order_id})
        ).encode()
        assert 200 == self.post(body)
        self.sent.append(body)
        self.expected.append(("receive_shipments", (order_id,)))

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        assert 200 == self.post(data.draw(st.sampled_from(self.sent)))

    @rule(body=bodies())
    def hostile_or_broken(self, body: bytes) -> None:
        status = self.post(body)
        assert status == 200 or 400 <= status < 500

    @rule(content_type=st.sampled_from([None, "text/plain", "application/xml"]))
    def wrong_content_type(self, content_type: str | None) -> None:
        order_id = 10_000 + len(self.sent)
        body = json.dumps(make_event("OrderConfirm", order_id, data={"OrderId": order_id}))
        assert 415 == self.post(body.encode(), content_type)

    @invariant()
    def only_genuine_events_pull_their_order_once(self) -> None:
        assert self.receiver.join(5)
        pulled = [call for call in self.connector.calls if call[1] and call[1][0] < 10_000]
        genuine = [call for call in pulled if call in self.expected]
        assert self.expected == genuine

    def teardown(self) -> None:
        self.receiver.close()


_SIGNER = Signer()
ReceiverMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_receiver_machine = ReceiverMachine.TestCase
