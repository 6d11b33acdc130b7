"""Shared helpers for the sandbox tests: a tiny authenticated requests wrapper."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from extensiv_connector.sandbox import Sandbox

HAL = {"Accept": "application/hal+json"}
JSON = {"Accept": "application/json"}
ORDER_REL = "http://api.3plCentral.com/rels/orders/order"
ITEM_REL = "http://api.3plCentral.com/rels/orders/item"


class Api:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.session = requests.Session()
        self.token = self.new_token()

    def new_token(self) -> str:
        c = self.sb.credentials
        response = self.session.post(
            self.sb.token_url,
            auth=(c.client_id, c.client_secret),
            json={"grant_type": "client_credentials", "user_login_id": c.user_login_id},
            timeout=5,
        )
        assert 200 == response.status_code, response.text
        token: str = response.json()["access_token"]
        return token

    def call(
        self,
        method: str,
        path: str,
        *,
        hal: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        all_headers = {"Authorization": f"Bearer {self.token}", **(HAL if hal else JSON)}
        all_headers.update(headers or {})
        return self.session.request(
            method, self.sb.base_url + path, headers=all_headers, timeout=10, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def create_order(self, ref: str, lines: dict[str, int], **fields: Any) -> requests.Response:
        body = order_body(self.sb, ref, lines, **fields)
        return self.post("/orders", json=body)


def order_body(sb: Sandbox, ref: str, lines: dict[str, int], **fields: Any) -> dict[str, Any]:
    return {
        "customerIdentifier": {"id": sb.credentials.customer_id},
        "facilityIdentifier": {"id": sb.credentials.facility_id},
        "referenceNum": ref,
        "routingInfo": {"carrier": "UPS", "mode": "03"},
        "shipTo": {"name": "Test Person", "address1": "1 Main St", "city": "Dallas"},
        "orderItems": [{"itemIdentifier": {"sku": s}, "qty": q} for s, q in lines.items()],
        **fields,
    }


@pytest.fixture
def sb(extensiv_sandbox: Sandbox) -> Sandbox:
    return extensiv_sandbox


@pytest.fixture
def api(sb: Sandbox) -> Api:
    return Api(sb)
