"""The transport's lean path (straight through its urllib3 pool) and requests' path behave
alike: the same bytes on the wire, the same answer, the same typed error for the same fault.
Each case runs twice against one loopback server, once per path (``transport._lean = None``
forces requests'); what requests' path does is the expectation. Anything the lean path does
not handle goes to requests' path: one test per reason."""

from __future__ import annotations

import gzip
import json
import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from extensiv_connector.client import RetryPolicy
from extensiv_connector.client._lean import LeanResponse, request_target
from extensiv_connector.client._transport import (
    TOKEN_PATH,
    ClientCredentials,
    Transport,
    TransportSettings,
)
from extensiv_connector.errors import (
    ConnectionFailedError,
    ExtensivError,
    OutcomeUnknownError,
    TimeoutError_,
    WireFormatError,
)

_TOKEN = json.dumps({"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})

#: What the server does with a request: bytes to send back, or a function given the socket
#: that ends the connection its own way.
Action = bytes | Callable[[socket.socket], None]


def answer(
    status: int = 200,
    body: bytes | str = b"",
    headers: list[tuple[str, str]] | None = None,
    *,
    length: int | None = None,
) -> bytes:
    data = body.encode() if isinstance(body, str) else body
    head = [f"HTTP/1.1 {status} Whatever"]
    head += [f"{name}: {value}" for name, value in headers or []]
    if not any(name.lower() == "transfer-encoding" for name, _ in headers or []):
        head.append(f"Content-Length: {len(data) if length is None else length}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data


def _json_answer(doc: Any, content_type: str = "application/hal+json; charset=utf-8") -> bytes:
    return answer(200, json.dumps(doc), [("Content-Type", content_type)])


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, act: Callable[[bytes], Action]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.act = act
        self.received: list[bytes] = []
        self.stop = threading.Event()
        self.connection_ended = threading.Event()  # a handler saw its connection end

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            self._serve()
        finally:
            self.server.connection_ended.set()

    def _serve(self) -> None:
        reader = self.request.makefile("rb")
        while True:
            head = reader.readline()
            if not head:
                return
            length = 0
            while True:
                line = reader.readline()
                head += line
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            raw = head + reader.read(length)
            self.server.received.append(raw)
            if raw.startswith(b"POST " + TOKEN_PATH.encode() + b" "):
                action: Action = _json_answer(json.loads(_TOKEN), "application/json")
            else:
                action = self.server.act(raw)
            if callable(action):
                action(self.request)
                return
            self.request.sendall(action)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[bytes], Action]], _Server]]:
    servers: list[_Server] = []

    def start(act: Callable[[bytes], Action]) -> _Server:
        server = _Server(act)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop.set()
        server.shutdown()
        server.server_close()


def _transport(base_url: str, *, lean: bool, **settings: Any) -> Transport:
    transport = Transport(
        TransportSettings(base_url=base_url, **settings),
        ClientCredentials(client_id="client-abc", client_secret="s3cret-value"),
        sleep=lambda _s: None,
        rand=lambda: 0.5,
    )
    if lean:
        assert transport._lean is not None
    else:
        transport._lean = None
    return transport


def _requests_sends(transport: Transport) -> list[str]:
    """The URLs of the attempts that took requests' path, as they go."""
    sent: list[str] = []
    real_send = transport._send_with_requests

    def send(call: Any, headers: dict[str, str]) -> requests.Response:
        sent.append(call.url)
        return real_send(call, headers)

    transport._send_with_requests = send  # type: ignore[method-assign]
    return sent


def _both(server: _Server, run: Callable[[Transport], Any], **settings: Any) -> list[Any]:
    """``run`` on the lean path, then on requests' path: [(result, received), ...]."""
    results = []
    for lean in (True, False):
        server.received.clear()
        transport = _transport(server.base_url, lean=lean, **settings)
        sent = _requests_sends(transport)
        try:
            result = run(transport)
        finally:
            transport.close()
        if lean:
            assert [] == sent  # nothing took requests' path
        results.append((result, list(server.received)))
    return results


# -- the request -----------------------------------------------------------------------------

_CALLS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/customers",
        "params": {
            "pgsiz": 100,
            "pgnum": 2,
            "rql": "name==Ä x;sku=='a&b'",
            "detail": ["All", "Extra", None],
            "dropped": None,
            "bytes": b"r\xc3\xa4w",
            "ключ": "значение",
        },
    },
    {"method": "GET", "path": "/orders?pgnum=1", "params": {"pgsiz": 5}},
    {"method": "GET", "path": "/odd path/é", "params": {"a": "b"}},
    {"method": "GET", "path": "/x%41y/./z", "params": None},
    {"method": "POST", "path": "/orders", "body": {"referenceNum": "Ü-1", "notes": "x" * 3000}},
    {"method": "PUT", "path": "/orders/7", "body": {"notes": "y"}, "if_match": '"v1"'},
    {"method": "POST", "path": "/orders/7/cancel", "body": ""},
    {"method": "DELETE", "path": "/orders/7"},
    {"method": "GET", "path": "/orders", "accept": "application/json"},
]


@pytest.mark.parametrize("call", _CALLS, ids=lambda c: f"{c['method']} {c['path']}")
def test_both_paths_put_the_same_bytes_on_the_wire(
    serve: Callable[[Callable[[bytes], Action]], _Server], call: dict[str, Any]
) -> None:
    server = serve(lambda raw: _json_answer({"ok": True}))

    def run(transport: Transport) -> Any:
        return transport.request(**call).json()

    (lean_result, lean_wire), (expected_result, expected_wire) = _both(server, run)
    assert 2 == len(expected_wire)  # the token request (basic credentials), then the call
    assert (expected_result, expected_wire) == (lean_result, lean_wire)


_URL_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)
_PATHS = st.lists(
    st.sampled_from(["orders", "a b", "%41", ".", "..", "é", "x;y", "q?r", "#f", "~u", ""]),
    max_size=4,
).map(lambda parts: "/" + "/".join(parts))
_VALUES = st.none() | _URL_TEXT | st.integers() | st.binary(max_size=4)
_PARAMS = st.none() | st.dictionaries(
    _URL_TEXT, _VALUES | st.lists(_VALUES, max_size=3), max_size=4
)


@settings(max_examples=300, deadline=None)
@given(path=_PATHS, params=_PARAMS)
def test_the_url_is_the_one_prepare_url_makes(path: str, params: dict[str, Any] | None) -> None:
    origin = "https://wms.test:8443"
    url = origin + path
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, params)
    expected = (prepared.url, prepared.path_url)
    assert expected == request_target(origin, url, params)


def test_a_url_on_another_origin_has_no_target() -> None:
    expected = (None, None)
    actual = (
        request_target("http://a.test:80", "http://a.test:8080/x", None),
        request_target("http://a.test", "http://b.test/x", {"q": 1}),
    )
    assert expected == actual


# -- the answer ------------------------------------------------------------------------------

_GZIPPED = gzip.compress('{"zipped": "ü"}'.encode())
_ANSWERS: dict[str, bytes | Callable[[socket.socket], None]] = {
    "/hal": _json_answer({"name": "Ünïcode ✓"}),
    "/no-charset": answer(200, '{"name": "ü"}', [("Content-Type", "application/hal+json")]),
    "/latin": answer(200, "caf\xe9".encode("latin-1"), [("Content-Type", "text/plain")]),
    "/repeated": answer(
        200,
        "{}",
        [("X-Dup", "one"), ("x-dup", "two"), ("etag", '"e1"'), ("Content-Type", "text/json")],
    ),
    "/chunked": answer(
        200,
        b'5\r\n{"a":\r\n3\r\n "b\r\n2\r\n"}\r\n0\r\n\r\n',
        [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
    ),
    "/gzip": answer(
        200, _GZIPPED, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    ),
    "/no-content": b"HTTP/1.1 204 No Content\r\n\r\n",
    "/folded": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Folded: a\r\n  b\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    ),
}


def _until_close(data: bytes) -> Callable[[socket.socket], None]:
    def send(sock: socket.socket) -> None:
        sock.sendall(data)
        sock.close()

    return send


_ANSWERS["/until-close"] = _until_close(
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"x": 1}'
)


@pytest.mark.parametrize("path", list(_ANSWERS))
def test_both_paths_give_the_same_answer(
    serve: Callable[[Callable[[bytes], Action]], _Server], path: str
) -> None:
    server = serve(lambda raw: _ANSWERS[raw.split(b" ")[1].decode()])

    def run(transport: Transport) -> Any:
        response = transport.request("GET", path)
        headers = response.headers
        try:
            doc = response.json()
        except WireFormatError as exc:
            doc = str(exc)
        return (
            response.status,
            type(headers).__name__,
            sorted((k.lower(), v) for k, v in headers.items()),
            headers.get("ETAG"),
            response.text,
            doc,
        )

    (lean, _), (expected, _) = _both(server, run)
    assert expected == lean


@pytest.mark.parametrize(
    "reply",
    [
        answer(404, '{"message": "no such order"}', [("Content-Type", "application/json")]),
        answer(503, "busy", [("Content-Type", "text/plain"), ("Retry-After", "0")]),
        answer(401, "", []),
    ],
    ids=["404", "503", "401"],
)
def test_both_paths_raise_the_same_error_for_an_error_answer(
    serve: Callable[[Callable[[bytes], Action]], _Server], reply: bytes
) -> None:
    server = serve(lambda raw: reply)

    def run(transport: Transport) -> Any:
        with pytest.raises(ExtensivError) as caught:
            transport.request("GET", "/orders/7")
        return type(caught.value).__name__, str(caught.value)

    (lean, lean_wire), (expected, expected_wire) = _both(
        server, run, retry=RetryPolicy(max_attempts=2)
    )
    assert (expected, len(expected_wire)) == (lean, len(lean_wire))


def test_a_lean_response_reads_as_a_requests_response() -> None:
    headers = requests.structures.CaseInsensitiveDict({"Content-Type": "application/json"})
    response = LeanResponse(200, headers, b'{"a": 1.5}', "OK", "http://x.test/")
    expected = ('{"a": 1.5}', {"a": 1.5}, "utf-8", "<LeanResponse [200]>")
    assert expected == (response.text, response.json(), response.encoding, repr(response))


# -- faults ----------------------------------------------------------------------------------


def _reset_after(data: bytes) -> Callable[[socket.socket], None]:
    def send(sock: socket.socket) -> None:
        sock.sendall(data)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    return send


def _silent(server_stop: threading.Event, first: bytes = b"") -> Callable[[socket.socket], None]:
    def wait(sock: socket.socket) -> None:
        sock.sendall(first)
        server_stop.wait(10)

    return wait


_HALF = answer(200, b'{"partial": ', [("Content-Type", "application/json")], length=100)
_FAULTS: dict[str, tuple[Callable[[_Server], Action], type[ExtensivError]]] = {
    "reset mid-body": (lambda s: _reset_after(_HALF), ConnectionFailedError),
    "reset before the answer": (lambda s: _reset_after(b""), ConnectionFailedError),
    "short body": (lambda s: _until_close(_HALF), ConnectionFailedError),
    "read timeout": (lambda s: _silent(s.stop), TimeoutError_),
    "read timeout mid-body": (lambda s: _silent(s.stop, _HALF), TimeoutError_),
    "broken chunk": (
        lambda s: answer(200, b"zz\r\nxx\r\n", [("Transfer-Encoding", "chunked")]),
        ConnectionFailedError,
    ),
    "bad gzip": (
        lambda s: answer(200, b"not gzip", [("Content-Encoding", "gzip")]),
        ConnectionFailedError,
    ),
    "not http": (lambda s: _until_close(b"SSH-2.0-OpenSSH\r\n\r\n"), ConnectionFailedError),
}


@pytest.mark.parametrize("fault", list(_FAULTS))
@pytest.mark.parametrize("create", [False, True], ids=["get", "create"])
def test_a_fault_maps_to_the_same_typed_error_on_both_paths(
    serve: Callable[[Callable[[bytes], Action]], _Server], fault: str, create: bool
) -> None:
    make, expected_type = _FAULTS[fault]
    server = serve(lambda raw: make(server))

    def run(transport: Transport) -> Any:
        options: dict[str, Any] = {"body": {"a": 1}, "create_reference": "R-1"}
        method, path = ("POST", "/orders") if create else ("GET", "/orders/7")
        with pytest.raises(ExtensivError) as caught:
            transport.request(method, path, **(options if create else {}))
        error = caught.value
        cause = error.__cause__
        return type(error), str(error), type(cause).__name__

    (lean, lean_wire), (expected, expected_wire) = _both(
        server, run, read_timeout=0.3, retry=RetryPolicy(max_attempts=2, base_delay=0)
    )
    assert (expected, len(expected_wire)) == (lean, len(lean_wire))
    assert (OutcomeUnknownError if create else expected_type) is lean[0]


def test_a_refused_connection_is_not_sent_on_both_paths() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once the block ends
    results = []
    for lean in (True, False):
        transport = _transport(f"http://127.0.0.1:{port}", lean=lean)
        try:
            with pytest.raises(ExtensivError) as caught:
                transport.request("POST", "/orders", body={"a": 1}, create_reference="R-1")
        finally:
            transport.close()
        results.append((type(caught.value), str(caught.value)))
    lean_result, expected = results
    assert expected == lean_result
    assert ConnectionFailedError is lean_result[0]  # not sent: no unknown outcome


# -- what takes requests' path ---------------------------------------------------------------


def _ok(raw: bytes) -> Action:
    return _json_answer({"ok": True})


def test_a_hosts_session_takes_requests_path() -> None:
    transport = Transport(
        TransportSettings(base_url="http://127.0.0.1:9"),
        ClientCredentials(client_id="c", client_secret="s"),
        session=requests.Session(),
    )
    assert None is transport._lean


def test_a_base_url_requests_would_rewrite_takes_requests_path() -> None:
    bases = ["http://LOCALHOST:9/api", "http://user:pw@localhost:9", "http://bücher.example"]
    credentials = ClientCredentials(client_id="c", client_secret="s")
    transports = [Transport(TransportSettings(base_url=base), credentials) for base in bases]
    assert [None] * 3 == [transport._lean for transport in transports]


class _Other(HTTPAdapter):
    """Another adapter mounted for the API: it decides how to send."""


_SESSION_CHANGES: dict[str, Callable[[requests.Session, str], object]] = {
    "a cookie in the jar": lambda s, u: s.cookies.set("sid", "1", domain="127.0.0.1", path="/"),
    "a response hook": lambda s, u: s.hooks["response"].append(lambda r, **k: r),
    "session auth": lambda s, u: setattr(s, "auth", ("user", "pass")),
    "session params": lambda s, u: setattr(s, "params", {"tenant": "7"}),
    "streamed responses": lambda s, u: setattr(s, "stream", True),
    "the environment read again": lambda s, u: setattr(s, "trust_env", True),
    "a proxy": lambda s, u: s.proxies.update({"http": u}),  # the server proxies itself
    "another adapter": lambda s, u: s.mount(u, _Other()),
    "a replaced Session.send": lambda s, u: setattr(s, "send", s.send),
}


@pytest.mark.parametrize("change", list(_SESSION_CHANGES))
def test_a_session_requests_must_act_on_takes_requests_path(
    serve: Callable[[Callable[[bytes], Action]], _Server],
    change: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = serve(_ok)
    transport = _transport(server.base_url, lean=True)
    transport.tokens.token()
    _SESSION_CHANGES[change](transport._session, server.base_url)
    sent = _requests_sends(transport)
    try:
        transport.request("GET", "/orders/7")
    finally:
        transport.close()
    assert [server.base_url + "/orders/7"] == [url.split("?")[0] for url in sent]


def test_a_patched_adapter_send_takes_requests_path(
    serve: Callable[[Callable[[bytes], Action]], _Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the responses library patches it: what it intercepts must reach it."""
    server = serve(_ok)
    transport = _transport(server.base_url, lean=True)
    transport.tokens.token()
    seen: list[str] = []
    real_send = HTTPAdapter.send

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        seen.append(request.url or "")
        return real_send(adapter, request, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    try:
        transport.request("GET", "/orders/7")
    finally:
        transport.close()
    assert [server.base_url + "/orders/7"] == seen


def test_a_url_on_another_host_takes_requests_path(
    serve: Callable[[Callable[[bytes], Action]], _Server],
) -> None:
    server = serve(_ok)
    transport = _transport(server.base_url, lean=True)
    transport.tokens.token()
    sent = _requests_sends(transport)
    other = server.base_url.replace("127.0.0.1", "localhost") + "/orders/7"
    try:
        transport.request("GET", other)
    finally:
        transport.close()
    assert [other] == sent


def _cookie_then_ok(raw: bytes) -> Action:
    if raw.startswith(b"GET /login "):
        return answer(200, "{}", [("Set-Cookie", "sid=abc; Path=/"), ("Content-Type", "a/b")])
    return _json_answer({"cookie": "sid=abc" in raw.decode()})


def test_a_set_cookie_is_kept_as_requests_keeps_it(
    serve: Callable[[Callable[[bytes], Action]], _Server],
) -> None:
    server = serve(_cookie_then_ok)

    def run(transport: Transport) -> Any:
        transport.request("GET", "/login")
        jar = dict(transport._session.cookies)
        return jar, transport.request("GET", "/orders").json()

    (lean, lean_wire), (expected, expected_wire) = _both_allowing_requests(server, run)
    assert ({"sid": "abc"}, {"cookie": True}) == expected
    assert (expected, expected_wire) == (lean, lean_wire)


def _redirect_then_ok(raw: bytes) -> Action:
    if raw.startswith(b"GET /old "):
        return answer(301, "", [("Location", "/new?x=1")])
    return _json_answer({"at": raw.split(b" ")[1].decode()})


def test_a_redirect_is_followed_as_requests_follows_it(
    serve: Callable[[Callable[[bytes], Action]], _Server],
) -> None:
    server = serve(_redirect_then_ok)

    def run(transport: Transport) -> Any:
        return transport.request("GET", "/old").json()

    (lean, lean_wire), (expected, expected_wire) = _both_allowing_requests(server, run)
    assert {"at": "/new?x=1"} == expected
    assert (expected, expected_wire) == (lean, lean_wire)


def _both_allowing_requests(server: _Server, run: Callable[[Transport], Any]) -> list[Any]:
    """As :func:`_both`, where the lean path hands an answer to requests' after-work."""
    results = []
    for lean in (True, False):
        server.received.clear()
        transport = _transport(server.base_url, lean=lean)
        try:
            results.append((run(transport), list(server.received)))
        finally:
            transport.close()
    return results


@pytest.mark.parametrize("lean", [True, False])
def test_close_closes_the_kept_alive_connection_while_the_transport_is_still_referenced(
    serve: Callable[[Callable[[bytes], Action]], _Server], lean: bool
) -> None:
    server = serve(_ok)
    transport = _transport(server.base_url, lean=lean)
    transport.request("GET", "/customers")
    assert not server.connection_ended.is_set()  # kept alive for the next request

    transport.close()

    # bounded liveness wait, not a timing assertion: the server sees EOF once the socket closes
    assert server.connection_ended.wait(30)
    assert transport is not None  # still referenced: closing, not collecting, ended it
