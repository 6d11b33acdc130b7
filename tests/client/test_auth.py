from __future__ import annotations

import threading
import time

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.client import TokenCache, token_is_fresh, token_request_body
from extensiv_connector.models import TokenResponse


def test_token_body_uses_user_login_id_and_wraps_tpl_in_braces() -> None:
    body = token_request_body(user_login_id="7", user_login=None, tpl="e55a580d-1")
    expected = {"grant_type": "client_credentials", "user_login_id": "7", "tpl": "{e55a580d-1}"}
    assert expected == body


def test_token_body_keeps_existing_braces_and_can_send_user_login() -> None:
    body = token_request_body(user_login_id=None, user_login="wh-user", tpl="{abc}")
    assert {"grant_type": "client_credentials", "user_login": "wh-user", "tpl": "{abc}"} == body


def test_token_body_without_tpl_has_no_tpl_key() -> None:
    assert "tpl" not in token_request_body(user_login_id="1", user_login=None, tpl=None)


def test_freshness_uses_the_margin() -> None:
    assert (True, False) == (
        token_is_fresh(0, 3600, 3299, margin=300),
        token_is_fresh(0, 3600, 3300, margin=300),
    )


@given(lifetime=st.integers(1, 100_000), margin=st.floats(0, 10_000))
def test_margin_never_exceeds_half_the_lifetime(lifetime: int, margin: float) -> None:
    assert token_is_fresh(0, lifetime, lifetime / 2 - 0.001, margin)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_is_reused_until_expiry_minus_margin_then_refetched() -> None:
    clock = Clock()
    issued = iter(["a", "b"])
    cache = TokenCache(
        lambda: TokenResponse(access_token=next(issued), expires_in=3600), clock=clock, margin=300
    )
    first = cache.token()
    clock.now += 3299
    second = cache.token()
    clock.now += 1
    third = cache.token()
    assert (["a", "a", "b"], 2) == ([first, second, third], cache.fetch_count)


def test_32_threads_asking_at_once_cause_one_token_request() -> None:
    calls = []

    def fetch() -> TokenResponse:
        calls.append(1)
        time.sleep(0.05)  # long enough for every thread to pile up on the lock
        return TokenResponse(access_token="shared", expires_in=3600)

    cache = TokenCache(fetch)
    barrier = threading.Barrier(32)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.token())

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (1, ["shared"] * 32) == (len(calls), results)


def test_invalidate_ignores_a_token_that_was_already_replaced() -> None:
    issued = iter(["a", "b", "c"])
    cache = TokenCache(lambda: TokenResponse(access_token=next(issued), expires_in=3600))
    cache.token()
    cache.invalidate("a")
    assert "b" == cache.token()
    cache.invalidate("a")  # a late 401 for the old token must not throw away "b"
    assert ("b", 2) == (cache.token(), cache.fetch_count)


def test_cache_repr_has_no_token() -> None:
    cache = TokenCache(lambda: TokenResponse(access_token="very-secret", expires_in=60))
    cache.token()
    assert "very-secret" not in repr(cache)
