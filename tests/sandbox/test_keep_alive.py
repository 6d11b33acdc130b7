"""The sandbox keeps HTTP/1.1 connections alive, as a real tenant does, and stays correct."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from base64 import b64encode
from concurrent.futures import ThreadPoolExecutor

import requests

from extensiv_connector.client import ExtensivClient
from extensiv_connector.sandbox import Sandbox


def _token_request(sb: Sandbox) -> tuple[bytes, dict[str, str]]:
    creds = sb.credentials
    basic = b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    body = json.dumps(
        {"grant_type": "client_credentials", "user_login_id": creds.user_login_id}
    ).encode()
    return body, {"Authorization": f"Basic {basic}", "Content-Type": "application/json"}


def test_one_connection_carries_many_requests_even_when_a_body_is_left_unread() -> None:
    with Sandbox(catalog_size=3) as sb:
        conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
        body, headers = _token_request(sb)
        conn.request("POST", "/AuthServer/api/Token", body=body, headers=headers)
        first = conn.getresponse()
        token = json.loads(first.read())["access_token"]
        sock = conn.sock
        # Refused before the body is read (no token): the body must still be drained.
        conn.request("POST", "/orders", body=b'{"referenceNum": "X"}' * 500)
        refused = conn.getresponse()
        refused.read()
        conn.request(
            "GET",
            "/inventory/stocksummaries",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/hal+json"},
        )
        summaries = conn.getresponse()
        total = json.loads(summaries.read())["totalResults"]
        last_sock = conn.sock
        conn.close()

    assert (200, "keep-alive", 401, 200, 3) == (
        first.status,
        first.getheader("Connection"),
        refused.status,
        summaries.status,
        total,
    )
    assert sock is not None
    assert sock is last_sock  # http.client would have opened a new socket after a close


def test_keep_alive_off_closes_every_connection() -> None:
    with Sandbox(catalog_size=1, keep_alive=False) as sb:
        body, headers = _token_request(sb)
        response = requests.post(sb.token_url, data=body, headers=headers, timeout=10)

    assert (200, "close") == (response.status_code, response.headers.get("Connection"))


def test_stopping_closes_idle_kept_alive_connections() -> None:
    sb = Sandbox(catalog_size=1).start()
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
    body, headers = _token_request(sb)
    conn.request("POST", "/AuthServer/api/Token", body=body, headers=headers)
    conn.getresponse().read()
    assert conn.sock is not None
    stopper = threading.Thread(target=sb.stop)

    stopper.start()
    stopper.join(timeout=10)
    after = conn.sock.recv(1)
    conn.close()

    assert (False, b"") == (stopper.is_alive(), after)


def test_concurrent_client_pages_over_kept_alive_connections_match_sequential_ones() -> None:
    with Sandbox(catalog_size=1200) as sb:
        info = sb.connection_info()
        with ExtensivClient(**info, page_concurrency=4) as client:
            sequential = [s.item_identifier.sku for s in client.inventory.stock_summaries()]
            with ThreadPoolExecutor(3) as pool:
                runs = list(
                    pool.map(
                        lambda _: [
                            s.item_identifier.sku
                            for s in client.inventory.stock_summaries(concurrency=4, page_size=100)
                        ],
                        range(3),
                    )
                )

    assert [sequential] * 3 == runs
    assert 1200 == len(sequential)


def test_tls_sandbox_keeps_its_connections_alive_too() -> None:
    with Sandbox(catalog_size=3, tls=True) as sb:
        assert sb.ca_file is not None
        context = ssl.create_default_context(cafile=sb.ca_file)
        conn = http.client.HTTPSConnection("127.0.0.1", sb.port, timeout=10, context=context)
        body, headers = _token_request(sb)
        conn.request("POST", "/AuthServer/api/Token", body=body, headers=headers)
        first = conn.getresponse()
        token = json.loads(first.read())["access_token"]
        sock = conn.sock
        conn.request(
            "GET",
            "/inventory/stocksummaries",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/hal+json"},
        )
        second = conn.getresponse()
        total = json.loads(second.read())["totalResults"]
        last_sock = conn.sock
        conn.close()

    assert (200, "keep-alive", 200, 3) == (
        first.status,
        first.getheader("Connection"),
        second.status,
        total,
    )
    assert sock is not None
    assert sock is last_sock  # one TLS connection (one handshake) carried both requests
