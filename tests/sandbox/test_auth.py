from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from extensiv_connector.sandbox import AuthSettings, Sandbox

from .conftest import Api


def token(sb: Sandbox, secret: str | None = None, **body: str) -> requests.Response:
    c = sb.credentials
    return requests.post(
        sb.token_url,
        auth=(c.client_id, secret or c.client_secret),
        json={"grant_type": "client_credentials", **body},
        timeout=5,
    )


def test_token_endpoint_answers_like_the_real_one(sb: Sandbox) -> None:
    response = token(sb, user_login_id=sb.credentials.user_login_id, tpl=sb.credentials.tpl)
    body = response.json()
    assert 200 == response.status_code
    assert ("Bearer", 3600, None, None) == (
        body["token_type"],
        body["expires_in"],
        body["refresh_token"],
        body["scope"],
    )
    assert body["access_token"]


def test_token_accepts_form_body_user_login_and_tpl_without_braces(sb: Sandbox) -> None:
    c = sb.credentials
    response = requests.post(
        sb.base_url + "/authserver/api/token",
        auth=(c.client_id, c.client_secret),
        data={
            "grant_type": "client_credentials",
            "user_login": c.user_login_id,
            "tpl": c.tpl.strip("{}").upper(),
        },
        timeout=5,
    )
    assert 200 == response.status_code


@pytest.mark.parametrize(
    ("secret", "body", "status", "message"),
    [
        ("wrong", {}, 401, "invalid_client: client not registered"),
        (None, {"user_login_id": "999"}, 401, "invalid_client: user login not found"),
        (
            None,
            {"tpl": "{00000000-0000-0000-0000-000000000000}"},
            401,
            "invalid_client: tpl not found",
        ),
        (
            None,
            {"grant_type": "password"},
            400,
            "unsupported_grant_type: grant_type must be client_credentials",
        ),
    ],
)
def test_token_failures_carry_message_body(
    sb: Sandbox, secret: str | None, body: dict[str, str], status: int, message: str
) -> None:
    response = token(sb, secret, **body)
    assert (status, {"Message": message}) == (response.status_code, response.json())


def test_token_endpoint_rejects_get(sb: Sandbox) -> None:
    assert 405 == requests.get(sb.token_url, timeout=5).status_code


def test_missing_or_unknown_bearer_is_401(sb: Sandbox) -> None:
    assert 401 == requests.get(sb.base_url + "/orders", timeout=5).status_code
    response = requests.get(
        sb.base_url + "/orders", headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert 401 == response.status_code
    assert "Message" in response.json()


@pytest.mark.extensiv_sandbox(catalog_size=1, token_lifetime_s=0.3)
def test_tokens_really_expire(sb: Sandbox) -> None:
    api = Api(sb)
    assert 200 == api.get("/customers").status_code
    time.sleep(0.4)
    assert 401 == api.get("/customers").status_code
    api.token = api.new_token()
    assert 200 == api.get("/customers").status_code


def test_expire_tokens_ends_every_token_early(api: Api) -> None:
    api.sb.expire_tokens()
    assert 401 == api.get("/customers").status_code


def test_user_login_can_be_required(
    extensiv_sandbox_factory: Callable[..., Sandbox],
) -> None:
    sb = extensiv_sandbox_factory(catalog_size=0, auth=AuthSettings(require_user_login=True))
    assert 401 == token(sb).status_code
    assert 200 == token(sb, user_login_id=sb.credentials.user_login_id).status_code
