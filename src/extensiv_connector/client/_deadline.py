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
"""

from __future__ import annotations

import http.client
import io
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


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(
        self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: Any = None
    ) -> None:
        super().__init__(_DeadlineSocket(sock), debuglevel, method, url)  # type: ignore[arg-type]

    def _read_status(self) -> tuple[str, int, str]:
        """The status line, with every interim answer (1xx but 101) read as ``100 Continue``.

        http.client skips ``100 Continue`` before the final answer but takes any other 1xx
        (``102 Processing``, ``103 Early Hints``) as the answer itself; its final answer then
        stays unread on the connection and is taken as the answer to the next request. RFC
        9110 section 15.2: a client must read and discard an interim answer it did not expect.
        ``begin`` skips the headers of a 100 and reads the next status line, so that is what
        every interim answer gets; each costs part of the one deadline, so a stream of them
        still ends at the read timeout."""
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if 100 < status < 200 and status != 101:
            return version, http.client.CONTINUE, reason
        return version, status, reason


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
