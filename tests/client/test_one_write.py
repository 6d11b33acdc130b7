"""A small request body leaves in the same write as its headers.

urllib3 2 writes a request's header block and its body separately; between the two a sending
thread may wait for the GIL, and a server that reads the whole request before answering
answers that much later. Through the real transport, against a loopback server: every
request with a small ``bytes`` body is exactly one ``sendall`` of exactly the bytes the server
received, and everything else (large, empty, streamed and file bodies) still arrives whole.
"""

from __future__ import annotations

import http.server
import io
import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import vcr

from extensiv_connector.client import BearerAuth, TokenCache
from extensiv_connector.client._transport import (
    ONE_WRITE_MAX_BODY,
    TOKEN_PATH,
    ClientCredentials,
    Transport,
    TransportSettings,
)
from extensiv_connector.errors import ConnectionFailedError
from extensiv_connector.models import TokenResponse
from extensiv_connector.sandbox import Sandbox


class _Tee:
    """The handler's input stream, keeping every byte read from it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.seen = bytearray()

    def readline(self, *limit: int) -> bytes:
        line: bytes = self._stream.readline(*limit)
        self.seen += line
        return line

    def read(self, size: int) -> bytes:
        data: bytes = self._stream.read(size)
        self.seen += data
        return data

    def close(self) -> None:
        self._stream.close()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Keeps every request's raw bytes (request line, headers, body) and its decoded body."""

    protocol_version = "HTTP/1.1"
    server: _LoopbackServer
    rfile: Any

    def setup(self) -> None:
        super().setup()
        self.rfile = _Tee(self.rfile)

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while size := int(self.rfile.readline().split(b";")[0], 16):
                body += self.rfile.read(size + 2)[:-2]
            self.rfile.readline()  # the empty line after the last chunk
        else:
            body = bytearray(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.server.received.append((bytes(self.rfile.seen), bytes(body)))
        self.rfile.seen.clear()
        if self.path == TOKEN_PATH:
            answer = {"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}
        else:
            answer = {"received": len(body)}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve  # noqa: N815 - BaseHTTPRequestHandler's names

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _LoopbackServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.received: list[tuple[bytes, bytes]] = []


@pytest.fixture
def server() -> Iterator[_LoopbackServer]:
    srv = _LoopbackServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


@pytest.fixture
def client_writes(monkeypatch: pytest.MonkeyPatch, server: _LoopbackServer) -> list[bytes]:
    """Every ``sendall`` a client socket makes to ``server``, in order."""
    writes: list[bytes] = []
    port = server.server_address[1]
    real_sendall = socket.socket.sendall

    def sendall(sock: socket.socket, data: Any, *args: Any) -> None:
        if sock.getpeername()[1] == port:
            writes.append(bytes(data))
        real_sendall(sock, data, *args)

    monkeypatch.setattr(socket.socket, "sendall", sendall)
    return writes


def _transport(server: _LoopbackServer, **settings: Any) -> Transport:
    host, port = server.server_address[:2]
    return Transport(
        TransportSettings(base_url=f"http://{host!s}:{port}", **settings),
        ClientCredentials(client_id="client-abc", client_secret="s3cret-value"),
        sleep=lambda _s: None,
    )


def test_each_small_body_leaves_in_one_write_with_its_headers(
    server: _LoopbackServer, client_writes: list[bytes]
) -> None:
    transport = _transport(server)
    try:
        transport.request("POST", "/orders", body={"referenceNum": "A-1", "notes": "x" * 3000})
        transport.request("PUT", "/orders/7", body={"notes": "y"}, if_match='"v1"')
        transport.request("POST", "/orders/7/cancel", body="")  # an empty body
        transport.request("GET", "/orders/7")
    finally:
        transport.close()

    expected = [raw for raw, _body in server.received]
    assert 5 == len(expected)  # the token request, then the four above
    assert expected == client_writes


def test_over_tls_the_headers_and_body_are_one_write_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(catalog_size=1, tls=True) as sb:
        port = int(sb.base_url.rsplit(":", 1)[1].split("/", 1)[0])
        writes: list[bytes] = []
        real_sendall = ssl.SSLSocket.sendall

        def sendall(sock: ssl.SSLSocket, data: Any, flags: int = 0) -> None:
            if sock.getpeername()[1] == port:
                writes.append(bytes(data))
            real_sendall(sock, data, flags)

        monkeypatch.setattr(ssl.SSLSocket, "sendall", sendall)
        creds = sb.credentials
        transport = Transport(
            TransportSettings(base_url=sb.base_url, verify=str(sb.ca_file)),
            ClientCredentials(
                client_id=creds.client_id,
                client_secret=creds.client_secret,
                user_login_id=creds.user_login_id,
            ),
        )
        try:
            transport.request("GET", f"/customers/{creds.customer_id}")
        finally:
            transport.close()

    token_write, get_write = writes  # one write per request
    head, _, body = token_write.partition(b"\r\n\r\n")
    length = re.search(rb"\r\nContent-Length: (\d+)\r\n", head)
    assert length is not None
    expected = (b"POST " + TOKEN_PATH.encode(), len(body), b"GET ")
    assert expected == (head[: len(expected[0])], int(length[1]), get_write[:4])


def test_a_body_above_the_limit_still_arrives_whole(
    server: _LoopbackServer, client_writes: list[bytes]
) -> None:
    notes = "z" * (ONE_WRITE_MAX_BODY + 1)
    transport = _transport(server)
    try:
        transport.request("POST", "/orders", body={"notes": notes})
    finally:
        transport.close()

    (token_raw, _), (raw, body) = server.received
    expected = (token_raw, 2, raw, {"notes": notes})  # urllib3's two writes: headers, body
    actual = (client_writes[0], len(client_writes) - 1, b"".join(client_writes[1:]))
    assert expected == (*actual, json.loads(body))


def test_streamed_and_file_bodies_take_urllib3s_path_unchanged(
    server: _LoopbackServer, tmp_path: Path
) -> None:
    """The connection class serves the transport's session whatever the caller sends on it."""
    transport = _transport(server)
    session: requests.Session = transport._session  # the session the transport built
    url = transport.url("/upload")
    file = tmp_path / "body.bin"
    file.write_bytes(b"f" * 70_000)
    try:
        streamed = session.post(url, data=iter([b"part-1;", b"", b"part-2"]))
        with file.open("rb") as handle:
            from_file = session.post(url, data=handle)
        from_buffer = session.post(url, data=io.BytesIO(b"buffered"))
        text = session.post(url, data="text body")
    finally:
        transport.close()

    expected = [
        ({"received": 13}, b"part-1;part-2", True),
        ({"received": 70_000}, b"f" * 70_000, False),
        ({"received": 8}, b"buffered", False),
        ({"received": 9}, b"text body", False),
    ]
    actual = [
        (resp.json(), body, b"transfer-encoding: chunked" in raw.lower())
        for resp, (raw, body) in zip(
            [streamed, from_file, from_buffer, text], server.received, strict=True
        )
    ]
    assert expected == actual


def test_a_refused_connection_on_a_create_is_not_an_unknown_outcome() -> None:
    """The connect now happens on the joined write; it must still count as "not sent"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    transport = Transport(
        TransportSettings(base_url=f"http://127.0.0.1:{port}"),
        ClientCredentials(client_id="client-abc", client_secret="s3cret-value"),
        sleep=lambda _s: None,
    )
    transport.tokens = TokenCache(lambda: TokenResponse(access_token="tok"))
    transport.auth = BearerAuth(transport.tokens)
    try:
        with pytest.raises(ConnectionFailedError):
            transport.request("POST", "/orders", body={"a": 1}, create_reference="A-1")
    finally:
        transport.close()


def test_cassettes_record_and_replay_through_the_transports_pools(
    server: _LoopbackServer, tmp_path: Path
) -> None:
    """vcrpy swaps urllib3's connection classes; the pools must use its stubs, not ours."""
    cassette = str(tmp_path / "one.yaml")
    recorder = vcr.VCR(record_mode="once")
    transport = _transport(server)
    try:
        with recorder.use_cassette(cassette):
            recorded = transport.request("POST", "/orders", body={"referenceNum": "A-1"}).json()
    finally:
        transport.close()
    seen_live = len(server.received)

    replayer = vcr.VCR(record_mode="none")
    transport = _transport(server)
    try:
        with replayer.use_cassette(cassette):
            replayed = transport.request("POST", "/orders", body={"referenceNum": "A-1"}).json()
    finally:
        transport.close()

    # the replay (its token request too) reached no server
    assert (recorded, seen_live) == (replayed, len(server.received))
