from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests

from extensiv_connector.client import USER_AGENT, ExtensivClient
from extensiv_connector.errors import (
    AuthenticationError,
    ConfigError,
    ConnectionFailedError,
    OutcomeUnknownError,
    PreconditionFailedError,
    RateLimitedError,
    ServerError,
    TimeoutError_,
)
from extensiv_connector.models import Item, Order

from .conftest import BASE, FakeAdapter, reply, token_reply

Fake = Callable[..., tuple[ExtensivClient, FakeAdapter]]
TOKEN = "/AuthServer/api/Token"


def path_of(request: requests.PreparedRequest) -> str:
    return (request.path_url or "").split("?")[0]


def router(routes: dict[str, Any]) -> Callable[[requests.PreparedRequest], Any]:
    """Map "METHOD /path" to a reply, a list of replies (served in turn) or an exception."""
    queues = {k: (list(v) if isinstance(v, list) else v) for k, v in routes.items()}

    def handle(request: requests.PreparedRequest) -> Any:
        key = f"{request.method} {path_of(request)}"
        if path_of(request) == TOKEN and key not in queues:
            return token_reply()
        answer = queues[key]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return handle


ORDER = {"referenceNum": "SO-1", "readOnly": {"orderId": 5}}


def test_token_request_shape_and_resource_headers(fake: Fake) -> None:
    client, adapter = fake(
        router({"GET /orders/5": reply(200, ORDER, {"ETag": '"v1"'})}), tpl="g-1"
    )
    got = client.orders.get(5)
    token_req, get_req = adapter.requests
    expected_basic = "Basic " + base64.b64encode(b"client-abc:s3cret-value").decode()
    assert ("POST", TOKEN, expected_basic) == (
        token_req.method,
        path_of(token_req),
        token_req.headers["Authorization"],
    )
    assert {"grant_type": "client_credentials", "user_login_id": "7", "tpl": "{g-1}"} == json.loads(
        token_req.body or b""
    )
    assert ("Bearer tok-1", "application/hal+json", USER_AGENT) == (
        get_req.headers["Authorization"],
        get_req.headers["Accept"],
        get_req.headers["User-Agent"],
    )
    assert ('"v1"', 5, "SO-1") == (got.etag, got.value.order_id, got.reference_num)


def test_401_refreshes_the_token_once_and_replays(fake: Fake) -> None:
    tokens = iter(["old", "new"])

    def handle(request: requests.PreparedRequest) -> Any:
        if path_of(request) == TOKEN:
            return token_reply(next(tokens))
        if request.headers["Authorization"] == "Bearer old":
            return reply(401, {"Message": "Authorization has been denied"})
        return reply(200, ORDER)

    client, adapter = fake(handle)
    assert 5 == client.orders.get(5).order_id
    assert (2, 4) == (client.token_requests, len(adapter.requests))


def test_401_after_the_refresh_is_an_authentication_error(fake: Fake) -> None:
    client, _ = fake(router({"GET /orders/5": reply(401, {"Message": "denied"})}))
    with pytest.raises(AuthenticationError, match="denied"):
        client.orders.get(5)
    assert 2 == client.token_requests


@pytest.mark.parametrize(
    "body", [{"Message": "invalid_client: client not registered"}, {"error": "invalid_client"}]
)
def test_bad_credentials_raise_authentication_error(fake: Fake, body: dict[str, str]) -> None:
    client, _ = fake(router({f"POST {TOKEN}": reply(401, body)}))
    with pytest.raises(AuthenticationError, match="invalid_client"):
        client.orders.get(1)


def test_get_is_retried_on_503_and_connection_reset(fake: Fake) -> None:
    sleeps: list[float] = []
    answers = [reply(503, "busy"), requests.ConnectionError("reset"), reply(200, ORDER)]
    client, _ = fake(router({"GET /orders/5": answers}), sleep=sleeps.append)
    assert 5 == client.orders.get(5).order_id
    assert [0.25, 0.5] == sleeps  # full jitter with rand=0.5: half of 0.5, 1.0


def test_get_gives_up_after_max_attempts(fake: Fake) -> None:
    client, adapter = fake(router({"GET /orders/5": [reply(502, "")]}), max_attempts=3)
    with pytest.raises(ServerError):
        client.orders.get(5)
    assert 3 == sum(1 for r in adapter.requests if path_of(r) == "/orders/5")


def test_read_timeout_on_get_surfaces_as_timeout_error(fake: Fake) -> None:
    client, _ = fake(router({"GET /orders/5": [requests.ReadTimeout("slow")]}), max_attempts=2)
    with pytest.raises(TimeoutError_):
        client.orders.get(5)


def test_429_honours_retry_after(fake: Fake) -> None:
    sleeps: list[float] = []
    answers = [reply(429, "", {"Retry-After": "3"}), reply(200, ORDER)]
    client, _ = fake(router({"GET /orders/5": answers}), sleep=sleeps.append)
    client.orders.get(5)
    assert [3.0] == sleeps


def test_429_with_retry_after_above_cap_raises_at_once(fake: Fake) -> None:
    client, _ = fake(router({"GET /orders/5": reply(429, "", {"Retry-After": "600"})}))
    with pytest.raises(RateLimitedError) as info:
        client.orders.get(5)
    assert 600.0 == info.value.retry_after


@pytest.mark.parametrize(
    "failure", [reply(500, "oops"), requests.ReadTimeout("t"), requests.ConnectionError("reset")]
)
def test_create_is_sent_once_and_ambiguity_is_outcome_unknown(fake: Fake, failure: Any) -> None:
    client, adapter = fake(router({"POST /orders": [failure, reply(201, ORDER)]}))
    with pytest.raises(OutcomeUnknownError) as info:
        client.orders.create(Order(reference_num="SO-1"))
    posts = [r for r in adapter.requests if path_of(r) == "/orders"]
    assert (1, "SO-1") == (len(posts), info.value.reference)


def test_create_fills_customer_and_facility_and_returns_the_etag(fake: Fake) -> None:
    client, adapter = fake(router({"POST /orders": reply(201, ORDER, {"ETag": '"e"'})}))
    created = client.orders.create({"referenceNum": "SO-1", "orderItems": []})
    sent = json.loads(adapter.requests[-1].body or b"")
    assert ({"id": 12}, {"id": 3}, '"e"', 5) == (
        sent["customerIdentifier"],
        sent["facilityIdentifier"],
        created.etag,
        created.order_id,
    )


def test_non_create_post_without_if_match_is_not_retried(fake: Fake) -> None:
    client, adapter = fake(router({"POST /orders/x": reply(503, "")}))
    with pytest.raises(ServerError):
        client.request("POST", "/orders/x", body={})
    assert 1 == sum(1 for r in adapter.requests if path_of(r) == "/orders/x")


def test_connection_refused_is_a_connection_error(fake: Fake) -> None:
    client, _ = fake(router({"GET /orders/5": requests.ConnectionError("boom")}), max_attempts=1)
    with pytest.raises(ConnectionFailedError):
        client.orders.get(5)


def test_update_reapplies_the_change_after_a_412(fake: Fake) -> None:
    reads = [
        reply(200, {"sku": "A", "upc": "1", "itemId": 9}, {"ETag": '"v1"'}),
        reply(200, {"sku": "A", "upc": "2", "itemId": 9}, {"ETag": '"v2"'}),
    ]
    puts = [reply(412, ""), reply(200, {"sku": "A", "upc": "X", "itemId": 9}, {"ETag": '"v3"'})]
    client, adapter = fake(
        router({"GET /customers/12/items/9": reads, "PUT /customers/12/items/9": puts})
    )
    changed = client.items.update(9, lambda item: Item(sku=item.sku, upc="X", item_id=9))
    if_matches = [r.headers["If-Match"] for r in adapter.requests if r.method == "PUT"]
    assert (['"v1"', '"v2"'], "X", '"v3"') == (if_matches, changed.upc, changed.etag)


def test_update_gives_up_after_the_attempts(fake: Fake) -> None:
    client, _ = fake(
        router(
            {
                "GET /customers/12/items/9": reply(200, {"sku": "A"}, {"ETag": '"v"'}),
                "PUT /customers/12/items/9": reply(412, ""),
            }
        )
    )
    with pytest.raises(PreconditionFailedError):
        client.items.update(9, lambda item: item, attempts=2)


def test_rate_limit_spaces_requests(fake: Fake) -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    client, _ = fake(
        router({"GET /orders/5": reply(200, ORDER)}),
        rate_limit=2.0,
        rate_burst=1.0,
        clock=lambda: now[0],
        sleep=sleep,
    )
    for _ in range(3):
        client.orders.get(5)
    assert [0.5, 0.5, 0.5] == sleeps  # token request + 3 gets at 2/s after a burst of 1


def test_32_threads_share_one_token(fake: Fake) -> None:
    client, _ = fake(router({"GET /orders/5": reply(200, ORDER)}))
    barrier = threading.Barrier(32)

    def work() -> None:
        barrier.wait()
        client.orders.get(5)

    threads = [threading.Thread(target=work) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (1, 33) == (client.token_requests, client.request_count)


def test_repr_shows_no_secret(fake: Fake) -> None:
    client, _ = fake(router({}), tpl="tpl-guid-secret")
    text = repr(client) + repr(client.orders) + repr(client._transport)
    assert all(s not in text for s in ("s3cret-value", "tpl-guid-secret", "client-abc"))


def test_unknown_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"client\.page_sise"):
        ExtensivClient(
            base_url=BASE, client_id="a", client_secret="b", user_login_id="1", page_sise=3
        )


def test_from_config_reveals_secrets_and_closes_the_session() -> None:
    class Secret:
        def __init__(self, value: str) -> None:
            self._value = value

        def reveal(self) -> str:
            return self._value

    class Creds:
        base_url = BASE
        client_id = "cid1"
        client_secret = Secret("sec")
        tpl = Secret("abc")
        user_login_id = "4"
        user_login = None
        customer_id = 12
        facility_id = 3

    class Config:
        credentials = Creds()

    closed = []
    session = requests.Session()
    # patched on this one session on purpose: the test sees whether the client closes it
    session.close = lambda: closed.append(True)  # type: ignore[method-assign]
    with ExtensivClient.from_config(Config(), session=session) as client:
        creds = client._transport._credentials
        assert ("sec", "abc", 12, 3) == (
            creds.client_secret,
            creds.tpl,
            client.customer_id,
            client.facility_id,
        )
    assert [True] == closed


def test_from_config_keyword_options_win_over_the_credentials_section() -> None:
    class Creds:
        base_url = BASE
        client_id = "cid1"
        client_secret = "from-config"
        user_login_id = "4"
        customer_id = 12
        facility_id = 3

    class Config:
        credentials = Creds()

    with ExtensivClient.from_config(
        Config(), client_secret="from-vault", facility_id=7, read_timeout=2.5
    ) as client:
        creds = client._transport._credentials
        assert ("from-vault", 7, 12) == (
            creds.client_secret,
            client.facility_id,
            client.customer_id,
        )


def test_paged_list_sends_pgsiz_pgnum_and_rql(fake: Fake) -> None:
    def handle(request: requests.PreparedRequest) -> Any:
        if path_of(request) == TOKEN:
            return token_reply()
        return reply(200, {"totalResults": 3, "summaries": [{"itemIdentifier": {"sku": "A"}}]})

    client, adapter = fake(handle)
    got = list(client.inventory.stock_summaries(page_size=1, rql="facilityId==3"))
    urls = [r.url for r in adapter.requests if "stocksummaries" in (r.url or "")]
    assert 3 == len(got)
    assert ["pgsiz=1&pgnum=1", "pgsiz=1&pgnum=2", "pgsiz=1&pgnum=3"] == [
        "&".join(p for p in (u or "").split("?")[1].split("&") if p.startswith("pg")) for u in urls
    ]
    assert all("rql=facilityId%3D%3D3" in (u or "") for u in urls)


def test_environment_proxies_and_ca_bundle_are_read_once_at_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/custom-bundle.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    client = ExtensivClient(
        base_url="https://secure-wms.com", client_id="c", client_secret="s", user_login_id="1"
    )
    session = client._transport._session

    assert "http://proxy.invalid:3128" == session.proxies.get("https")
    assert "/etc/ssl/custom-bundle.pem" == session.verify
    assert False is session.trust_env


def test_no_proxy_for_the_api_host_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "secure-wms.com")

    client = ExtensivClient(
        base_url="https://secure-wms.com", client_id="c", client_secret="s", user_login_id="1"
    )

    assert None is client._transport._session.proxies.get("https")
