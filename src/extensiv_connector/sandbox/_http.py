"""HTTP/1.1 keep-alive for the sandbox's werkzeug server.

werkzeug's development handler answers every request with ``Connection: close`` and then waits
for the client to hang up, so each request pays a new TCP connection and a 10 ms drain poll. A
real tenant keeps connections alive and the client's urllib3 pool is built to reuse them, so the
sandbox does too: the response is buffered (the sandbox's bodies are small, and a known
``Content-Length`` is what lets the connection stay open), the request body is drained to its
exact length so the next request line is where the parser expects it, and the connection is
kept unless the client asked to close it or something went wrong mid-request.

``Sandbox.stop`` calls :func:`close_connections` so idle kept-alive connections do not keep
their handler threads blocked after the server is gone.
"""

from __future__ import annotations

import contextlib
import email.parser
import http.client
import io
import re
import socket
import threading
import time
import weakref
from typing import Any

from werkzeug.exceptions import InternalServerError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

__all__ = ["KeepAliveHandler", "QuietHandler", "close_connections"]

_LIVE: weakref.WeakKeyDictionary[BaseWSGIServer, set[socket.socket]] = weakref.WeakKeyDictionary()
_LIVE_LOCK = threading.Lock()
#: No response header the handler writes itself may come from the application too.
_OWN_HEADERS = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})
_NO_BODY = frozenset({204, 304})
#: http.client's limits on a header block (a longer line or more lines: 431).
_MAX_LINE = 65536
_MAX_HEADERS = 100
#: A plain ``Name: value`` line (no folding, no "From " line): what email's parser would
#: store as that name and value, with nothing else to decide.
_PLAIN_HEADER = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_END_OF_HEADERS = (b"\r\n", b"\n", b"")
#: ``[second, Date header]``: the last ``Date`` value formatted (shared by handler threads).
_DATE: list[Any] = [None, ""]


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr (tests and benchmarks make thousands of requests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        return None


class KeepAliveHandler(QuietHandler):
    """werkzeug's handler with persistent HTTP/1.1 connections."""

    protocol_version = "HTTP/1.1"
    #: An idle kept-alive connection is closed after this many seconds.
    timeout = 60

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, formatted once per second rather than once per response."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        cached = _DATE
        if cached[0] != now:
            cached = _DATE[:] = [now, super().date_time_string(now)]
        return str(cached[1])

    def end_headers_with(self, body: bytes) -> None:
        """``end_headers()`` then ``wfile.write(body)``, as one write."""
        buffered: list[bytes] | None = getattr(self, "_headers_buffer", None)
        if buffered is None:  # HTTP/0.9: no headers were buffered
            if body:
                self.wfile.write(body)
            return
        buffered.append(b"\r\n")
        if body:
            buffered.append(body)
        self.flush_headers()

    def parse_request(self) -> bool:
        """http.server's, but the header block is read here: the email package's parser that
        ``http.client.parse_headers`` runs was a quarter of the sandbox's CPU per request.

        The request line is checked by http.server as before (against an empty header block);
        then the real block is read with http.client's limits, and the ``Connection`` and
        ``Expect`` headers are honoured as http.server does. Anything but plain ``Name:
        value`` lines (folded lines, say) is parsed by the email package, as before.
        """
        rfile = self.rfile
        self.rfile = io.BytesIO(b"\r\n")
        try:
            if not super().parse_request():
                return False
        finally:
            self.rfile = rfile
        try:
            self.headers = _read_headers(rfile, self.MessageClass)
        except http.client.LineTooLong as exc:
            self.send_error(431, "Line too long", str(exc))
            return False
        except http.client.HTTPException as exc:
            self.send_error(431, "Too many headers", str(exc))
            return False
        connection = self.headers.get("Connection", "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        expect = self.headers.get("Expect", "")
        if (
            expect.lower() == "100-continue"
            and self.protocol_version >= "HTTP/1.1"
            and self.request_version >= "HTTP/1.1"
        ):
            return self.handle_expect_100()
        return True

    def setup(self) -> None:
        super().setup()
        # Every response is one write (headers and body); Nagle would still hold back a
        # write that follows an unacknowledged one, e.g. the "100 Continue" line.
        with contextlib.suppress(OSError):  # not a TCP socket (a test double): nothing to tune
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with _LIVE_LOCK:
            _LIVE.setdefault(self.server, set()).add(self.connection)

    def finish(self) -> None:
        with _LIVE_LOCK:
            _LIVE.get(self.server, set()).discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        chunked = environ.get("wsgi.input_terminated", False)
        length = _content_length(environ)
        if length is None:
            # A length we cannot read: where this body ends is unknown, so nothing may follow.
            self.close_connection = True
            length = 0
        body_in = environ["wsgi.input"] if chunked else _Limited(self.rfile, length)
        environ["wsgi.input"] = body_in
        environ["wsgi.input_terminated"] = True
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [status, headers]
            return _no_write

        try:
            app_iter = self.server.app(environ, start_response)
            try:
                body = b"".join(app_iter)
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
        except Exception:
            if self.server.passthrough_errors:
                raise
            self.close_connection = True
            started.clear()
            body = b"".join(InternalServerError()(environ, start_response))
        try:
            _drain(body_in)
        except OSError:
            self.close_connection = True
        if not started:
            self.close_connection = True
            return
        self._send(started[0], started[1], body)

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        try:
            self.send_response(code, reason)
            for key, value in headers:
                if key.lower() not in _OWN_HEADERS:
                    self.send_header(key, value)
            has_body = self.command != "HEAD" and code not in _NO_BODY and code >= 200
            if has_body or self.command == "HEAD":
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close" if self.close_connection else "keep-alive")
            # Headers and body in one write: one send, one wake-up of the client, instead of
            # two of each.
            self.end_headers_with(body if has_body else b"")
            self.wfile.flush()
        except OSError:
            # The application reset the connection (an injected fault) or the client left.
            self.close_connection = True


def _read_headers(rfile: Any, message_class: Any) -> http.client.HTTPMessage:
    """``http.client.parse_headers(rfile, _class=message_class)``, without the email parser
    when every line is a plain ``Name: value`` (the same headers, in the same order)."""
    lines: list[bytes] = []
    while True:
        line: bytes = rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if line in _END_OF_HEADERS:
            break
    message: http.client.HTTPMessage = message_class()
    fields = lines[:-1]
    if all(_PLAIN_HEADER.match(line) for line in fields):
        for line in fields:
            name, _, value = line.decode("iso-8859-1").partition(":")
            message[name] = value.lstrip(" \t").rstrip("\r\n")
        message.set_payload("")
        return message
    text = b"".join(lines).decode("iso-8859-1")
    parsed: http.client.HTTPMessage = email.parser.Parser(_class=message_class).parsestr(text)
    return parsed


def close_connections(server: BaseWSGIServer) -> None:
    """Shut down every connection the server still holds open (idle keep-alives included)."""
    with _LIVE_LOCK:
        live = list(_LIVE.pop(server, ()))
    for sock in live:
        with contextlib.suppress(OSError):  # already closed by its handler
            sock.shutdown(socket.SHUT_RDWR)


class _Limited:
    """The request body, never read past ``Content-Length`` (the next request follows it)."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        data: bytes = self._stream.read(want)
        self._left -= len(data)
        if not data:
            self._left = 0
        return data

    def readline(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        data: bytes = self._stream.readline(want)
        self._left -= len(data)
        if not data:
            self._left = 0
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")


def _content_length(environ: dict[str, Any]) -> int | None:
    """The declared body length; 0 when none is declared, ``None`` when it is not a number."""
    raw = environ.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def _drain(stream: Any) -> None:
    while stream.read(65536):
        pass


def _no_write(data: bytes) -> None:
    raise RuntimeError("the sandbox application returns its body; write() is not supported")
