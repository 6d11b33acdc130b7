"""``stop_on_signals``: a signal sets the worker's stop event, also when it lands while the
main thread holds the event's own lock (where a handler calling ``set()`` hangs for good)."""

from __future__ import annotations

import os
import signal
import threading

from extensiv_connector.worker import stop_on_signals


def test_a_signal_sets_the_stop_event_and_the_previous_handler_comes_back() -> None:
    stop = threading.Event()
    before = signal.getsignal(signal.SIGUSR1)

    with stop_on_signals(stop, [signal.SIGUSR1]):
        os.kill(os.getpid(), signal.SIGUSR1)
        stopped = stop.wait(10)

    assert (True, before) == (stopped, signal.getsignal(signal.SIGUSR1))


def test_a_signal_landing_while_the_event_lock_is_held_still_stops_the_worker() -> None:
    stop = threading.Event()

    with stop_on_signals(stop, [signal.SIGUSR1]):
        # Event.wait() holds this lock for a moment on every call: the handler runs right here,
        # in this thread, and must not need it.
        # the stdlib lock the old handler deadlocked on: private, so typeshed does not declare it
        with stop._cond:  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGUSR1)
            held_through_signal = not stop.is_set()
        stopped = stop.wait(10)

    assert (True, True) == (held_through_signal, stopped)


def test_leaving_the_block_without_a_signal_leaves_the_event_unset() -> None:
    stop = threading.Event()

    with stop_on_signals(stop, [signal.SIGUSR1]):
        pass

    assert not stop.is_set()


def test_outside_the_main_thread_it_refuses_and_leaves_no_handler_behind() -> None:
    errors: list[BaseException] = []
    before = signal.getsignal(signal.SIGUSR1)

    def attempt() -> None:
        try:
            with stop_on_signals(threading.Event(), [signal.SIGUSR1]):
                pass
        except ValueError as exc:  # only the main thread may install handlers
            errors.append(exc)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()

    assert (1, before) == (len(errors), signal.getsignal(signal.SIGUSR1))
