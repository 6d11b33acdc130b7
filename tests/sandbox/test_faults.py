from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests

from extensiv_connector.sandbox import FaultConfig, Faults, Sandbox

from .conftest import Api


def statuses(api: Api, n: int) -> list[int | str]:
    result: list[int | str] = []
    for _ in range(n):
        try:
            result.append(api.get("/customers").status_code)
        except requests.ConnectionError:
            result.append("reset")
    return result


def test_latency_is_added_and_changeable_while_running(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's injected sleep records the delay it was asked for: no wall clock involved.
    slept: list[float] = []
    monkeypatch.setattr(api.sb.app, "_sleep", slept.append)

    api.sb.faults.configure(latency_ms=80)
    slow = api.get("/customers")
    api.sb.faults.configure(latency_ms=0)
    fast = api.get("/customers")

    assert (200, 200) == (slow.status_code, fast.status_code)
    assert [0.08] == slept


def test_error_rate_uses_the_configured_statuses_with_plain_text(api: Api) -> None:
    api.sb.faults.configure(error_rate=1.0, error_statuses=(503,))
    response = api.get("/customers")
    assert (503, "text/plain") == (
        response.status_code,
        response.headers["Content-Type"].split(";")[0],
    )
    api.sb.faults.configure(error_statuses=(500,))
    assert "An error has occurred." == api.get("/customers").text


def test_same_seed_gives_same_fault_sequence(
    extensiv_sandbox_factory: Callable[..., Sandbox],
) -> None:
    config = FaultConfig(error_rate=0.3, reset_rate=0.1, seed=7)
    runs = []
    for _ in range(2):
        sb: Sandbox = extensiv_sandbox_factory(catalog_size=0, faults=config)
        runs.append(statuses(Api(sb), 25))
    assert runs[0] == runs[1]
    assert {200} < set(runs[0])  # some faults happened


def test_connection_reset_closes_without_answer(api: Api) -> None:
    api.sb.faults.enqueue("reset")
    with pytest.raises(requests.ConnectionError):
        api.get("/customers")
    assert 200 == api.get("/customers").status_code


def test_lost_response_commits_the_order_then_drops_the_answer(api: Api) -> None:
    api.sb.faults.configure(lost_response_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.create_order("SO-LOST", {"SKU-000001": 1})
    api.sb.faults.configure(lost_response_rate=0.0)
    found = api.get("/orders", params={"rql": "referenceNum==SO-LOST"}).json()
    assert 1 == found["totalResults"]
    retry = api.create_order("SO-LOST", {"SKU-000001": 1})
    assert (400, "Duplicate") == (retry.status_code, retry.json()["ErrorCode"])


def test_lost_response_in_500_mode(api: Api) -> None:
    api.sb.faults.configure(lost_response_rate=1.0, lost_response_mode="500")
    assert 500 == api.create_order("SO-L5", {"SKU-000001": 1}).status_code
    assert 200 == api.get("/customers").status_code  # reads are not "lost" by the rate
    api.sb.faults.clear()
    assert 1 == api.get("/orders", params={"rql": "referenceNum==SO-L5"}).json()["totalResults"]


def test_rate_limit_burst_with_retry_after(api: Api) -> None:
    api.sb.faults.configure(rate_limit_rate=1.0, rate_limit_burst=3, retry_after_s=2)
    first = api.get("/customers")
    assert (429, "2") == (first.status_code, first.headers["Retry-After"])
    api.sb.faults.configure(rate_limit_rate=0.0)
    assert 200 == api.get("/customers").status_code


def test_rate_limit_retry_after_zero_is_sent_as_zero(api: Api) -> None:
    api.sb.faults.configure(rate_limit_rate=1.0, rate_limit_burst=1, retry_after_s=0)

    first = api.get("/customers")

    assert (429, "0") == (first.status_code, first.headers["Retry-After"])


def test_rate_limit_burst_spans_consecutive_requests() -> None:
    faults = Faults(FaultConfig(rate_limit_rate=1.0, rate_limit_burst=3))
    first = faults.decide("GET", "/orders", is_auth=False, is_write=False)
    # the burst continues even though no new burst would start now
    faults._config = FaultConfig(rate_limit_rate=0.0, rate_limit_burst=3)
    rest = [faults.decide("GET", "/orders", is_auth=False, is_write=False).status for _ in range(3)]
    assert (429, [429, 429, None]) == (first.status, rest)


def test_early_token_expiry(api: Api) -> None:
    api.sb.faults.enqueue("expire_token")
    assert 401 == api.get("/customers").status_code
    assert 401 == api.get("/customers").status_code  # the token stays dead
    api.token = api.new_token()
    assert 200 == api.get("/customers").status_code


def test_scripted_faults_run_in_order_and_webhook_key_is_exempt(api: Api) -> None:
    api.sb.faults.enqueue(503, "ok", 429)
    assert 200 == requests.get(api.sb.base_url + "/events/webhook/key", timeout=5).status_code
    assert [503, 200, 429, 200] == statuses(api, 4)


def test_token_endpoint_is_exempt_unless_included(api: Api) -> None:
    api.sb.faults.configure(error_rate=1.0)
    api.new_token()
    api.sb.faults.configure(include_auth=True)
    with pytest.raises(AssertionError):
        api.new_token()


def test_only_limits_faults_to_matching_requests(api: Api) -> None:
    api.sb.faults.configure(error_rate=1.0, only=("POST /orders",))
    assert 200 == api.get("/orders").status_code
    assert api.create_order("SO-O", {"SKU-000001": 1}).status_code >= 500


def test_invalid_fault_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        FaultConfig(error_rate=1.5)
    with pytest.raises(ValueError, match="unknown"):
        Faults().enqueue("explode")


def test_concurrent_paging_with_latency_serves_the_pages_in_parallel(
    extensiv_sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sb = extensiv_sandbox_factory(catalog_size=2000, faults=FaultConfig(latency_ms=50))
    api = Api(sb)
    # Each request's latency waits until all 8 are inside theirs at once; served one at a time,
    # the barrier would time out and the requests would fail with 500.
    everyone_waiting = threading.Barrier(8, timeout=20)
    monkeypatch.setattr(sb.app, "_sleep", lambda _seconds: everyone_waiting.wait())

    def page(number: int) -> requests.Response:
        return requests.get(
            sb.base_url + "/inventory/stocksummaries",
            params={"pgsiz": 250, "pgnum": number},
            headers={"Authorization": f"Bearer {api.token}"},
            timeout=30,
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(page, range(1, 9)))

    assert [200] * 8 == [response.status_code for response in responses]
    skus = {row["ItemIdentifier"]["Sku"] for r in responses for row in r.json()["Summaries"]}
    assert 2000 == len(skus)
    assert not everyone_waiting.broken
