"""Contract-test fixtures: one suite, three modes.

* default: each test twice: replayed from hand-built vcrpy cassettes (``cassettes/*.yaml``,
  generated from the documented shapes by ``python -m tests.contract.make_cassettes``,
  ``record_mode="none"``), and live against :class:`extensiv_connector.sandbox.Sandbox`;
* ``--live-sandbox``: only the live sandbox run;
* ``--live-tenant``: against a real tenant, configured by ``EXTENSIV_CLIENT_ID``,
  ``EXTENSIV_CLIENT_SECRET``, ``EXTENSIV_USER_LOGIN_ID``, ``EXTENSIV_CUSTOMER_ID``,
  ``EXTENSIV_FACILITY_ID`` (and optionally ``EXTENSIV_TPL``, ``EXTENSIV_BASE_URL``). Tests that
  write (create/cancel/update) run there only with ``EXTENSIV_ALLOW_WRITES=1``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector.client import ExtensivClient

CASSETTES = Path(__file__).parent / "cassettes"
TOKEN_PATH = "/AuthServer/api/Token"

#: Identities used by the cassettes (the reference's examples: customer 12, facility 3).
CASSETTE_CREDENTIALS: dict[str, Any] = {
    "base_url": "https://secure-wms.com",
    "client_id": "contract-client",
    "client_secret": "contract-secret",
    "user_login_id": "1",
    "tpl": None,
    "customer_id": 12,
    "facility_id": 3,
}
CASSETTE_RUN_ID = "0001"
TENANT_ENV = ("EXTENSIV_CLIENT_ID", "EXTENSIV_CLIENT_SECRET", "EXTENSIV_USER_LOGIN_ID")
TENANT_ENV_IDS = ("EXTENSIV_CUSTOMER_ID", "EXTENSIV_FACILITY_ID")


def _modes(config: pytest.Config) -> list[str]:
    """By default every contract test runs twice, replayed and live against the sandbox, so
    cassettes, client and sandbox cannot drift apart; the options narrow it to one mode."""
    if config.getoption("live_tenant", default=False):
        return ["tenant"]
    if config.getoption("live_sandbox", default=False):
        return ["sandbox"]
    return ["cassette", "sandbox"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "contract_mode" in metafunc.fixturenames:
        metafunc.parametrize(
            "contract_mode", _modes(metafunc.config), indirect=True, scope="session"
        )


@pytest.fixture(scope="session")
def contract_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def credentials(contract_mode: str) -> Iterator[dict[str, Any]]:
    if contract_mode == "cassette":
        yield dict(CASSETTE_CREDENTIALS)
    elif contract_mode == "tenant":
        missing = [n for n in (*TENANT_ENV, *TENANT_ENV_IDS) if not os.environ.get(n)]
        if missing:
            pytest.skip(f"--live-tenant needs {', '.join(missing)}")
        yield {
            "base_url": os.environ.get("EXTENSIV_BASE_URL", "https://secure-wms.com"),
            "client_id": os.environ["EXTENSIV_CLIENT_ID"],
            "client_secret": os.environ["EXTENSIV_CLIENT_SECRET"],
            "user_login_id": os.environ["EXTENSIV_USER_LOGIN_ID"],
            "tpl": os.environ.get("EXTENSIV_TPL") or None,
            "customer_id": int(os.environ["EXTENSIV_CUSTOMER_ID"]),
            "facility_id": int(os.environ["EXTENSIV_FACILITY_ID"]),
        }
    else:
        try:
            from extensiv_connector.sandbox import Sandbox
        except ImportError as exc:
            pytest.skip(f"--live-sandbox: extensiv_connector.sandbox is not importable ({exc})")
        with Sandbox() as sb:
            sb.warehouse.add_alias("CT-ALIAS-1", "SKU-000001")  # a tenant's customer may have some
            creds = sb.credentials
            yield {
                "base_url": sb.base_url,
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
                "user_login_id": creds.user_login_id,
                "tpl": creds.tpl,
                "customer_id": creds.customer_id,
                "facility_id": creds.facility_id,
            }


@pytest.fixture(scope="session")
def run_id(contract_mode: str) -> str:
    """Makes references unique per live run; fixed for cassettes (their URLs carry it)."""
    return CASSETTE_RUN_ID if contract_mode == "cassette" else uuid.uuid4().hex[:8].upper()


def _scrub_request(request: Any) -> Any:
    """Keep the token request's documented fields, drop the TPL key."""
    if request.path.endswith(TOKEN_PATH) and request.body:
        doc = json.loads(request.body)
        doc.pop("tpl", None)
        request.body = json.dumps(doc).encode()
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes | str) and b"access_token" in (
        body if isinstance(body, bytes) else body.encode()
    ):
        doc = json.loads(body)
        doc["access_token"] = "REDACTED"
        response["body"]["string"] = json.dumps(doc).encode()
    return response


def _token_body_matcher(r1: Any, r2: Any) -> None:
    """The token request must carry the documented body (checked against the live request)."""
    if not r1.path.endswith(TOKEN_PATH):
        return
    for candidate in (r1, r2):
        body = json.loads(candidate.body or b"{}")
        assert body.get("grant_type") == "client_credentials", "grant_type"
        assert body.get("user_login_id") or body.get("user_login"), "user login"


@pytest.fixture
def vcr_cassette(contract_mode: str, request: pytest.FixtureRequest) -> Iterator[None]:
    if contract_mode != "cassette":
        yield
        return
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=("method", "scheme", "host", "port", "path", "query", "token_body"),
        filter_headers=[("authorization", "REDACTED")],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    recorder.register_matcher("token_body", _token_body_matcher)
    with recorder.use_cassette(f"{request.node.originalname}.yaml", allow_playback_repeats=False):
        yield


@pytest.fixture
def make_client(
    credentials: dict[str, Any], vcr_cassette: None
) -> Iterator[Callable[..., ExtensivClient]]:
    made: list[ExtensivClient] = []

    def make(**overrides: Any) -> ExtensivClient:
        # Cassettes were recorded one page at a time; replay them in that order.
        options = {
            **credentials,
            "max_attempts": 2,
            "base_delay": 0.05,
            "page_concurrency": 1,
            **overrides,
        }
        client = ExtensivClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., ExtensivClient]) -> ExtensivClient:
    return make_client()


@pytest.fixture
def writes(contract_mode: str) -> None:
    """Skip write tests against a real tenant unless EXTENSIV_ALLOW_WRITES=1."""
    if contract_mode == "tenant" and os.environ.get("EXTENSIV_ALLOW_WRITES") != "1":
        pytest.skip("writes to a real tenant need EXTENSIV_ALLOW_WRITES=1")
