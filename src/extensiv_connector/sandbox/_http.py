"""HTTP/1.1 keep-alive for the sandbox's werkzeug server.

werkzeug's development handler answers every request with ``Connection: close`` and then waits
for the client to hang up, so each request pays a new TCP connection and a 10 ms drain poll. A
real tenant keeps connections alive and the client's urllib3 pool is built to reuse them, so the
sandbox does too: the response is buffered (the sandbox's bodies are small, and a known
``Content-Length`` is what lets the connection stay open), the request body is drained to its
exact length so the next request line is where the parser expects it, and the connection is
kept unless the client asked to close it or something went wrong mid-request.

Hostile or odd clients cost one handler thread for at most about ``idle_timeout_s`` at a time:
the TLS handshake runs in the connection's own thread (never in ``accept()`` on the serving
thread) and must finish within that long (CPython bounds the whole ``do_handshake``, not each
read), and each request has one deadline, ``idle_timeout_s`` after the server starts waiting for
its request line: the wait for it, its header block and its body must all have arrived by then,
or the connection is closed unanswered, as an idle one is. A timeout per read would not do: a
client sending a byte every second inside its headers, or inside a body it says is a megabyte
long, would keep its thread (and a ``max_connections`` slot) for as long as it liked. The
application's latency and the response write are outside that deadline. A header block cut off
by the end of the stream is not a request: the connection is closed unanswered. A request body
is read whole before the application runs, never past a size limit (413) and never allocated
at the size a client claims; a malformed body (a bad chunk, a short body) is a 400 and the
connection is closed.

At most ``max_connections`` connections have a handler thread at a time. One more is closed
as soon as it is accepted, without a thread and without reading or answering anything: a 503
would need the request read first (answered before it, the response races the client's send
and is lost to a reset) and, over TLS, a handshake, each taking a thread for up to
``idle_timeout_s``, which is what the cap is there to prevent. Node's ``server.maxConnections``
and Envoy's connection limit refuse the same way; the client sees the connection closed before
any answer, as when a server restarts.

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
import ssl
import sys
import threading
import time
import weakref
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import attrs
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler

from .._deadline_io import DeadlineReader

__all__ = [
    "KeepAliveHandler",
    "QuietHandler",
    "SandboxServer",
    "ServerSettings",
    "close_connections",
]

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
_EMPTY_LINES = (b"\r\n", b"\n")
#: Empty lines skipped before a request line (RFC 9112 2.2: a server SHOULD ignore at least
#: one, e.g. the CRLF some clients send after a POST body); a client sending more is closed.
_MAX_EMPTY_LINES = 8
#: ``[second, Date header]``: the last ``Date`` value formatted (shared by handler threads).
_DATE: list[Any] = [None, ""]
#: A body is read in pieces of at most this size, so a claimed length is never allocated.
_READ_PIECE = 65536
_HEX = frozenset(b"0123456789abcdefABCDEF")
_DIGITS = frozenset(b"0123456789")
#: The largest request body the sandbox reads (its requests are kilobytes): 413 beyond.
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Connections served at once (each has a thread); more are closed when accepted.
MAX_CONNECTIONS = 256
#: A request target werkzeug's ``make_environ`` would split into just path and query (no
#: scheme or authority, no fragment): the environ is built here for it.
_PLAIN_TARGET = re.compile(r"/(?!/)[^#]*")


@attrs.frozen
class ServerSettings:
    """How the sandbox's server treats connections (see ``Sandbox(keep_alive=,
    idle_timeout_s=, max_connections=)``)."""

    keep_alive: bool = True
    #: Seconds a connection has for its TLS handshake, and for each request from when the
    #: server starts waiting for its request line to the last byte of its body (the wait
    #: between kept-alive requests included). Then it is closed.
    idle_timeout_s: float = 15.0
    max_body_bytes: int = MAX_BODY_BYTES
    #: Connections with a handler thread at once; one more is closed when accepted.
    max_connections: int = MAX_CONNECTIONS


_DEFAULT_SETTINGS = ServerSettings()


class SandboxServer(ThreadedWSGIServer):
    """werkzeug's threaded server, with :class:`ServerSettings` and TLS done per connection.

    The listening socket stays plain: ``tls`` (an ``SSLContext``) is kept as ``ssl_context``
    (so the WSGI environ says ``https``) and :class:`KeepAliveHandler` wraps each accepted
    socket and runs the handshake in that connection's thread, under the idle timeout. A
    client that connects and never says hello holds its own thread, not the accept loop.

    ``settings.max_connections`` bounds the handler threads: a connection accepted while every
    slot is taken is closed at once on the serving thread (see the module docstring) and
    counted in :attr:`refused_connections`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        *,
        settings: ServerSettings,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(host, port, app, KeepAliveHandler)
        self.settings = settings
        self.ssl_context = tls
        self._slots = threading.BoundedSemaphore(settings.max_connections)
        #: Connections closed unserved because every slot was taken (only the serving
        #: thread writes it).
        self.refused_connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused_connections += 1
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: nobody else gives the slot back
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class _RefusedError(Exception):
    """A request the handler answers itself (``status``, plain-text ``message``) and then
    closes the connection: where its body ends is unknown or the body is not read."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _CutShortError(Exception):
    """The stream ended inside a header block: what arrived is not a request."""


class _RequestReader(DeadlineReader):
    """The connection's raw reader, which refuses to wait past the current request's deadline.

    :meth:`start` sets the deadline (``idle_timeout_s`` from now) when the server starts
    waiting for a request line, :meth:`stop` lifts it once the body has been read (or the
    request refused). Each read waits at most for what is left (``_deadline_io``, shared with
    the client's response reader).
    """

    overdue = "the request took longer than the idle timeout"

    def __init__(self, sock: socket.socket, idle_timeout_s: float) -> None:
        # The socket's timeout is the idle timeout now (``setup`` set it); no deadline yet.
        super().__init__(sock, idle_timeout_s, None)
        self._idle = idle_timeout_s

    def start(self) -> None:
        self._deadline = time.monotonic() + self._idle
        self._restore()

    def stop(self) -> None:
        self._deadline = None
        # The response is written under the idle timeout, not what was left of the request's.
        self._restore()

    def _restore(self) -> None:
        if self._timeout != self._idle:  # shortened for a slow request
            self._sock.settimeout(self._idle)
            self._timeout = self._idle


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr (tests and benchmarks make thousands of requests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        return None


class KeepAliveHandler(QuietHandler):
    """werkzeug's handler with persistent HTTP/1.1 connections, bounded reads and per-connection
    TLS (see :class:`SandboxServer`)."""

    protocol_version = "HTTP/1.1"
    #: Errors found while reading the request line get a real status line (http.server would
    #: send an HTTP/0.9-style bare HTML page, which no HTTP/1.x client can read).
    default_request_version = "HTTP/1.1"
    #: Set per connection from :class:`ServerSettings` in :meth:`setup`.
    timeout = None
    #: The first line of a request, as ``handle_one_request`` read it (typeshed omits it).
    raw_requestline: bytes
    _open = False
    _reader: _RequestReader | None = None
    #: The request's header lines as (name, value) when all were plain (see _read_headers).
    _fields: list[tuple[str, str]] | None = None

    def _settings(self) -> ServerSettings:
        settings = getattr(self.server, "settings", None)
        return settings if isinstance(settings, ServerSettings) else _DEFAULT_SETTINGS

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, formatted once per second rather than once per response."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        cached = _DATE
        if cached[0] != now:
            cached = _DATE[:] = [now, super().date_time_string(now)]
        return str(cached[1])

    def parse_request(self) -> bool:
        """http.server's, but the header block is read here: the email package's parser that
        ``http.client.parse_headers`` runs was a quarter of the sandbox's CPU per request.

        The request line is checked by http.server as before (against an empty header block);
        a line without an HTTP version (HTTP/0.9) is refused with 400, as any line http.server
        refuses, with a status line and the connection closed. Then the real block is read
        with http.client's limits, and the ``Connection`` header is honoured as http.server
        does (``Expect: 100-continue`` is answered when the body is about to be read). Anything
        but plain ``Name: value`` lines (folded lines, say) is parsed by the email package.

        Empty lines before the request line are skipped (RFC 9112 section 2.2), a few at most.
        A header block the stream ends inside (no empty line) closes the connection unanswered.
        """
        raw = self.raw_requestline
        for _ in range(_MAX_EMPTY_LINES):
            if raw not in _EMPTY_LINES:
                break
            raw = self.rfile.readline(_MAX_LINE + 1)
        self.raw_requestline = raw
        if not raw:  # the client left after its empty lines: nothing to answer
            self.close_connection = True
            return False
        if len(raw) > _MAX_LINE:  # as handle_one_request answers an overlong first line
            self.requestline = self.request_version = self.command = ""
            self.close_connection = True
            self.send_error(414)
            return False
        if not self._parse_request_line():
            return False
        if len(self.requestline.split()) != 3:  # "GET /path": HTTP/0.9, no headers follow
            self.close_connection = True
            self.send_error(400, "Bad request syntax: no HTTP version")
            return False
        try:
            self.headers, self._fields = _read_headers(self.rfile, self.MessageClass)
        except http.client.LineTooLong as exc:
            self.send_error(431, "Line too long", str(exc))
            return False
        except http.client.HTTPException as exc:
            self.send_error(431, "Too many headers", str(exc))
            return False
        except _CutShortError:
            # The client closed its side mid-block (or mid request line): a cut-off
            # Authorization line must not be served, and a 400 would only tell the client
            # that it stopped sending.
            self.close_connection = True
            return False
        connection = self.headers.get("Connection", "").lower()
        if connection == "close" or not self._settings().keep_alive:
            self.close_connection = True
        elif connection == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        return True

    def _parse_request_line(self) -> bool:
        """http.server's ``parse_request`` up to where it reads the header block (CPython
        3.11's code; the block is read by :func:`_read_headers`): the same checks, refusals and
        ``close_connection``, without running the email parser over an empty block first."""
        self.command = None  # type: ignore[assignment]  # as http.server: unset on error
        self.request_version = version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if len(words) == 0:
            return False
        if len(words) >= 3:  # enough to determine the protocol version
            version = words[-1]
            try:
                if not version.startswith("HTTP/"):
                    raise ValueError
                base_version_number = version.split("/", 1)[1]
                parts = base_version_number.split(".")
                if len(parts) != 2:
                    raise ValueError
                if any(not part.isdigit() for part in parts):
                    raise ValueError("non digit in http version")
                if any(len(part) > 10 for part in parts):
                    raise ValueError("unreasonable length http version")
                version_number = int(parts[0]), int(parts[1])
            except (ValueError, IndexError):
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request version ({version!r})")
                return False
            if version_number >= (1, 1) and self.protocol_version >= "HTTP/1.1":
                self.close_connection = False
            if version_number >= (2, 0):
                self.send_error(
                    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                    f"Invalid HTTP version ({base_version_number})",
                )
                return False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({requestline!r})")
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad HTTP/0.9 request type ({command!r})")
                return False
        self.command, self.path = command, path
        if self.path.startswith("//"):  # gh-87389, as http.server: reduce to a single /
            self.path = "/" + self.path.lstrip("/")
        return True

    def make_environ(self) -> dict[str, Any]:
        """werkzeug's environ, built directly for a plain request (a ``/path?query`` target,
        ``Name: value`` header lines, no TLS): the same keys and values, without its URL
        parsing and header-object walk (a tenth of the sandbox's CPU per request). Anything
        else is werkzeug's own."""
        fields = self._fields
        path = self.path
        if (
            fields is None
            or not _PLAIN_TARGET.fullmatch(path)
            or isinstance(self.connection, ssl.SSLSocket)
        ):
            return super().make_environ()
        address: Any = self.client_address  # as werkzeug: a Unix socket's may be "" or a str
        if not address:
            self.client_address = ("<local>", 0)
        elif isinstance(address, str):
            self.client_address = (address, 0)
        path_info, _, query = path.partition("?")
        server = self.server
        raw_uri = path.encode().decode("latin1")
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http" if server.ssl_context is None else "https",
            "wsgi.input": self.rfile,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": server.multithread,
            "wsgi.multiprocess": server.multiprocess,
            "wsgi.run_once": False,
            "werkzeug.socket": self.connection,
            "SERVER_SOFTWARE": self.server_version,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path_info).encode().decode("latin1"),
            "QUERY_STRING": query.encode().decode("latin1"),
            "REQUEST_URI": raw_uri,
            "RAW_URI": raw_uri,
            "REMOTE_ADDR": self.address_string(),
            "REMOTE_PORT": self.port_integer(),
            "SERVER_NAME": server.server_address[0],
            "SERVER_PORT": str(server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
        }
        for name, value in fields:
            if "_" in name:
                continue
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
                if key in environ:
                    value = f"{environ[key]},{value}"
            environ[key] = value
        # (werkzeug also wraps a chunked input here; run_wsgi replaces the input anyway.)
        return environ

    def setup(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(self._settings().idle_timeout_s)
        # Every response is one write (headers and body); Nagle would still hold back a
        # write that follows an unacknowledged one, e.g. the "100 Continue" line.
        with contextlib.suppress(OSError):  # not a TCP socket (a test double): nothing to tune
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = self.server.ssl_context
        if isinstance(tls, ssl.SSLContext):
            # The handshake runs here, in this connection's thread, under the idle timeout.
            sock = tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            self.request = sock
        with _LIVE_LOCK:
            _LIVE.setdefault(self.server, set()).add(sock)
        if isinstance(sock, ssl.SSLSocket):
            try:
                sock.do_handshake()
            except (OSError, ValueError):  # timeout, not TLS, a reset, or stopped meanwhile
                self._forget(sock)
                _close(sock)
                return
        self._open = True
        super().setup()
        reader = _RequestReader(sock, self._settings().idle_timeout_s)
        self.rfile.close()
        self.rfile = io.BufferedReader(reader)
        self._reader = reader

    def handle_one_request(self) -> None:
        reader = self._reader
        if reader is not None:
            reader.start()
        super().handle_one_request()

    def handle(self) -> None:
        if self._open:
            super().handle()

    def finish(self) -> None:
        if not self._open:
            return
        self._forget(self.request)
        try:
            super().finish()
        finally:
            if isinstance(self.request, ssl.SSLSocket):  # socketserver closes the plain socket
                _close(self.request)

    def _forget(self, sock: socket.socket) -> None:
        with _LIVE_LOCK:
            _LIVE.get(self.server, set()).discard(sock)

    def run_wsgi(self) -> None:
        self.environ = environ = self.make_environ()
        try:
            body = self._read_body()
        except _RefusedError as refused:
            self._request_read()
            self.close_connection = True
            reason = http.client.responses.get(refused.status, "")
            self._send(
                f"{refused.status} {reason}",
                [("Content-Type", "text/plain; charset=utf-8")],
                refused.message.encode(),
            )
            return
        self._request_read()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.input_terminated"] = True
        environ["CONTENT_LENGTH"] = str(len(body))
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
        if not started:
            self.close_connection = True
            return
        self._send(started[0], started[1], body)

    def _request_read(self) -> None:
        """The request's deadline is over: the application's latency and the response write
        are not bound by it."""
        if self._reader is not None:
            self._reader.stop()

    def _read_body(self) -> bytes:
        """The whole request body: ``Content-Length`` bytes, or the chunks decoded; after the
        one ``100 Continue`` an ``Expect: 100-continue`` asks for. Raises :class:`_RefusedError`
        (413 over the limit, 400 malformed or cut short, 501 another transfer coding)."""
        headers = self.headers
        limit = self._settings().max_body_bytes
        codings = headers.get_all("Transfer-Encoding") or []
        if codings:
            if [c.strip().lower() for c in ",".join(codings).split(",")] != ["chunked"]:
                raise _RefusedError(501, "Only Transfer-Encoding: chunked is supported.")
            if headers.get("Content-Length") is not None:
                self.close_connection = True  # RFC 9112 6.3: chunked wins, then close
            self._continue()
            return read_chunked(self.rfile, limit)
        lengths = {v.strip() for v in headers.get_all("Content-Length") or []}
        if not lengths:
            return b""
        raw = lengths.pop().encode("latin-1")
        if lengths or not raw or not _DIGITS.issuperset(raw):
            raise _RefusedError(400, "Invalid Content-Length.")
        length = int(raw)
        if length > limit:
            raise _RefusedError(413, f"The request body is larger than {limit} bytes.")
        if length == 0:
            return b""
        self._continue()
        return read_exactly(self.rfile, length)

    def _continue(self) -> None:
        expect = self.headers.get("Expect", "").strip(" \t").lower()
        if expect == "100-continue" and self.request_version >= "HTTP/1.1":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        """The response in one write: what ``send_response``, ``send_header`` and
        ``end_headers`` would buffer (status line, ``Server``, ``Date``, the application's
        headers but ours, ``Content-Length``, ``Connection``), joined directly."""
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        length = len(body)
        try:
            self.log_request(code)
            block = [
                f"{self.protocol_version} {code} {reason}\r\n"
                f"Server: {self.version_string()}\r\nDate: {self.date_time_string()}\r\n"
            ]
            for key, value in headers:
                lower = key.lower()
                if lower not in _OWN_HEADERS:
                    block.append(f"{key}: {value}\r\n")
                elif lower == "content-length" and self.command == "HEAD" and value.isdigit():
                    length = int(value)  # HEAD: the length GET would send (no body here)
            has_body = self.command != "HEAD" and code not in _NO_BODY and code >= 200
            if has_body or self.command == "HEAD":
                block.append(f"Content-Length: {length}\r\n")
            block.append(
                f"Connection: {'close' if self.close_connection else 'keep-alive'}\r\n\r\n"
            )
            head = "".join(block).encode("latin-1", "strict")
            # Headers and body in one write: one send, one wake-up of the client, instead of
            # two of each.
            self.wfile.write(head + body if has_body and body else head)
            self.wfile.flush()
        except OSError:
            # The application reset the connection (an injected fault) or the client left.
            self.close_connection = True


def read_exactly(stream: Any, length: int) -> bytes:
    """``length`` bytes of ``stream``, read in pieces (memory grows with what arrives, not with
    what was claimed); :class:`_RefusedError` 400 when the stream ends first."""
    pieces: list[bytes] = []
    left = length
    while left > 0:
        piece: bytes = stream.read(min(left, _READ_PIECE))
        if not piece:
            raise _RefusedError(400, "The request body is shorter than its Content-Length.")
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


def read_chunked(stream: Any, limit: int) -> bytes:
    """A ``Transfer-Encoding: chunked`` body, decoded (chunk extensions and trailers are read
    and dropped). :class:`_RefusedError` 400 when it is malformed or cut short, 413 when its chunks
    add up to more than ``limit`` bytes."""
    pieces: list[bytes] = []
    total = 0
    while True:
        line: bytes = stream.readline(_MAX_LINE + 1)
        if not line.endswith(b"\n"):
            raise _RefusedError(400, "A chunk size line is cut short or too long.")
        size_text = line.split(b";", 1)[0].strip(b" \t\r\n")
        if not size_text or not _HEX.issuperset(size_text):
            raise _RefusedError(400, "Invalid chunk size.")
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > limit:
            raise _RefusedError(413, f"The request body is larger than {limit} bytes.")
        pieces.append(read_exactly(stream, size))
        if stream.readline(3) not in (b"\r\n", b"\n"):
            raise _RefusedError(400, "A chunk does not end where its size says.")
    for _ in range(_MAX_HEADERS + 1):  # the trailer section, up to its empty line
        line = stream.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return b"".join(pieces)
        if not line.endswith(b"\n"):
            raise _RefusedError(400, "The chunked body is cut short.")
    raise _RefusedError(400, "Too many trailer lines.")


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # the peer is gone already
        sock.shutdown(socket.SHUT_WR)
    sock.close()


def _read_headers(
    rfile: Any, message_class: Any
) -> tuple[http.client.HTTPMessage, list[tuple[str, str]] | None]:
    """``http.client.parse_headers(rfile, _class=message_class)``, without the email parser
    when every line is a plain ``Name: value`` (the same headers, in the same order, also
    returned as a list of pairs; None when the email parser read them); unlike it,
    :class:`_CutShortError` when the stream ends before the block's empty line."""
    lines: list[bytes] = []
    while True:
        line: bytes = rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if line in _EMPTY_LINES:
            break
        if not line:  # http.client would take the end of the stream as the end of the block
            raise _CutShortError
    message: http.client.HTTPMessage = message_class()
    raw_fields = lines[:-1]
    if all(_PLAIN_HEADER.match(line) for line in raw_fields):
        fields = []
        for line in raw_fields:
            name, _, value = line.decode("iso-8859-1").partition(":")
            value = value.lstrip(" \t").rstrip("\r\n")
            message[name] = value
            fields.append((name, value))
        message.set_payload("")
        return message, fields
    text = b"".join(lines).decode("iso-8859-1")
    parsed: http.client.HTTPMessage = email.parser.Parser(_class=message_class).parsestr(text)
    return parsed, None


def close_connections(server: BaseWSGIServer) -> None:
    """Shut down every connection the server still holds open (idle keep-alives included)."""
    with _LIVE_LOCK:
        live = list(_LIVE.pop(server, ()))
    for sock in live:
        with contextlib.suppress(OSError):  # already closed by its handler
            # socket's own shutdown, also for a TLS socket: unblocks its handler's read
            # without touching the TLS state that thread is using.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _no_write(data: bytes) -> None:
    raise RuntimeError("the sandbox application returns its body; write() is not supported")
