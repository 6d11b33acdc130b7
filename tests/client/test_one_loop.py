"""One retry loop: the pure per-operation budget, the resolve and before-attempt hooks each
request is given, and the bearer auth flow that replays a 401 outside the budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.client import (
    BearerAuth,
    Failure,
    Operation,
    RetryPolicy,
    TokenCache,
)
from extensiv_connector.errors import (
    AuthenticationError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TimeoutError_,
)
from extensiv_connector.models import TokenResponse

from .conftest import FakeAdapter, make_client, reply, token_reply

TOKEN = "/AuthServer/api/Token"
ORDER = {"referenceNum": "SO-1", "readOnly": {"orderId": 5}}


def half() -> float:
    return 0.5


# ---------------------------------------------------------------------- the pure operation

# One failed send: (failure, status, Retry-After).
FAILURES = st.one_of(
    st.tuples(st.sampled_from([Failure.NOT_SENT, Failure.CONNECTION, Failure.TIMEOUT])).map(
        lambda t: (t[0], None, None)
    ),
    st.tuples(
        st.just(Failure.STATUS),
        st.sampled_from([400, 404, 408, 409, 412, 429, 500, 502, 503, 504]),
        st.one_of(st.none(), st.floats(0, 90)),
    ),
)


def may_have_been_applied(failure: Failure, status: int | None) -> bool:
    """The test's own reading of the API rules: did this failed create maybe take effect?"""
    if failure is Failure.STATUS:
        assert status is not None
        return status >= 500 or status == 408
    return failure is not Failure.NOT_SENT


def may_be_in_flight(failure: Failure, status: int | None) -> bool:
    """Sent, and the server may still be working on it: not finding it proves nothing."""
    if failure is Failure.STATUS:
        return status in (502, 504)
    return failure in (Failure.CONNECTION, Failure.TIMEOUT)


@settings(max_examples=300)
@given(
    max_attempts=st.integers(1, 6),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    has_if_match=st.booleans(),
    is_create=st.booleans(),
    can_resolve=st.booleans(),
    data=st.data(),
)
def test_any_failure_sequence_sends_at_most_max_attempts_and_never_resends_an_unproven_create(
    max_attempts: int,
    method: str,
    has_if_match: bool,
    is_create: bool,
    can_resolve: bool,
    data: st.DataObject,
) -> None:
    policy = RetryPolicy(max_attempts=max_attempts, retry_after_cap=60.0)
    operation = policy.operation(
        method=method, has_if_match=has_if_match, is_create=is_create, can_resolve=can_resolve
    )
    sends = 0
    needs_proof = False  # a create may have taken effect and no lookup proved it absent yet
    while True:
        assert not needs_proof
        sends += 1
        assert sends == operation.begin()
        assert sends <= max_attempts
        if data.draw(st.booleans(), label="succeeded"):
            break
        failure, status, retry_after = data.draw(FAILURES, label="failure")
        decision = operation.failed(failure, status=status, retry_after=retry_after, rand=half)
        needs_proof = is_create and may_have_been_applied(failure, status)
        if decision.resolve:
            assert can_resolve
            assert needs_proof
            if data.draw(st.sampled_from(["absent", "found", "lookup failed"])) != "absent":
                break
            decision = operation.proven_absent(half)
            if may_be_in_flight(failure, status):  # not found proves nothing yet
                assert (False, True) == (decision.retry, decision.outcome_unknown)
            needs_proof = False
        if not decision.retry:
            with pytest.raises(RuntimeError):
                operation.begin()  # the loop cannot send what the decisions did not allow
            break
        assert 0.0 <= decision.delay <= 60.0


@given(status=st.sampled_from([408, 500, 503]))
def test_a_create_the_origin_answered_is_sent_again_only_after_the_lookup(status: int) -> None:
    operation = RetryPolicy().operation(
        method="POST", has_if_match=False, is_create=True, can_resolve=True
    )
    operation.begin()
    decision = operation.failed(Failure.STATUS, status=status, rand=half)

    assert (True, False) == (decision.resolve, decision.retry)
    with pytest.raises(RuntimeError):
        operation.begin()
    assert operation.proven_absent(half).retry
    assert 2 == operation.begin()


@given(
    failure=st.sampled_from(
        [
            (Failure.CONNECTION, None),
            (Failure.TIMEOUT, None),
            (Failure.STATUS, 502),
            (Failure.STATUS, 504),
        ]
    )
)
def test_a_create_that_may_still_be_in_flight_is_looked_up_but_never_sent_again(
    failure: tuple[Failure, int | None],
) -> None:
    operation = RetryPolicy().operation(
        method="POST", has_if_match=False, is_create=True, can_resolve=True
    )
    operation.begin()
    decision = operation.failed(failure[0], status=failure[1], rand=half)
    assert (True, True) == (decision.resolve, decision.in_flight)

    after = operation.proven_absent(half)

    assert (False, True) == (after.retry, after.outcome_unknown)
    assert "in flight" in after.reason
    with pytest.raises(RuntimeError):
        operation.begin()


def test_without_a_resolver_an_unknown_create_is_outcome_unknown_and_never_resolved() -> None:
    operation = RetryPolicy().operation(method="POST", has_if_match=False, is_create=True)
    operation.begin()
    decision = operation.failed(Failure.STATUS, status=503, rand=half)

    assert (False, True, False) == (decision.retry, decision.outcome_unknown, decision.resolve)
    with pytest.raises(RuntimeError):
        operation.proven_absent(half)


def test_a_lookup_proving_absence_after_the_last_attempt_ends_the_operation() -> None:
    operation = Operation(
        RetryPolicy(max_attempts=1),
        method="POST",
        has_if_match=False,
        is_create=True,
        can_resolve=True,
    )
    operation.begin()
    operation.failed(Failure.STATUS, status=500, rand=half)

    decision = operation.proven_absent(half)

    assert (False, False, "attempts exhausted") == (
        decision.retry,
        decision.outcome_unknown,
        decision.reason,
    )


# ---------------------------------------------------------------------- the auth flow


def _cache(*tokens: str) -> TokenCache:
    issued = iter(tokens)
    return TokenCache(lambda: TokenResponse(access_token=next(issued), expires_in=3600))


@attrs.frozen
class Answer:
    status_code: int


def test_the_auth_flow_sends_the_bearer_token_and_ends_on_an_accepted_answer() -> None:
    flow = BearerAuth(_cache("a")).auth_flow({"Accept": "x"})

    sent = next(flow)

    assert {"Accept": "x", "Authorization": "Bearer a"} == sent
    with pytest.raises(StopIteration):
        flow.send(Answer(200))


def test_the_auth_flow_refreshes_once_on_a_401_and_gives_the_second_401_back() -> None:
    cache = _cache("old", "new", "never")
    flow = BearerAuth(cache).auth_flow({})
    next(flow)

    replay = flow.send(Answer(401))

    assert ({"Authorization": "Bearer new"}, 2) == (replay, cache.fetch_count)
    with pytest.raises(StopIteration):
        flow.send(Answer(401))
    assert 2 == cache.fetch_count


# ---------------------------------------------------------------------- the transport's loop


def _answers(posts: list[Any]) -> Callable[[requests.PreparedRequest], Any]:
    queue = list(posts)

    def handle(request: requests.PreparedRequest) -> Any:
        path = (request.path_url or "").split("?")[0]
        if path == TOKEN:
            return token_reply()
        assert ("POST", "/orders") == (request.method, path)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return handle


def _posts(adapter: FakeAdapter) -> int:
    return sum(1 for r in adapter.requests if (r.path_url or "").startswith("/orders"))


def test_an_unknown_create_is_looked_up_and_sent_again_only_when_absent() -> None:
    client, adapter = make_client(_answers([reply(500, "oops"), reply(201, ORDER)]))
    looked_up: list[str] = []

    created = client.orders.create({"referenceNum": "SO-1"}, resolve=looked_up.append)

    assert (["SO-1"], 2, 5) == (looked_up, _posts(adapter), created.order_id)


class Found(Exception):  # noqa: N818 - the test's own signal
    pass


def test_a_create_found_by_the_lookup_is_not_sent_again() -> None:
    client, adapter = make_client(_answers([requests.ReadTimeout("slow"), reply(201, ORDER)]))

    def resolve(reference: str) -> None:
        raise Found(reference)

    with pytest.raises(Found, match="SO-1"):
        client.orders.create({"referenceNum": "SO-1"}, resolve=resolve)
    assert 1 == _posts(adapter)


@pytest.mark.parametrize(
    "failure",
    [requests.ReadTimeout("slow"), requests.ConnectionError("reset"), reply(502), reply(504)],
    ids=["read-timeout", "reset", "502", "504"],
)
def test_a_create_not_found_while_it_may_be_in_flight_is_not_sent_again(failure: Any) -> None:
    client, adapter = make_client(_answers([failure, reply(201, ORDER)]), max_attempts=5)
    looked_up: list[str] = []

    with pytest.raises(OutcomeUnknownError, match="in flight") as raised:
        client.orders.create({"referenceNum": "SO-1"}, resolve=looked_up.append)

    assert (1, ["SO-1"], "SO-1") == (_posts(adapter), looked_up, raised.value.reference)


def test_a_create_proven_absent_after_every_attempt_raises_the_last_error() -> None:
    delays: list[float] = []
    client, adapter = make_client(_answers([reply(503, "busy")]), max_attempts=3)
    client.retry_listeners.append(lambda _m, _p, delay: delays.append(delay))
    looked_up: list[str] = []

    with pytest.raises(ServerError):
        client.orders.create({"referenceNum": "SO-1"}, resolve=looked_up.append)

    assert (3, 3) == (_posts(adapter), len(looked_up))
    assert [0.125, 0.25] == delays  # full jitter, rand=0.5; told to the listeners as before


def test_a_persistent_429_on_a_create_is_sent_max_attempts_times_without_lookups() -> None:
    client, adapter = make_client(_answers([reply(429, "", {"Retry-After": "1"})]), max_attempts=4)
    looked_up: list[str] = []

    with pytest.raises(RateLimitedError):
        client.orders.create({"referenceNum": "SO-1"}, resolve=looked_up.append)

    assert (4, []) == (_posts(adapter), looked_up)


def test_a_create_without_hooks_still_raises_outcome_unknown_after_one_send() -> None:
    client, adapter = make_client(_answers([requests.ConnectionError("reset")]))

    with pytest.raises(OutcomeUnknownError):
        client.orders.create({"referenceNum": "SO-1"})
    assert 1 == _posts(adapter)


def test_before_attempt_runs_before_every_send_of_its_request_not_before_token_requests() -> None:
    tokens = iter(["old", "new"])
    seen: list[str] = []

    def handle(request: requests.PreparedRequest) -> Any:
        if TOKEN in (request.url or ""):
            return token_reply(next(tokens))
        seen.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer old":
            return reply(401, {"Message": "denied"})
        return reply(429, "") if len(seen) < 3 else reply(201, ORDER)

    client, _ = make_client(handle, max_attempts=2)
    checks: list[int] = []

    client.orders.create({"referenceNum": "SO-1"}, before_attempt=lambda: checks.append(len(seen)))

    # 401 + replay are one attempt, the 429 retry the second: the budget of two sufficed.
    assert ["Bearer old", "Bearer new", "Bearer new"] == seen
    assert [0, 1, 2] == checks  # before each POST (0, 1, 2 sent so far); not the 2 token requests
    assert 2 == client.token_requests


def test_a_failing_before_attempt_stops_the_request_before_anything_is_sent() -> None:
    client, adapter = make_client(_answers([reply(201, ORDER)]))

    def lost() -> None:
        raise TimeoutError_("lease gone")

    with pytest.raises(TimeoutError_):
        client.orders.create({"referenceNum": "SO-1"}, before_attempt=lost)
    assert 0 == _posts(adapter)


def test_hooks_belong_to_the_one_request_they_were_given_to() -> None:
    client, adapter = make_client(_answers([reply(500, "oops"), reply(201, ORDER), reply(500)]))
    looked_up: list[str] = []
    checks: list[str] = []

    client.orders.create(
        {"referenceNum": "SO-1"},
        resolve=looked_up.append,
        before_attempt=lambda: checks.append("x"),
    )
    with pytest.raises(OutcomeUnknownError):
        client.orders.create({"referenceNum": "SO-2"})  # no hooks: nothing inherited

    assert (["SO-1"], ["x", "x"], 3) == (looked_up, checks, _posts(adapter))


def test_a_token_refresh_that_fails_after_a_401_is_an_authentication_error_not_unknown() -> None:
    tokens = [token_reply("old")] + [reply(503, "token service down")] * 3
    seen: list[str] = []

    def handle(request: requests.PreparedRequest) -> Any:
        if TOKEN in (request.url or ""):
            return tokens.pop(0)
        seen.append(request.headers["Authorization"])
        return reply(401, {"Message": "expired"})

    client, _ = make_client(handle, max_attempts=3)
    looked_up: list[str] = []

    with pytest.raises(AuthenticationError, match="401 and the token refresh failed") as raised:
        client.orders.create({"referenceNum": "SO-1"}, resolve=looked_up.append)

    assert (["Bearer old"], [], 401) == (seen, looked_up, raised.value.status)
