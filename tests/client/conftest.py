"""A socket-free HTTP stand-in: a requests adapter that answers from a Python handler."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from extensiv_connector.client import ExtensivClient

BASE = "https://wms.test"
Handler = Callable[[requests.PreparedRequest], Any]


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    text = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
    return (status, dict(headers or {}), text)


def token_reply(token: str = "tok-1", expires_in: int = 3600) -> Any:  # noqa: S107 - fake token
    return reply(
        200,
        {"access_token": token, "token_type": "Bearer", "expires_in": expires_in},
        {"Content-Type": "application/json"},
    )


class FakeAdapter(BaseAdapter):
    """Routes every request to ``handler``; the handler returns ``reply(...)`` or raises."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[requests.PreparedRequest] = []
        self._lock = threading.Lock()

    # narrower than Session.send on purpose: the client only ever passes a PreparedRequest
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        with self._lock:
            self.requests.append(request)
        status, headers, text = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = text.encode("utf-8")
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def make_client(handler: Handler, **options: Any) -> tuple[ExtensivClient, FakeAdapter]:
    adapter = FakeAdapter(handler)
    session = requests.Session()
    session.mount(BASE, adapter)
    options.setdefault("sleep", lambda _s: None)
    options.setdefault("rand", lambda: 0.5)
    # Scripted answers come in request order: one page at a time unless a test asks for more
    # (the client's default is 4 pages in flight, as the [client] section's).
    options.setdefault("page_concurrency", 1)
    client = ExtensivClient(
        base_url=BASE,
        client_id="client-abc",
        client_secret="s3cret-value",
        user_login_id="7",
        customer_id=12,
        facility_id=3,
        session=session,
        **options,
    )
    return client, adapter


@pytest.fixture
def fake() -> Callable[..., tuple[ExtensivClient, FakeAdapter]]:
    return make_client
