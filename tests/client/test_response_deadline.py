"""A response must arrive whole within the read timeout: a server that drips it a byte at a
time, each byte well inside the timeout, no longer keeps a request going for as long as it
likes. Against a dripping server on loopback; no time is measured, only what is raised."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from extensiv_connector.client import ExtensivClient
from extensiv_connector.errors import ConnectionFailedError, TimeoutError_

_TOKEN = json.dumps({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}).encode()
_BODY = json.dumps({"ResourceList": [], "TotalResults": 0}).encode()
_READ_TIMEOUT = 0.5
#: Pause between dripped bytes: a tenth of the read timeout, so no single read ever times out.
_DRIP_S = _READ_TIMEOUT / 10


def _answer(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


class _DripServer(socketserver.ThreadingTCPServer):
    """Answers the token request at once and every other request a byte at a time, from
    ``drip_from`` on (0: the status line already; the header length: only the body)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, drip_from: int | None, interim: bytes = b"") -> None:
        super().__init__(("127.0.0.1", 0), _DripHandler)
        self.drip_from = drip_from
        self.interim = interim  # sent before each answer but the token's (1xx status lines)
        self.interim_prefix = "/"  # ... whose path starts with this
        self.final_pause = 0.0  # seconds between the interim lines and the final answer
        self.stopped = threading.Event()


class _DripHandler(socketserver.BaseRequestHandler):
    server: _DripServer

    def handle(self) -> None:
        reader = self.request.makefile("rb")
        while True:
            request_line = reader.readline()
            if not request_line:
                return
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            reader.read(length)
            token = request_line.startswith(b"POST /AuthServer/api/Token ")
            if token:
                answer = _answer(_TOKEN)
            elif self.server.interim:  # answers naming their request, so a mix-up shows
                path = request_line.split(b" ")[1].decode()
                early = path.startswith(self.server.interim_prefix)
                interim = self.server.interim if early else b""
                answer = _answer(json.dumps({"path": path}).encode())
                if interim and self.server.final_pause:
                    # The final answer comes a moment later, as from a server still working:
                    # a pooled connection is not yet readable, so the pool keeps it.
                    self.request.sendall(interim)
                    if self.server.stopped.wait(self.server.final_pause):
                        return
                else:
                    answer = interim + answer
            else:
                answer = _answer(_BODY)
            start = len(answer) if token or self.server.drip_from is None else self.server.drip_from
            try:
                self.request.sendall(answer[:start])
                for byte in answer[start:]:
                    if self.server.stopped.wait(_DRIP_S):
                        return
                    self.request.sendall(bytes([byte]))
            except OSError:  # the client gave up on it
                return


@pytest.fixture
def drip_server(request: pytest.FixtureRequest) -> Iterator[_DripServer]:
    server = _DripServer(request.param)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.stopped.set()
    server.shutdown()
    server.server_close()
    thread.join()


def _client(server: _DripServer, session: requests.Session | None = None) -> ExtensivClient:
    return ExtensivClient(
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        client_id="id",
        client_secret="secret",
        tpl="{tpl}",
        user_login_id="1",
        read_timeout=_READ_TIMEOUT,
        max_attempts=1,
        session=session,
    )


_HEADER_LENGTH = len(_answer(_BODY)) - len(_BODY)


@pytest.mark.parametrize(
    "drip_server", [0, _HEADER_LENGTH], ids=["status-line-and-headers", "body"], indirect=True
)
def test_a_response_dripped_slower_than_the_read_timeout_is_a_timeout(
    drip_server: _DripServer,
) -> None:
    with _client(drip_server) as client, pytest.raises(TimeoutError_):
        client.request("GET", "/customers")


@pytest.mark.parametrize("drip_server", [None], indirect=True)
def test_responses_answered_at_once_arrive_whole_over_one_kept_alive_connection(
    drip_server: _DripServer,
) -> None:
    with _client(drip_server) as client:
        answers = [client.request("GET", "/customers").json() for _ in range(3)]

    assert [{"ResourceList": [], "TotalResults": 0}] * 3 == answers


@pytest.mark.parametrize(
    "interim",
    [b"HTTP/1.1 102 Processing\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" * 2],
    ids=["102", "two-103s"],
)
def test_interim_answers_are_skipped_and_each_request_gets_its_own_answer(interim: bytes) -> None:
    server = _DripServer(None, interim)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with _client(server) as client:
            answers = [client.request("GET", f"/customers/{n}").json() for n in range(3)]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    assert [{"path": f"/customers/{n}"} for n in range(3)] == answers


class _EarlyAnswerServer(_DripServer):
    """Sends ``interim`` before the answer of a path under ``/early/`` only."""

    def __init__(self, interim: bytes) -> None:
        super().__init__(None, interim)
        self.interim_prefix = "/early/"
        self.final_pause = _READ_TIMEOUT / 5


def _logging_session() -> requests.Session:
    """A host session with a response hook that reads the body, as a logging hook does."""

    def log_size(response: requests.Response, *args: object, **kwargs: object) -> None:
        _ = len(response.content)

    session = requests.Session()
    session.hooks["response"].append(log_size)
    return session


class _ReadingAdapter(HTTPAdapter):
    """A host's adapter that reads every body itself (a metrics or logging adapter), which
    hands the connection back to its pool before any hook runs."""

    def build_response(self, req: Any, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)
        _ = len(response.content)
        return response


def _reading_adapter_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", _ReadingAdapter())
    return session


_EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
_SWITCHING = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"


@pytest.mark.parametrize(
    ("interim", "session_kind", "first_refused"),
    [
        (_EARLY_HINTS, "client-pools", False),
        (_SWITCHING, "client-pools", True),
        (_EARLY_HINTS, "host-session", True),
        (_SWITCHING, "host-session", True),
        (_EARLY_HINTS, "host-session-with-hook", True),
        (_SWITCHING, "host-session-with-hook", True),
        (_EARLY_HINTS, "host-adapter-reading-bodies", True),
        (_SWITCHING, "host-adapter-reading-bodies", True),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_an_early_status_line_never_hands_its_request_s_answer_to_the_next_request(
    interim: bytes, session_kind: str, first_refused: bool
) -> None:
    server = _EarlyAnswerServer(interim)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    host_session = {
        "client-pools": lambda: None,
        "host-session": requests.Session,
        "host-session-with-hook": _logging_session,
        "host-adapter-reading-bodies": _reading_adapter_session,
    }[session_kind]()
    outcomes: list[object] = []
    try:
        with _client(server, host_session) as client:
            for path in ("/early/1", "/customers/2", "/customers/3"):
                try:
                    outcomes.append(client.request("GET", path).json())
                except ConnectionFailedError:
                    outcomes.append("refused")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        if host_session is not None:
            host_session.close()

    # Skipped on the client's own pools (101 refused); refused on a host's session, the
    # connection dropped with the real answer unread.
    first = "refused" if first_refused else {"path": "/early/1"}
    assert [first, {"path": "/customers/2"}, {"path": "/customers/3"}] == outcomes
