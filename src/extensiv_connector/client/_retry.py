"""The retry decision: pure, no clock, no sleeping, randomness injected.

Which requests may be repeated (from the API's concurrency and error rules):

* ``GET``/``HEAD``/``OPTIONS`` always;
* ``PUT``/``DELETE``/``POST`` carrying ``If-Match`` (a repeat of an applied write fails with 412
  instead of applying twice);
* a create (``POST /orders``, ``POST /inventory/receivers``, ``POST /customers/{id}/items``) is
  never repeated once it may have reached the server: the transport raises
  :class:`~extensiv_connector.errors.OutcomeUnknownError` instead. It *is* repeated when the
  request provably did not get processed: a connect timeout/refusal, or a 429.

Delays are capped exponential backoff with full jitter; a ``Retry-After`` is honoured exactly when
it is not above ``retry_after_cap``, and a longer one stops the retries (the caller gets the
:class:`~extensiv_connector.errors.RateLimitedError` with its ``retry_after``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import attrs

__all__ = ["Failure", "RetryDecision", "RetryPolicy"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Failure(enum.Enum):
    """What went wrong with one attempt."""

    NOT_SENT = "not_sent"  # connect failed / connect timeout: the server never saw the request
    CONNECTION = "connection"  # reset / broken pipe after sending: outcome unknown
    TIMEOUT = "timeout"  # read timeout: outcome unknown
    STATUS = "status"  # an HTTP status


@attrs.frozen
class RetryDecision:
    """What :class:`RetryPolicy` decided for one failed attempt: retry or not, after how long, and
    why."""

    retry: bool
    delay: float = 0.0
    #: True when a create may have been applied and must be resolved by reference.
    outcome_unknown: bool = False
    reason: str = ""


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how long to retry. ``max_attempts`` counts the first try."""

    max_attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0
    retry_after_cap: float = 30.0
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.retry_after_cap < 0:
            raise ValueError("delays must not be negative")

    @staticmethod
    def is_repeatable(method: str, has_if_match: bool) -> bool:
        """May this request be sent again after an unknown outcome?"""
        upper = method.upper()
        if upper in _SAFE_METHODS:
            return True
        return has_if_match and upper in {"PUT", "DELETE", "POST", "PATCH"}

    def backoff(self, attempt: int, rand: Callable[[], float]) -> float:
        """Full jitter: uniform in ``[0, min(max_delay, base_delay * 2**(attempt-1))]``.

        ``attempt`` is the number of the attempt that just failed (1-based); ``rand`` returns a
        float in ``[0, 1)``.
        """
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return float(ceiling * rand())

    def decide(
        self,
        *,
        attempt: int,
        method: str,
        has_if_match: bool,
        is_create: bool,
        failure: Failure,
        status: int | None = None,
        retry_after: float | None = None,
        rand: Callable[[], float],
    ) -> RetryDecision:
        """Whether to try again after ``attempt`` failed, and after how long."""
        if failure is Failure.STATUS:
            assert status is not None
            if status not in self.retry_statuses:
                return RetryDecision(False, reason=f"HTTP {status} is final")
            server_rejected = status == 429  # nothing was processed: safe even for a create
            if is_create and not server_rejected:
                return RetryDecision(False, outcome_unknown=True, reason=f"HTTP {status}")
            if (
                not is_create
                and not server_rejected
                and not self.is_repeatable(method, has_if_match)
            ):
                return RetryDecision(False, reason=f"{method} is not safe to repeat")
        elif failure is not Failure.NOT_SENT:
            if is_create:
                return RetryDecision(False, outcome_unknown=True, reason=failure.value)
            if not self.is_repeatable(method, has_if_match):
                return RetryDecision(False, reason=f"{method} is not safe to repeat")
        if attempt >= self.max_attempts:
            return RetryDecision(False, reason="attempts exhausted")
        if retry_after is not None:
            if retry_after > self.retry_after_cap:
                return RetryDecision(False, reason="Retry-After above the cap")
            return RetryDecision(True, delay=retry_after, reason="Retry-After")
        return RetryDecision(True, delay=self.backoff(attempt, rand), reason="backoff")
