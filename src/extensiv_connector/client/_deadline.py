"""One deadline for a whole response: status line, headers and body within the read timeout.

urllib3 applies the read timeout to each socket read, so a server that sends a byte every few
seconds keeps a response (and a create whose outcome is then unknown) going far longer than
the read timeout; ``Timeout(total=...)`` does not help, it only shortens that per-read timeout
once, before the status line (urllib3's ``Timeout`` docstring says as much). Here every read
of a response is bounded by what is left of one deadline, set when the request has been sent
and the response is created: the read timeout the socket has then.

The connection pools set http.client's hook, ``response_class``, on each connection they make
(an attribute, not a connection subclass: vcrpy replaces the pools' connection class to replay
cassettes, and must keep doing so). The response reads through :class:`_DeadlineReader`
(``_deadline_io``, shared with the sandbox's request reader), which wraps the socket's own
``SocketIO``, so the descriptor stays open while the response is read, as http.client expects
when it closes the connection early.

The response also parses its headers without the email parser when every header line is a
plain ``name: value`` (:func:`parse_headers`): the same ``HTTPMessage``, at a fraction of the
cost; ``begin`` is http.client's own (identical in Python 3.10 to 3.13) around that one call.
"""

from __future__ import annotations

import email.parser
import http.client
import io
import re
import socket
import time
from typing import Any

from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .._deadline_io import DeadlineReader

__all__ = ["DEADLINE_POOLS", "DeadlineHTTPPool", "DeadlineHTTPSPool"]


class _DeadlineReader(DeadlineReader):
    """The response's raw reader: its deadline is the socket's read timeout from now."""

    overdue = "the response took longer than the read timeout"

    def __init__(self, sock: socket.socket) -> None:
        timeout = sock.gettimeout()
        super().__init__(sock, timeout, None if timeout is None else time.monotonic() + timeout)


class _DeadlineSocket:
    """What :class:`http.client.HTTPResponse` asks of its socket: a buffered reader."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock))


#: A header line the email parser takes as plain ``name: value``: a name of visible characters
#: but ``:``, no other CR or LF in it (the parser splits lines at either), CRLF at the end; a
#: plain block is such lines and the blank one.
_PLAIN_BLOCK = re.compile(r"(?:[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r\n)*\r\n")
#: A plain line's name and value, the value as compat32's ``header_source_parse`` gives it
#: (leading blanks and tabs stripped, the line end dropped).
_PLAIN_LINE = re.compile(r"([\x21-\x39\x3b-\x7e]+):[ \t]*([^\r\n]*)\r\n")


def _read_header_lines(fp: Any) -> list[bytes]:
    """http.client's ``_read_headers`` (private there): the header lines, the blank one too."""
    lines = []
    while True:
        line = fp.readline(http.client._MAXLINE + 1)  # type: ignore[attr-defined]
        if len(line) > http.client._MAXLINE:  # type: ignore[attr-defined]
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > http.client._MAXHEADERS:  # type: ignore[attr-defined]
            raise http.client.HTTPException(
                f"got more than {http.client._MAXHEADERS} headers"  # type: ignore[attr-defined]
            )
        if line in (b"\r\n", b"\n", b""):
            return lines


def parse_headers(fp: Any) -> tuple[http.client.HTTPMessage, dict[str, str] | None]:
    """``http.client.parse_headers``, the same message, without the email parser for the
    usual block: every line a plain ``name: value``, and no multipart or message type (whose
    parsing looks further). The parser took about a fifth of the client's CPU per request.
    Anything else goes through the email parser as before.

    Also, for the usual block, each name's first value by its lower-case name: what the
    message's ``get`` answers, without its search through every header."""
    text = b"".join(_read_header_lines(fp)).decode("iso-8859-1")
    if _PLAIN_BLOCK.fullmatch(text) is not None:
        message = http.client.HTTPMessage()
        first: dict[str, str] = {}
        for name, value in _PLAIN_LINE.findall(text):
            message.set_raw(name, value)
            first.setdefault(name.lower(), value)
        kind = first.get("content-type", "").lower()
        if "multipart" not in kind and "message" not in kind:
            message.set_payload("")  # what the parser leaves: an empty body
            return message, first
    parser = email.parser.Parser(_class=http.client.HTTPMessage)
    return parser.parsestr(text), None


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(
        self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: Any = None
    ) -> None:
        super().__init__(_DeadlineSocket(sock), debuglevel, method, url)  # type: ignore[arg-type]

    def _read_status(self) -> tuple[str, int, str]:
        """The status line, with every interim answer (1xx but 101) read as ``100 Continue``
        and a ``101`` refused.

        http.client skips ``100 Continue`` before the final answer but takes any other 1xx
        (``102 Processing``, ``103 Early Hints``) as the answer itself; its final answer then
        stays unread on the connection and is taken as the answer to the next request. RFC
        9110 section 15.2: a client must read and discard an interim answer it did not expect.
        ``begin`` skips the headers of a 100 and reads the next status line, so that is what
        every interim answer gets; each costs part of the one deadline, so a stream of them
        still ends at the read timeout."""
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if status == 101:
            # No request of ours asks for an upgrade: whatever follows is not its answer, and
            # kept, the connection would hand it to the next request. urllib3 closes it.
            raise http.client.HTTPException("101 Switching Protocols to a request for no upgrade")
        if 100 < status < 200:
            return version, http.client.CONTINUE, reason
        return version, status, reason

    def begin(self) -> None:
        """``HTTPResponse.begin`` (the same in Python 3.10 to 3.13) with :func:`parse_headers`,
        and the few headers it reads looked up in the plain block's own table."""
        if getattr(self, "headers", None) is not None:  # already begun
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            _read_header_lines(self.fp)  # an interim answer's headers: skipped
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers, first = parse_headers(self.fp)
        self.msg = self.headers
        get = self.headers.get if first is None else first.get
        tr_enc = get("transfer-encoding")
        if tr_enc and tr_enc.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            self.chunked = False
        self.will_close = self._will_close(get)
        self.length = None
        length = get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (
            status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
            or 100 <= status < 200
            or self._method == "HEAD"  # type: ignore[attr-defined]
        ):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True

    def _will_close(self, get: Any) -> bool:
        """``HTTPResponse._check_close``, reading the headers through ``get``."""
        conn = get("connection")
        if self.version == 11:
            return bool(conn and "close" in conn.lower())
        if get("keep-alive"):
            return False
        if conn and "keep-alive" in conn.lower():
            return False
        pconn = get("proxy-connection")
        return not (pconn and "keep-alive" in pconn.lower())


def _bounded(conn: Any) -> Any:
    if isinstance(conn, http.client.HTTPConnection):
        conn.response_class = _DeadlineResponse
    return conn


class DeadlineHTTPPool(HTTPConnectionPool):
    def _new_conn(self) -> Any:
        return _bounded(super()._new_conn())


class DeadlineHTTPSPool(HTTPSConnectionPool):
    def _new_conn(self) -> Any:
        return _bounded(super()._new_conn())


#: ``PoolManager.pool_classes_by_scheme`` for responses read under one deadline.
DEADLINE_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": DeadlineHTTPPool,
    "https": DeadlineHTTPSPool,
}
