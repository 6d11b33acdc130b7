"""The retry decision: pure, no clock, no sleeping, randomness injected.

Which requests may be repeated (from the API's concurrency and error rules):

* ``GET``/``HEAD``/``OPTIONS`` always;
* ``PUT``/``DELETE``/``POST`` carrying ``If-Match`` (a repeat of an applied write fails with 412
  instead of applying twice);
* a create (``POST /orders``, ``POST /inventory/receivers``, ``POST /customers/{id}/items``) is
  never repeated blindly once it may have reached the server. Without a resolver the transport
  raises :class:`~extensiv_connector.errors.OutcomeUnknownError`; with one the decision is
  ``resolve``: look the reference up (a record found is adopted by the caller). What a lookup
  that finds nothing allows depends on the failure:

  ============================================  ==========  ================================
  failure of a create                           look up     sent again when not found
  ============================================  ==========  ================================
  connect failed / connect timeout (not sent)   no          yes, straight away
  429                                           no          yes, straight away
  500, 503, 408 (the origin answered)           yes         yes (:meth:`Operation.proven_absent`)
  read timeout, reset after sending, 502, 504   yes         no: it may still be in flight
  ============================================  ==========  ================================

  A lookup proves absence only once the server is done with the request. After a read timeout,
  a broken connection or a gateway's 502/504 the origin may still be processing it, so a lookup
  that finds nothing proves nothing: the decision is ``outcome_unknown`` and the caller keeps
  the reference pending (to be looked up again later, not re-sent in the same run).

One logical operation has one budget: :class:`Operation` counts its sends against
``max_attempts`` across every kind of failure, the resolved ones included.

Delays are capped exponential backoff with full jitter; a ``Retry-After`` is honoured exactly when
it is not above ``retry_after_cap``, and a longer one stops the retries (the caller gets the
:class:`~extensiv_connector.errors.RateLimitedError` with its ``retry_after``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import attrs

__all__ = ["Failure", "Operation", "RetryDecision", "RetryPolicy"]

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
    #: Look the create's reference up before anything else (only when a resolver exists).
    resolve: bool = False
    #: The request may still be processed (read timeout, reset after sending, 502/504): a
    #: lookup can find it, but not finding it proves nothing, so it is not sent again.
    in_flight: bool = False


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how long to retry. ``max_attempts`` counts the first try."""

    max_attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0
    retry_after_cap: float = 30.0
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
    #: Statuses a gateway sends while the origin may still be working on the request.
    in_flight_statuses: frozenset[int] = frozenset({502, 504})

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
        can_resolve: bool = False,
    ) -> RetryDecision:
        """Whether to try again after ``attempt`` failed, and after how long.

        ``can_resolve``: a create's unknown outcome can be looked up by reference, so the
        decision is ``resolve`` rather than giving up with ``outcome_unknown``.
        """
        if failure is Failure.STATUS:
            assert status is not None
            if status not in self.retry_statuses:
                return RetryDecision(False, reason=f"HTTP {status} is final")
            server_rejected = status == 429  # nothing was processed: safe even for a create
            if is_create and not server_rejected:
                in_flight = status in self.in_flight_statuses
                return _unknown(f"HTTP {status}", can_resolve, in_flight=in_flight)
            if (
                not is_create
                and not server_rejected
                and not self.is_repeatable(method, has_if_match)
            ):
                return RetryDecision(False, reason=f"{method} is not safe to repeat")
        elif failure is not Failure.NOT_SENT:
            if is_create:  # sent: the server may be processing it still
                return _unknown(failure.value, can_resolve, in_flight=True)
            if not self.is_repeatable(method, has_if_match):
                return RetryDecision(False, reason=f"{method} is not safe to repeat")
        return self._again(attempt, retry_after, rand)

    def after_absent(self, attempt: int, rand: Callable[[], float]) -> RetryDecision:
        """A create's outcome was unknown and the lookup proved it absent: repeating it cannot
        duplicate it, so it is retried like a request that never got through."""
        return self._again(attempt, None, rand)

    def operation(
        self, *, method: str, has_if_match: bool, is_create: bool, can_resolve: bool = False
    ) -> Operation:
        """The attempt state of one logical operation under this policy."""
        return Operation(
            self,
            method=method.upper(),
            has_if_match=has_if_match,
            is_create=is_create,
            can_resolve=can_resolve and is_create,
        )

    def _again(
        self, attempt: int, retry_after: float | None, rand: Callable[[], float]
    ) -> RetryDecision:
        if attempt >= self.max_attempts:
            return RetryDecision(False, reason="attempts exhausted")
        if retry_after is not None:
            if retry_after > self.retry_after_cap:
                return RetryDecision(False, reason="Retry-After above the cap")
            return RetryDecision(True, delay=retry_after, reason="Retry-After")
        return RetryDecision(True, delay=self.backoff(attempt, rand), reason="backoff")


def _unknown(reason: str, can_resolve: bool, *, in_flight: bool) -> RetryDecision:
    return RetryDecision(
        False, outcome_unknown=True, reason=reason, resolve=can_resolve, in_flight=in_flight
    )


@attrs.define
class Operation:
    """The attempts of one logical operation (one create, one GET...) under one budget.

    Pure: no I/O, no clock. The loop calls :meth:`begin` before each send and :meth:`failed`
    after a failed one; when a decision says ``resolve`` it looks the reference up and calls
    :meth:`proven_absent` if the lookup found nothing. :meth:`begin` refuses a send the
    decisions did not allow: past the budget, or a create whose outcome is still unknown
    (not looked up yet, or possibly still in flight).
    """

    policy: RetryPolicy
    method: str = attrs.field(kw_only=True)
    has_if_match: bool = attrs.field(kw_only=True)
    is_create: bool = attrs.field(kw_only=True)
    can_resolve: bool = attrs.field(kw_only=True, default=False)
    #: Sends so far (the first try included); never more than ``policy.max_attempts``.
    sent: int = attrs.field(default=0, init=False)
    _may_send: bool = attrs.field(default=True, init=False)
    _awaiting_lookup: bool = attrs.field(default=False, init=False)
    _in_flight: str = attrs.field(default="", init=False)  # the failure that left it in flight

    def begin(self) -> int:
        """Account for one send; returns its 1-based number."""
        if not self._may_send:
            raise RuntimeError(f"{self.method}: no send allowed now (attempt {self.sent})")
        self._may_send = False
        self.sent += 1
        return self.sent

    def failed(
        self,
        failure: Failure,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        rand: Callable[[], float],
    ) -> RetryDecision:
        """The decision after the current send failed."""
        decision = self.policy.decide(
            attempt=self.sent,
            method=self.method,
            has_if_match=self.has_if_match,
            is_create=self.is_create,
            failure=failure,
            status=status,
            retry_after=retry_after,
            rand=rand,
            can_resolve=self.can_resolve,
        )
        self._awaiting_lookup = decision.resolve
        self._in_flight = decision.reason if decision.in_flight else ""
        self._may_send = decision.retry
        return decision

    def proven_absent(self, rand: Callable[[], float]) -> RetryDecision:
        """The lookup a ``resolve`` decision asked for found nothing: retry if the budget allows,
        unless the request may still be in flight (then nothing is proven: outcome unknown)."""
        if not self._awaiting_lookup:
            raise RuntimeError(f"{self.method}: no lookup was asked for")
        self._awaiting_lookup = False
        if self._in_flight:
            return RetryDecision(
                False,
                outcome_unknown=True,
                in_flight=True,
                reason=f"{self._in_flight}; not found, but it may still be in flight",
            )
        decision = self.policy.after_absent(self.sent, rand)
        self._may_send = decision.retry
        return decision
