"""Client-side request rate limit: a token bucket (off unless a rate is configured)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` requests per second on average, bursts up to ``burst``.

    :meth:`reserve` is the pure arithmetic (given ``now``, how long must this caller wait);
    :meth:`acquire` applies it with the injected clock and sleep.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated: float | None = None
        self._lock = threading.Lock()

    def reserve(self, now: float) -> float:
        """Take one token; return the seconds the caller must wait before using it."""
        with self._lock:
            if self._updated is None:
                self._updated = now
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            self._updated = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    def acquire(self) -> None:
        wait = self.reserve(self._clock())
        if wait > 0:
            self._sleep(wait)
