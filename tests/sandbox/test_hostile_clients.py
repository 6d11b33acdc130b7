"""Hostile and odd clients cost the sandbox one connection's thread for a bounded time, and get
a proper HTTP answer: never a stalled server, an allocation at a claimed size, or a page
without a status line."""

from __future__ import annotations

import contextlib
import http.client
import io
import itertools
import socket
import ssl
import threading
import time
from base64 import b64encode

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.client import ExtensivClient
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sandbox._cli import build_parser
from extensiv_connector.sandbox._http import (
    _LIVE,
    MAX_CONNECTIONS,
    _RefusedError,
    _RequestReader,
    read_chunked,
    read_exactly,
)

_WAIT_S = 10.0  # the longest any probe waits for the sandbox (a bound, not a measurement)


def _connect(sb: Sandbox) -> socket.socket:
    return socket.create_connection(("127.0.0.1", sb.port), timeout=_WAIT_S)


def _exchange(sb: Sandbox, data: bytes, *, half_close: bool = False) -> bytes:
    """Send ``data`` on a new connection and read until the sandbox closes it."""
    with _connect(sb) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _status_line(response: bytes) -> bytes:
    return response.split(b"\r\n", 1)[0]


def _basic(sb: Sandbox) -> bytes:
    creds = sb.credentials
    return b64encode(f"{creds.client_id}:{creds.client_secret}".encode())


# ---------------------------------------------------------------- TLS handshakes


def test_a_tls_client_that_never_says_hello_blocks_neither_other_clients_nor_stop() -> None:
    sb = Sandbox(catalog_size=1, tls=True).start()
    silent = _connect(sb)  # connects, never sends a ClientHello
    half = _connect(sb)
    half.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # half a ClientHello
    try:
        answered = requests.get(
            sb.base_url + "/events/webhook/key", verify=sb.ca_file, timeout=_WAIT_S
        )
        stopper = threading.Thread(target=sb.stop)
        stopper.start()
        stopper.join(timeout=_WAIT_S)
    finally:
        silent.close()
        half.close()

    assert (200, False) == (answered.status_code, stopper.is_alive())


def test_a_stalled_tls_handshake_is_closed_after_the_idle_timeout() -> None:
    with Sandbox(catalog_size=1, tls=True, idle_timeout_s=0.2) as sb, _connect(sb) as silent:
        closed_by_sandbox = silent.recv(1)

    assert b"" == closed_by_sandbox


def test_plain_http_on_the_tls_port_is_closed_and_the_port_keeps_serving_https() -> None:
    with Sandbox(catalog_size=1, tls=True) as sb:
        plain = _exchange(sb, b"GET /events/webhook/key HTTP/1.1\r\nHost: x\r\n\r\n")
        answered = requests.get(
            sb.base_url + "/events/webhook/key", verify=sb.ca_file, timeout=_WAIT_S
        )

    assert (b"", 200) == (plain, answered.status_code)


# ---------------------------------------------------------------- idle connections


def test_an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() -> None:
    with Sandbox(catalog_size=1, idle_timeout_s=0.2) as sb:
        conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=_WAIT_S)
        conn.request("GET", "/events/webhook/key")
        first = conn.getresponse()
        first.read()
        assert conn.sock is not None
        closed_by_sandbox = conn.sock.recv(1)
        conn.close()

    assert ("keep-alive", b"") == (first.getheader("Connection"), closed_by_sandbox)


def test_a_client_pool_carries_on_after_the_sandbox_closes_its_idle_connections() -> None:
    sb = Sandbox(catalog_size=3, idle_timeout_s=0.2)
    with sb, ExtensivClient(**sb.connection_info()) as client:
        before = [s.item_identifier.sku for s in client.inventory.stock_summaries()]
        server = sb._server
        assert server is not None
        for _ in range(int(_WAIT_S / 0.05)):  # until the sandbox has closed them all
            if not _LIVE.get(server):
                break
            time.sleep(0.05)
        idle_closed = not _LIVE.get(server)
        after = [s.item_identifier.sku for s in client.inventory.stock_summaries()]

    assert (True, 3) == (idle_closed, len(before))
    assert before == after


def test_a_request_that_stalls_halfway_is_closed_after_the_idle_timeout() -> None:
    with Sandbox(catalog_size=1, idle_timeout_s=0.2) as sb:
        stalled = _exchange(sb, b"GET /events/webhook/key HTTP/1.1\r\nHo")

    assert b"" == stalled


_DRIP_EVERY_S = 0.1  # well inside the idle timeout: a timeout per read would never fire
_DRIP_REQUESTS = {
    "headers": b"GET /events/webhook/key HTTP/1.1\r\nHost: x\r\nX-Drip: ",
    "body": b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n",
}


def _client(sb: Sandbox, *, tls: bool) -> socket.socket:
    sock = _connect(sb)
    if not tls:
        return sock
    context = ssl.create_default_context(cafile=sb.ca_file)
    return context.wrap_socket(sock, server_hostname="127.0.0.1")


def _drip_until_closed(sock: socket.socket) -> bytes | None:
    """Send a byte every ``_DRIP_EVERY_S`` until the sandbox closes the connection: what it
    sent before closing, or None if it was still open after ``_WAIT_S`` of dripping."""
    # A receive timeout, not select(): over TLS 1.3 the server's session tickets make the
    # socket readable with no application data behind them.
    sock.settimeout(_DRIP_EVERY_S)
    received = b""
    for _ in range(int(_WAIT_S / _DRIP_EVERY_S)):
        try:
            chunk = sock.recv(65536)
        except TimeoutError:  # still open: one more byte
            sock.sendall(b"a")
            continue
        except OSError:  # a reset or a TLS EOF: closed by the sandbox
            return received
        if not chunk:
            return received
        received += chunk
    return None


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("part", sorted(_DRIP_REQUESTS))
def test_a_request_dripped_a_byte_at_a_time_is_closed_and_frees_its_slot(
    part: str, tls: bool
) -> None:
    with Sandbox(catalog_size=1, tls=tls, idle_timeout_s=0.3, max_connections=1) as sb:
        with _client(sb, tls=tls) as dripper:
            dripper.sendall(_DRIP_REQUESTS[part])
            dripped = _drip_until_closed(dripper)
        answer = None
        for _ in range(int(_WAIT_S / 0.05)):  # until the dripper's thread has given its slot back
            with contextlib.suppress(OSError), _client(sb, tls=tls) as normal:
                answer = _answer_on(normal)  # OSError: refused, a TLS handshake then fails
            if answer is not None:
                break
            time.sleep(0.05)

    assert (b"", 200) == (dripped, answer)


def test_a_tls_handshake_dripped_a_byte_at_a_time_is_closed() -> None:
    with Sandbox(catalog_size=1, tls=True, idle_timeout_s=0.3) as sb, _connect(sb) as dripper:
        # A TLS record header announcing a 200-byte ClientHello, whose bytes then trickle in.
        dripper.sendall(b"\x16\x03\x01\x00\xc8")
        dripped = _drip_until_closed(dripper)

    assert b"" == dripped


def test_a_request_is_read_under_one_deadline_restarted_for_each_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server_side, client_side = socket.socketpair()
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    buffer = bytearray(16)
    with server_side, client_side:
        server_side.settimeout(10.0)
        reader = _RequestReader(server_side, 10.0)
        timeouts = []
        reader.start()
        for at in (100.5, 105.0):
            clock[0] = at
            client_side.sendall(b"x")
            reader.readinto(buffer)
            timeouts.append(server_side.gettimeout())
        clock[0] = 110.0
        with pytest.raises(TimeoutError):
            reader.readinto(buffer)
        reader.start()  # the next request has the whole idle timeout again
        timeouts.append(server_side.gettimeout())
        clock[0] = 115.0
        client_side.sendall(b"x")
        reader.readinto(buffer)
        timeouts.append(server_side.gettimeout())
        reader.stop()  # read in time: the response is written under the whole idle timeout
        timeouts.append(server_side.gettimeout())
        reader.close()

    # A read well inside the deadline leaves the socket's timeout alone (no system call).
    assert [10.0, 5.0, 10.0, 5.0, 10.0] == timeouts


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /events/webhook/key HTTP/1.1\r\nHost: x\r\nX-Cut",
        b"GET /events/webhook/key HTTP/1.1\r\nHost: x\r\n",
        b"GET /events/webhook/key HTTP/1.1",
    ],
    ids=["mid-line", "before-empty-line", "request-line"],
)
def test_a_header_block_cut_off_by_the_end_of_the_stream_is_not_answered(
    request_bytes: bytes,
) -> None:
    with Sandbox(catalog_size=1) as sb:
        answer = _exchange(sb, request_bytes, half_close=True)
        cut_authorization = _exchange(
            sb,
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + _basic(sb)[:-4],
            half_close=True,
        )

    assert (b"", b"") == (answer, cut_authorization)


def test_a_header_block_cut_off_over_tls_is_not_answered_and_logs_nothing(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with Sandbox(catalog_size=1, tls=True) as sb, _client(sb, tls=True) as sock:
        sock.sendall(b"GET /events/webhook/key HTTP/1.1\r\nHost: x\r\nX-Cut")
        socket.socket.shutdown(sock, socket.SHUT_WR)  # the TCP stream ends, no close_notify
        received = b""
        with contextlib.suppress(OSError):  # the sandbox's side may end in a TLS alert
            while chunk := sock.recv(65536):
                received += chunk

    # werkzeug logs to stderr, or to pytest's log capture when that has a handler installed.
    assert (b"", "", "") == (received, capfd.readouterr().err, caplog.text)


def test_the_idle_timeout_must_be_a_positive_number() -> None:
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="idle_timeout_s"):
            Sandbox(catalog_size=0, idle_timeout_s=bad)


def test_the_cli_takes_the_idle_timeout_and_defaults_to_fifteen_seconds() -> None:
    parser = build_parser()

    assert (15.0, 2.5) == (
        parser.parse_args([]).idle_timeout,
        parser.parse_args(["--idle-timeout", "2.5"]).idle_timeout,
    )


# ---------------------------------------------------------------- connection cap

_KEY_REQUEST = b"GET /events/webhook/key HTTP/1.1\r\nHost: x\r\n\r\n"


def _answer_on(sock: socket.socket, request: bytes = _KEY_REQUEST) -> int | None:
    """Send one keep-alive request on ``sock`` and read its whole answer: the status, or None
    if the sandbox closed the connection instead of answering."""
    try:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
    except ConnectionResetError:  # RemoteDisconnected included: closed, our request unread
        return None
    return response.status


def test_a_connection_over_the_cap_is_closed_unanswered_and_the_held_ones_keep_serving() -> None:
    with Sandbox(catalog_size=1, max_connections=2) as sb:
        held = [_connect(sb), _connect(sb)]
        try:
            first = [_answer_on(sock) for sock in held]  # both hold a slot from here on
            with _connect(sb) as extra:
                refused = _answer_on(extra)
            again = [_answer_on(sock) for sock in held]
            refused_count = sb.refused_connections
        finally:
            for sock in held:
                sock.close()

    assert [200, 200] == first == again
    assert (None, 1) == (refused, refused_count)


def test_many_sockets_at_once_are_served_only_up_to_the_cap() -> None:
    with Sandbox(catalog_size=1, max_connections=3) as sb:
        opened = [_connect(sb) for _ in range(40)]  # accepted in this order
        try:
            answers = [_answer_on(sock) for sock in opened]
            refused_count = sb.refused_connections
        finally:
            for sock in opened:
                sock.close()

    assert [200] * 3 + [None] * 37 == answers
    assert 37 == refused_count


def test_a_slot_freed_by_a_closed_connection_serves_the_next_one() -> None:
    with Sandbox(catalog_size=1, max_connections=1) as sb:
        with _connect(sb) as only:
            first = _answer_on(only)
        answer = None
        for _ in range(int(_WAIT_S / 0.05)):  # until the closed connection's thread has ended
            with _connect(sb) as next_one:
                answer = _answer_on(next_one)
            if answer is not None:
                break
            time.sleep(0.05)

    assert (200, 200) == (first, answer)


def test_a_tls_connection_over_the_cap_is_closed_before_any_handshake() -> None:
    with Sandbox(catalog_size=1, tls=True, max_connections=1) as sb:
        context = ssl.create_default_context(cafile=sb.ca_file)
        with context.wrap_socket(_connect(sb), server_hostname="127.0.0.1") as held:
            first = _answer_on(held)
            with _connect(sb) as extra:
                extra.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
                try:
                    refused = extra.recv(1)
                except ConnectionResetError:  # closed with the hello unread
                    refused = b""
            refused_count = sb.refused_connections

    assert (200, b"", 1) == (first, refused, refused_count)


def test_the_connection_cap_must_be_a_whole_number_of_at_least_one() -> None:
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_connections"):
            Sandbox(catalog_size=0, max_connections=bad)  # type: ignore[arg-type]


def test_the_cli_takes_the_connection_cap_and_defaults_to_the_sandboxes() -> None:
    parser = build_parser()

    assert (MAX_CONNECTIONS, 3) == (
        parser.parse_args([]).max_connections,
        parser.parse_args(["--max-connections", "3"]).max_connections,
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-connections", "0"])


# ---------------------------------------------------------------- empty lines (RFC 9112 2.2)


@pytest.mark.parametrize("empty", [b"\r\n", b"\n", b"\r\n" * 8], ids=["crlf", "lf", "eight"])
def test_empty_lines_before_a_request_line_are_ignored(empty: bytes) -> None:
    with Sandbox(catalog_size=1) as sb, _connect(sb) as sock:
        status = _answer_on(sock, empty + _KEY_REQUEST)
        next_status = _answer_on(sock)

    assert (200, 200) == (status, next_status)


def test_a_stray_crlf_after_a_post_body_leaves_the_connection_kept_alive() -> None:
    with Sandbox(catalog_size=1) as sb, _connect(sb) as sock:
        body = b"grant_type=client_credentials&user_login_id=4242"
        post = (
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Basic " + _basic(sb) + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body + b"\r\n"
        )
        token_status = _answer_on(sock, post)
        next_status = _answer_on(sock)

    assert (200, 200) == (token_status, next_status)


def test_a_client_sending_more_than_eight_empty_lines_or_leaving_after_one_is_closed() -> None:
    with Sandbox(catalog_size=1) as sb:
        endless = _exchange(sb, b"\r\n" * 9)
        left = _exchange(sb, b"\r\n", half_close=True)

    assert (b"", b"") == (endless, left)


def test_an_overlong_line_after_an_empty_one_is_refused_414() -> None:
    with Sandbox(catalog_size=1) as sb:
        # Exactly one byte over the limit, and nothing after it: the sandbox reads every byte
        # sent, so closing sends a FIN (unread bytes would make it a reset, racing the 414).
        answer = _exchange(sb, b"\r\nGET /" + b"a" * (65_537 - len(b"GET /")))

    assert b"HTTP/1.1 414 Request-URI Too Long" == _status_line(answer)


# ---------------------------------------------------------------- HEAD and Expect


def test_head_announces_the_length_get_sends_and_sends_no_body() -> None:
    with Sandbox(catalog_size=1) as sb:
        conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=_WAIT_S)
        conn.request("GET", "/events/webhook/key")
        get = conn.getresponse()
        get_body = get.read()
        conn.request("HEAD", "/events/webhook/key")
        head = conn.getresponse()
        head_body = head.read()
        conn.request("HEAD", "/no/such/path")
        missing = conn.getresponse()
        missing.read()
        conn.close()

    assert (str(len(get_body)), b"") == (head.getheader("Content-Length"), head_body)
    assert 0 < len(get_body)
    assert (404, "keep-alive") == (missing.status, missing.getheader("Connection"))
    assert 0 < int(missing.getheader("Content-Length") or 0)


def test_expect_100_continue_gets_exactly_one_interim_response() -> None:
    with Sandbox(catalog_size=1) as sb:
        body = b'{"grant_type":"client_credentials"}'
        head = (
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + _basic(sb)
            + b"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        )
        with _connect(sb) as sock:
            sock.sendall(head)
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                interim += sock.recv(1)
            sock.sendall(body)
            rest = b""
            while chunk := sock.recv(65536):
                rest += chunk

    assert b"HTTP/1.1 100 Continue\r\n\r\n" == interim
    assert (0, b"HTTP/1.1 200 OK") == (rest.count(b"100 Continue"), _status_line(rest))


def test_a_body_over_the_limit_is_refused_413_before_any_100_continue() -> None:
    with Sandbox(catalog_size=1) as sb:
        refused = _exchange(
            sb,
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: 1000000000000\r\n\r\n{}",
        )

    assert b"HTTP/1.1 413 Request Entity Too Large" == _status_line(refused)
    assert b"100 Continue" not in refused
    assert b"\r\nConnection: close\r\n" in refused


# ---------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(
    ("request_bytes", "status_line"),
    [
        (
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\nzz\r\n{}\r\n0\r\n\r\nGET /events/webhook/key HTTP/1.1\r\nHost: x\r\n\r\n",
            b"HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 501 Not Implemented",
        ),
        (
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            b"Content-Length: 5\r\n\r\n{}abc",
            b"HTTP/1.1 400 Bad Request",
        ),
        (
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nContent-Length: -2\r\n\r\n{}",
            b"HTTP/1.1 400 Bad Request",
        ),
        (b"GET /events/webhook/key\r\n", b"HTTP/1.1 400 Bad request syntax: no HTTP version"),
        (b"\x00\x01garbage\r\n\r\n", b"HTTP/1.1 400 Bad request syntax ('\\x00\\x01garbage')"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"HTTP/1.1 505 Invalid HTTP version (2.0)"),
    ],
    ids=["bad-chunk", "gzip", "two-lengths", "negative-length", "http-0.9", "garbage", "h2"],
)
def test_a_malformed_request_gets_a_status_line_and_the_connection_closed(
    request_bytes: bytes, status_line: bytes
) -> None:
    with Sandbox(catalog_size=1) as sb:
        answer = _exchange(sb, request_bytes)
        still_serving = requests.get(sb.base_url + "/events/webhook/key", timeout=_WAIT_S)

    assert status_line == _status_line(answer)
    assert b"\r\nConnection: close\r\n" in answer
    assert 1 == answer.count(b"HTTP/1.1 ")  # nothing after the refusal is served
    assert 200 == still_serving.status_code


def test_a_body_shorter_than_its_length_is_400_when_the_client_stops_sending() -> None:
    with Sandbox(catalog_size=1) as sb:
        answer = _exchange(
            sb,
            b"POST /AuthServer/api/Token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}",
            half_close=True,
        )

    assert b"HTTP/1.1 400 Bad Request" == _status_line(answer)


# ---------------------------------------------------------------- body readers (pure)


class _Recording(io.BytesIO):
    """A stream that records the sizes it was asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_a_claimed_length_is_never_asked_for_at_once() -> None:
    stream = _Recording(b"{}")

    with pytest.raises(_RefusedError) as refused:
        read_exactly(stream, 10**12)

    assert (400, 65536) == (refused.value.status, max(stream.asked))


def _chunked(body: bytes, cuts: list[int], extension: bool, trailer: bool) -> bytes:
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    out = b""
    for start, end in itertools.pairwise(points):
        ext = b";name=value" if extension else b""
        out += b"%x%s\r\n%s\r\n" % (end - start, ext, body[start:end])
    return out + b"0\r\n" + (b"X-Checksum: 1\r\n" if trailer else b"") + b"\r\n"


@given(
    body=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=6),
    extension=st.booleans(),
    trailer=st.booleans(),
    following=st.binary(max_size=20),
)
def test_a_chunked_body_decodes_to_its_bytes_and_leaves_the_next_request_in_place(
    body: bytes, cuts: list[int], extension: bool, trailer: bool, following: bytes
) -> None:
    stream = io.BytesIO(_chunked(body, cuts, extension, trailer) + following)

    decoded = read_chunked(stream, limit=len(body))

    assert (body, following) == (decoded, stream.read())


@given(body=st.binary(min_size=1, max_size=300), cuts=st.lists(st.integers(0, 300), max_size=6))
def test_a_chunked_body_over_the_limit_is_refused_413(body: bytes, cuts: list[int]) -> None:
    stream = io.BytesIO(_chunked(body, cuts, extension=False, trailer=False))

    with pytest.raises(_RefusedError) as refused:
        read_chunked(stream, limit=len(body) - 1)

    assert 413 == refused.value.status


@pytest.mark.parametrize(
    "encoded",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}", b"2\r\n{}XX0\r\n\r\n", b"-2\r\n{}\r\n0\r\n\r\n", b""],
    ids=["not-hex", "cut-short", "no-chunk-end", "negative", "empty"],
)
def test_a_malformed_chunked_body_is_refused_400(encoded: bytes) -> None:
    with pytest.raises(_RefusedError) as refused:
        read_chunked(io.BytesIO(encoded), limit=1000)

    assert 400 == refused.value.status
