from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from extensiv_connector.webhooks import (
    PublicKeyCache,
    WebhookKeyError,
    WebhookSignatureError,
    fetch_key_document,
)

from ._support import Signer

BODY = b'{"wmsEventId": 7, "eventType": "OrderConfirm"}'


class KeyServer:
    """A scripted key endpoint: returns the documents in order, then repeats the last."""

    def __init__(self, *documents: Any) -> None:
        self.documents = list(documents)
        self.urls: list[str] = []

    def __call__(self, url: str) -> Any:
        self.urls.append(url)
        document = self.documents[0] if len(self.documents) == 1 else self.documents.pop(0)
        if isinstance(document, Exception):
            raise document
        return document


def test_key_is_fetched_once_from_base_url_and_cached(signer: Signer) -> None:
    server = KeyServer(signer.key_document())
    cache = PublicKeyCache("https://wms.test/", server)
    cache.verify(BODY, signer.sign(BODY))
    cache.verify(BODY, signer.sign(BODY))
    assert ["https://wms.test/events/webhook/key"] == server.urls
    assert "2026-03-22T17:23:38.895Z" == cache.retrieval_date


def test_rotated_key_is_fetched_again_once_and_verification_retried(
    signer: Signer, other_signer: Signer
) -> None:
    server = KeyServer(other_signer.key_document(), signer.key_document())
    cache = PublicKeyCache("https://wms.test", server)
    cache.verify(BODY, signer.sign(BODY))
    assert 2 == len(server.urls)
    assert signer.pem == cache.current()


def test_forged_signature_fails_after_one_refetch(signer: Signer, other_signer: Signer) -> None:
    server = KeyServer(signer.key_document())
    cache = PublicKeyCache("https://wms.test", server)
    with pytest.raises(WebhookSignatureError):
        cache.verify(BODY, other_signer.sign(BODY))
    assert 2 == len(server.urls)


def test_repeated_forgeries_refetch_at_most_once_per_interval(
    signer: Signer, other_signer: Signer
) -> None:
    now = [100.0]
    server = KeyServer(signer.key_document())
    cache = PublicKeyCache(
        "https://wms.test", server, min_refresh_interval=10, clock=lambda: now[0]
    )
    for _ in range(5):
        with pytest.raises(WebhookSignatureError):
            cache.verify(BODY, other_signer.sign(BODY))
    assert 2 == len(server.urls)
    now[0] += 11
    with pytest.raises(WebhookSignatureError):
        cache.verify(BODY, other_signer.sign(BODY))
    assert 3 == len(server.urls)


def test_unsigned_request_does_not_refetch(signer: Signer) -> None:
    server = KeyServer(signer.key_document())
    cache = PublicKeyCache("https://wms.test", server)
    with pytest.raises(WebhookSignatureError):
        cache.verify(BODY, "")
    assert 1 == len(server.urls)


@pytest.mark.parametrize(
    "document",
    [{"retrievalDateISO": "x"}, {"publicKey": ""}, [1, 2], 42, ConnectionError("down")],
)
def test_unusable_key_document_raises_key_error(document: Any) -> None:
    cache = PublicKeyCache("https://wms.test", KeyServer(document))
    with pytest.raises(WebhookKeyError):
        cache.current()


def test_pascal_case_document_and_bare_pem_are_accepted(signer: Signer) -> None:
    for document in ({"PublicKey": signer.pem.decode()}, signer.pem.decode(), signer.pem):
        cache = PublicKeyCache("https://wms.test", KeyServer(document))
        assert signer.pem == cache.current()


def test_concurrent_failures_after_rotation_fetch_the_key_once_more(
    signer: Signer, other_signer: Signer
) -> None:
    server = KeyServer(other_signer.key_document(), signer.key_document())
    cache = PublicKeyCache("https://wms.test", server)
    cache.current()
    signature = signer.sign(BODY)
    errors: list[BaseException] = []

    def check() -> None:
        try:
            cache.verify(BODY, signature)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert ([], 2) == (errors, len(server.urls))


@pytest.fixture
def key_endpoint(signer: Signer) -> Iterator[tuple[str, list[Request]]]:
    seen: list[Request] = []

    @Request.application
    def app(request: Request) -> Response:
        seen.append(request)
        if request.path != "/events/webhook/key":
            return Response("no", status=404)
        return Response(
            json.dumps({"publicKey": signer.pem.decode()}), content_type="application/json"
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}", seen
    finally:
        server.shutdown()
        thread.join(5)


def test_default_fetcher_gets_the_key_without_auth(
    signer: Signer, key_endpoint: tuple[str, list[Request]]
) -> None:
    base_url, seen = key_endpoint
    cache = PublicKeyCache(base_url)
    assert signer.pem == cache.current()
    assert [None] == [request.headers.get("Authorization") for request in seen]


def test_default_fetcher_reports_http_errors(key_endpoint: tuple[str, list[Request]]) -> None:
    base_url, _ = key_endpoint
    with pytest.raises(WebhookKeyError, match="HTTP 404"):
        fetch_key_document(base_url + "/nowhere")
