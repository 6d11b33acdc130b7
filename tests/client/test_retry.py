from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.client import Failure, RetryDecision, RetryPolicy

POLICY = RetryPolicy(max_attempts=5, base_delay=0.25, max_delay=2.0, retry_after_cap=30.0)


def almost_one() -> float:
    return 0.999999


def test_backoff_ceiling_doubles_until_the_cap() -> None:
    ceilings = [round(POLICY.backoff(n, lambda: 1.0), 6) for n in range(1, 7)]
    assert [0.25, 0.5, 1.0, 2.0, 2.0, 2.0] == ceilings


@given(attempt=st.integers(1, 40), r=st.floats(0, 1, exclude_max=True))
def test_full_jitter_stays_between_zero_and_the_ceiling(attempt: int, r: float) -> None:
    delay = POLICY.backoff(attempt, lambda: r)
    assert 0.0 <= delay <= min(2.0, 0.25 * 2 ** (attempt - 1))


def decide(**kwargs: Any) -> RetryDecision:
    base: dict[str, Any] = {
        "attempt": 1,
        "method": "GET",
        "has_if_match": False,
        "is_create": False,
        "failure": Failure.STATUS,
        "status": 503,
        "rand": almost_one,
    }
    base.update(kwargs)
    return POLICY.decide(**base)


def test_get_503_is_retried_with_backoff() -> None:
    decision = decide()
    assert (True, "backoff") == (decision.retry, decision.reason)


def test_retry_after_within_cap_is_honoured_exactly() -> None:
    decision = decide(status=429, retry_after=12.0)
    assert (True, 12.0) == (decision.retry, decision.delay)


def test_retry_after_above_cap_stops_retrying() -> None:
    decision = decide(status=429, retry_after=31.0)
    assert False is decision.retry


def test_attempts_are_bounded() -> None:
    assert False is decide(attempt=5).retry


@pytest.mark.parametrize("status", [400, 401, 403, 404, 412, 428])
def test_client_errors_are_final(status: int) -> None:
    assert False is decide(status=status).retry


@pytest.mark.parametrize("failure", [Failure.TIMEOUT, Failure.CONNECTION])
def test_create_is_never_repeated_after_an_ambiguous_failure(failure: Failure) -> None:
    decision = decide(method="POST", is_create=True, failure=failure, status=None)
    assert (False, True) == (decision.retry, decision.outcome_unknown)


def test_create_500_is_outcome_unknown() -> None:
    decision = decide(method="POST", is_create=True, status=500)
    assert (False, True) == (decision.retry, decision.outcome_unknown)


def test_create_that_never_reached_the_server_is_retried() -> None:
    decision = decide(method="POST", is_create=True, failure=Failure.NOT_SENT, status=None)
    assert True is decision.retry


def test_create_429_is_retried_because_nothing_was_processed() -> None:
    decision = decide(method="POST", is_create=True, status=429)
    assert True is decision.retry


def test_put_without_if_match_is_not_repeated_but_with_if_match_is() -> None:
    without = decide(method="PUT", failure=Failure.TIMEOUT, status=None)
    with_tag = decide(method="PUT", has_if_match=True, failure=Failure.TIMEOUT, status=None)
    assert (False, True) == (without.retry, with_tag.retry)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
