"""``stop_on_signals``: turn SIGTERM/SIGINT into a set ``threading.Event`` for ``Worker.run``.

A handler that calls ``stop.set()`` itself can hang the process for good: Python runs signal
handlers in the main thread, between two bytecodes, and the main thread of a worker spends its
idle time in ``stop.wait()``, which holds the event's internal (non-reentrant) lock for a moment
on each call. A signal landing in that moment makes ``set()`` wait for a lock its own thread
holds. So the handler only writes a byte to a pipe, and a helper thread sets the event.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterable, Iterator
from types import FrameType
from typing import Any

__all__ = ["stop_on_signals"]

_SIGNALLED, _ENDED = b"s", b"e"


@contextlib.contextmanager
def stop_on_signals(
    stop: threading.Event,
    signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
) -> Iterator[threading.Event]:
    """Set ``stop`` when one of ``signals`` arrives while the block runs; the previous handlers
    come back afterwards. Call it from the main thread (only it may install handlers)::

        stop = threading.Event()
        with stop_on_signals(stop), Worker(configs, store) as worker:
            worker.run(stop)  # returns between jobs after SIGTERM or Ctrl-C
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)

    def handler(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe already holds a wake-up
            os.write(write_end, _SIGNALLED)

    def relay() -> None:
        if os.read(read_end, 1) == _SIGNALLED:  # else the block ended without a signal
            stop.set()

    previous: dict[signal.Signals, Any] = {}
    thread: threading.Thread | None = None
    try:
        for sig in signals:  # ValueError outside the main thread: nothing is left behind
            previous[sig] = signal.signal(sig, handler)
        # A signal before the thread starts waits in the pipe.
        thread = threading.Thread(target=relay, name="extensiv-worker-signals", daemon=True)
        thread.start()
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        if thread is not None:
            # A byte, not end of file: a process forked meanwhile may hold the write end open.
            with contextlib.suppress(BlockingIOError):  # full: the relay has read and left
                os.write(write_end, _ENDED)
            thread.join()
        os.close(write_end)
        os.close(read_end)
