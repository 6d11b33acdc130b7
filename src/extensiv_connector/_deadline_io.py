"""A socket reader that refuses to wait past one deadline for a whole message.

A socket's timeout bounds each read, so a peer that sends a byte every few seconds keeps a
message coming for as long as it likes. Both ends need the same answer: the client for a
response (``client/_deadline.py``), the sandbox for a request (``sandbox/_http.py``). Every
read here waits at most for what is left of the deadline. Shortening the socket's timeout
costs a system call, so it is done only once the time left is clearly below it: a message that
arrives in milliseconds costs a clock read per read and nothing else, and a slow one ends at
most about :data:`SLACK` of its timeout after its deadline.
"""

from __future__ import annotations

import io
import socket
import time
from typing import Any

__all__ = ["SLACK", "DeadlineReader"]

#: A message may overrun its deadline by at most this share of the socket's timeout (the
#: timeout is shortened in steps of it, not before every read).
SLACK = 0.1


class DeadlineReader(io.RawIOBase):
    """The socket's raw reader, refusing to wait past ``deadline`` (``time.monotonic``; None:
    no deadline, each read waits as the socket does). ``timeout`` is the socket's timeout now.
    It wraps the socket's own ``SocketIO``, so the descriptor stays open while it is read."""

    #: What the ``TimeoutError`` of an overdue read says.
    overdue = "the message took longer than its timeout"

    def __init__(self, sock: socket.socket, timeout: float | None, deadline: float | None) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._timeout = timeout
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def readinto(self, buffer: Any) -> int | None:
        deadline, timeout = self._deadline, self._timeout
        if deadline is not None and timeout is not None:
            left = deadline - time.monotonic()
            if left < timeout * (1 - SLACK):
                if left <= 0:
                    raise TimeoutError(self.overdue)
                self._sock.settimeout(left)
                self._timeout = left
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()
