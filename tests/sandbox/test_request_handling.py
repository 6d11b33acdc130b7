"""The sandbox's per-request shortcuts answer exactly as the slower paths they replace: header
blocks read as http.client reads them, one write per response, the ``Date`` header, route
matches remembered per request line."""

from __future__ import annotations

import email.utils
import http.client
import io
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.serving import WSGIRequestHandler
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sandbox._app import _plain_answer
from extensiv_connector.sandbox._http import KeepAliveHandler, _read_headers
from extensiv_connector.sandbox._routes import ROUTES, route_map

_NAME = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=":"),
    min_size=1,
    max_size=12,
)
_VALUE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\r\n"),
    max_size=20,
)
_PLAIN_LINE = st.builds(lambda n, v: f"{n}:{v}\r\n", _NAME, _VALUE)
_ODD_LINE = st.sampled_from(
    [" folded continuation\r\n", "\tfolded\r\n", "From someone\r\n", "no colon here\r\n", "\n"]
)


def _block(lines: list[str], ending: str = "\r\n") -> bytes:
    return ("".join(lines) + ending).encode("iso-8859-1")


@given(lines=st.lists(st.one_of(_PLAIN_LINE, _PLAIN_LINE, _ODD_LINE), max_size=12))
def test_a_header_block_reads_as_http_client_reads_it(lines: list[str]) -> None:
    block = _block(lines) + b"trailing bytes the parser must not care about"

    expected = http.client.parse_headers(io.BytesIO(block))
    actual, fields = _read_headers(io.BytesIO(block), http.client.HTTPMessage)

    assert expected.items() == actual.items()
    assert expected.get_payload() == actual.get_payload()
    assert fields is None or expected.items() == fields


@given(lines=st.lists(_PLAIN_LINE, max_size=6))
def test_the_header_block_leaves_the_body_where_the_request_reader_expects_it(
    lines: list[str],
) -> None:
    stream = io.BytesIO(_block(lines) + b'{"body": 1}')

    _read_headers(stream, http.client.HTTPMessage)

    assert b'{"body": 1}' == stream.read()


def test_an_oversized_or_endless_header_block_is_refused_as_http_client_refuses_it() -> None:
    too_long = _block([f"X-Long: {'a' * 70_000}\r\n"])
    too_many = _block([f"X-{i}: v\r\n" for i in range(101)])

    with pytest.raises(http.client.LineTooLong):
        _read_headers(io.BytesIO(too_long), http.client.HTTPMessage)
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        _read_headers(io.BytesIO(too_many), http.client.HTTPMessage)


def test_oversized_headers_are_answered_431_and_the_connection_closed() -> None:
    with Sandbox(catalog_size=1) as sb:
        conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
        conn.putrequest("GET", "/customers")
        conn.putheader("X-Long", "a" * 70_000)
        conn.endheaders()
        response = conn.getresponse()
        response.read()
        conn.close()

    assert (431, "close") == (response.status, response.getheader("Connection"))


class _Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.writes.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None


class _Server:
    """What a handler reads of its server when it builds an environ or a status line."""

    _server_version = "Werkzeug/test"
    ssl_context = None
    multithread = True
    multiprocess = False
    server_address = ("127.0.0.1", 8080)
    passthrough_errors = False


def _handler(command: str = "GET") -> tuple[KeepAliveHandler, _Recorder]:
    handler = KeepAliveHandler.__new__(KeepAliveHandler)  # no socket: only the writer
    handler.server = _Server()  # type: ignore[assignment]  # the parts a handler reads
    recorder = _Recorder()
    handler.wfile = recorder  # type: ignore[assignment]  # records what would be sent
    handler.request_version = "HTTP/1.1"
    handler.requestline = f"{command} /x HTTP/1.1"
    handler.command = command
    handler.close_connection = False
    return handler, recorder


def test_a_response_leaves_in_one_write_headers_then_body() -> None:
    handler, recorder = _handler()

    handler._send("200 OK", [("Content-Type", "application/json")], b'{"a": 1}')

    assert 1 == len(recorder.writes)
    head, _, body = recorder.writes[0].partition(b"\r\n\r\n")
    assert b'{"a": 1}' == body
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nContent-Length: 8\r\n" in head + b"\r\n"
    assert b"\r\nConnection: keep-alive" in head


def test_a_head_response_sends_the_length_but_no_body() -> None:
    handler, recorder = _handler("HEAD")

    handler._send("200 OK", [], b"12345")

    assert 1 == len(recorder.writes)
    head, _, body = recorder.writes[0].partition(b"\r\n\r\n")
    assert (b"", True) == (body, b"Content-Length: 5" in head)


def test_the_date_header_is_the_current_second_in_http_form() -> None:
    handler, _ = _handler()

    before = int(time.time())
    value = handler.date_time_string()
    after = int(time.time())

    assert value in {email.utils.formatdate(t, usegmt=True) for t in range(before, after + 1)}
    assert email.utils.formatdate(86400, usegmt=True) == handler.date_time_string(86400)


def test_a_request_line_seen_before_is_routed_again_and_a_replaced_map_is_obeyed() -> None:
    with Sandbox(catalog_size=1) as sb:
        api = requests.Session()
        token = api.post(
            sb.base_url + "/AuthServer/api/Token",
            json={
                "grant_type": "client_credentials",
                "user_login_id": sb.credentials.user_login_id,
            },
            auth=(sb.credentials.client_id, sb.credentials.client_secret),
            timeout=10,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/hal+json"}

        def status(path: str) -> Any:
            return api.get(sb.base_url + path, headers=headers, timeout=10).status_code

        first, again = status("/customers"), status("/customers")
        sb.app.url_map = route_map([r for r in ROUTES if r.pattern != "/customers"])
        after_replacing = status("/customers")
        api.close()

    assert (200, 200, 404) == (first, again, after_replacing)


def _masked(writes: list[bytes]) -> bytes:
    return re.sub(rb"Date: [^\r]*", b"Date: -", b"".join(writes))


_VERSION = st.sampled_from(
    ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.1.1", "HTTP/x.1", "HTTX/1.1",
     "HTTP/01.10", "HTTP/" + "1" * 11 + ".1", "HTTP/1", ""]
)  # fmt: skip
_WORD = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF), min_size=1, max_size=8
)


@given(
    words=st.lists(
        st.one_of(_WORD, st.sampled_from(["GET", "POST", "HEAD", "/x", "//a//b", "/p?q=1"])),
        max_size=4,
    ),
    version=_VERSION,
    spaces=st.sampled_from([" ", "  ", "\t"]),
)
def test_a_request_line_parses_as_http_server_parses_it(
    words: list[str], version: str, spaces: str
) -> None:
    raw = (spaces.join([*words, version]) + "\r\n").encode("iso-8859-1")
    ours, ours_out = _handler()
    theirs, theirs_out = _handler()
    for handler in (ours, theirs):
        handler.raw_requestline = raw
        handler.close_connection = False
    theirs.rfile = io.BytesIO(b"\r\n")  # http.server then reads an empty header block

    accepted = (ours._parse_request_line(), BaseHTTPRequestHandler.parse_request(theirs))

    assert accepted[1] == accepted[0]
    seen = [
        (h.command, h.request_version, h.close_connection, h.requestline) for h in (ours, theirs)
    ]
    assert seen[1] == seen[0]
    assert (theirs.path if accepted[1] else None) == (ours.path if accepted[0] else None)
    assert _masked(theirs_out.writes) == _masked(ours_out.writes)


_TARGET = st.one_of(
    st.sampled_from(
        ["/orders", "/orders/1001?detail=All", "/a%20b?x=%C3%A4&y=%ZZ", "/p?", "/x#frag",
         "http://example.com/orders?x=1", "/%2F%2Fx", "*", "/caf\xe9?q=\xe9"]
    ),
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=16
    ).map(lambda t: "/" + t),
)  # fmt: skip


@given(
    target=_TARGET,
    lines=st.lists(
        st.one_of(
            _PLAIN_LINE,
            st.sampled_from(
                ["Content-Type: application/json\r\n", "Content-Length: 3\r\n", "X_Under: 1\r\n",
                 "X-Dup: a\r\n", "X-Dup: b\r\n", "Host: h\r\n", "Transfer-Encoding: gzip\r\n"]
            ),
        ),
        max_size=8,
    ),
    command=st.sampled_from(["GET", "POST", "HEAD"]),
)  # fmt: skip
def test_the_environ_of_a_request_is_werkzeugs(target: str, lines: list[str], command: str) -> None:
    handler, _ = _handler(command)
    handler.path = target
    handler.client_address = ("127.0.0.1", 40000)
    handler.connection = object()  # not TLS: no peer certificate
    handler.rfile = io.BytesIO(b"")  # the input, by identity
    handler.headers, handler._fields = _read_headers(
        io.BytesIO(_block(lines)), http.client.HTTPMessage
    )

    expected = WSGIRequestHandler.make_environ(handler)
    actual = handler.make_environ()

    assert expected == actual


def _old_send(handler: KeepAliveHandler, status: str, headers: Any, body: bytes) -> None:
    """The response as http.server's send_response/send_header/end_headers buffer it."""
    code_text, _, reason = status.partition(" ")
    code, length = int(code_text), len(body)
    handler.send_response(code, reason)
    for key, value in headers:
        lower = key.lower()
        if lower not in ("connection", "content-length", "transfer-encoding", "keep-alive"):
            handler.send_header(key, value)
        elif lower == "content-length" and handler.command == "HEAD" and value.isdigit():
            length = int(value)
    has_body = handler.command != "HEAD" and code not in (204, 304) and code >= 200
    if has_body or handler.command == "HEAD":
        handler.send_header("Content-Length", str(length))
    handler.send_header("Connection", "close" if handler.close_connection else "keep-alive")
    handler.end_headers()
    if has_body and body:
        handler.wfile.write(body)


@given(
    status=st.sampled_from(["200 OK", "201 CREATED", "204 NO CONTENT", "304 NOT MODIFIED",
                            "412 PRECONDITION FAILED", "500 INTERNAL SERVER ERROR", "200"]),
    headers=st.lists(
        st.tuples(
            st.sampled_from(["Content-Type", "ETag", "Location", "Content-Length", "Connection",
                             "Keep-Alive", "Transfer-Encoding", "Retry-After", "X-\xe9"]),
            st.sampled_from(["5", "x", '"AAA="', "close", "/orders/1", "caf\xe9"]),
        ),
        max_size=5,
    ),
    body=st.sampled_from([b"", b"{}", b"12345"]),
    command=st.sampled_from(["GET", "HEAD", "POST"]),
    closing=st.booleans(),
)  # fmt: skip
def test_a_response_is_the_bytes_http_server_would_send(
    status: str, headers: list[tuple[str, str]], body: bytes, command: str, closing: bool
) -> None:
    ours, ours_out = _handler(command)
    theirs, theirs_out = _handler(command)
    ours.close_connection = theirs.close_connection = closing

    ours._send(status, headers, body)
    _old_send(theirs, status, headers, body)

    assert _masked(theirs_out.writes) == _masked(ours_out.writes)
    assert theirs.close_connection == ours.close_connection


def _werkzeug_answer(response: Response, environ: dict[str, Any]) -> tuple[Any, ...]:
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.extend([status, headers])

    body = b"".join(response(environ, start_response))
    return started[0], started[1], body


@given(
    status=st.sampled_from([200, 201, 204, 304, 400, 404, 412, 500, 101]),
    headers=st.lists(
        st.tuples(
            st.sampled_from(["ETag", "Location", "Content-Location", "Retry-After", "X-A"]),
            st.sampled_from(["/orders/1001", "/customers/12/items/3", "//evil/x", "/caf\xe9",
                             "http://h/x", "/a b", "/x?y=1", '"AAAAAAAAAAE="', "1"]),
        ),
        max_size=3,
    ),
    body=st.sampled_from([b"", b"{}", b'{"a":1}', "t\xe9xt"]),
    content_type=st.sampled_from([None, "application/json; charset=utf-8", "text/plain"]),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)  # fmt: skip
def test_an_answer_reaches_the_server_as_werkzeug_hands_it_over(
    status: int,
    headers: list[tuple[str, str]],
    body: bytes | str,
    content_type: str | None,
    method: str,
) -> None:
    environ = EnvironBuilder(path="/orders", method=method).get_environ()

    def make() -> Response:
        return Response(body, status=status, headers=headers, content_type=content_type)

    plain = _plain_answer(make(), environ)

    if plain is not None:  # None: werkzeug's own path answers it
        assert _werkzeug_answer(make(), environ) == plain


def test_the_sandbox_answers_take_the_plain_path() -> None:
    environ = EnvironBuilder(path="/orders", method="POST").get_environ()
    created = Response(b"{}", status=201, headers={"ETag": '"A="', "Location": "/orders/1001"})

    assert None not in (
        _plain_answer(created, environ),
        _plain_answer(Response(b"", status=204), environ),
        _plain_answer(Response(b"x", status=404, content_type="text/plain"), environ),
    )
