"""The connector against a sandbox whose answers are made hostile on chosen routes: every failure
is a library error naming where, nothing is half-applied, and the next clean run delivers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from extensiv_connector.errors import ExtensivError, WireFormatError
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, MemoryStore, PushStatus

from .conftest import sales_order

DEEP = b"[" * 1500 + b"]" * 1500


class HostileAnswers:
    """WSGI middleware: answer ``"METHOD /path"`` prefixes with a fixed status and body."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rules: dict[str, tuple[int, bytes]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        route = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
        for prefix, (status, body) in self.rules.items():
            if route.startswith(prefix):
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                headers = [("Content-Type", "application/hal+json; charset=utf-8")]
                start_response(f"{status} Hostile", [*headers, ("Content-Length", str(len(body)))])
                return [body]
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


@pytest.fixture
def hostile() -> Iterator[tuple[Sandbox, HostileAnswers, Connector]]:
    sb = Sandbox(catalog_size=4, initial_stock=10)
    middleware = HostileAnswers(sb.app)
    # served by start(); the sandbox's own calls reach the wrapped app. A duck-typed stand-in
    # (attributes forwarded by __getattr__), not a SandboxApp, swapped in on purpose.
    sb.app = middleware  # type: ignore[assignment]
    with sb, Connector(sb.config, store=MemoryStore()) as connector:
        yield sb, middleware, connector


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (DEEP, "$"),
        (b'{"summaries": [{"itemIdentifier": {"sku": "A"}, "available": NaN}]}', "$"),
        (b'{"totalResults": 1E+1000000, "summaries": []}', "$.totalResults"),
    ],
    ids=["deep", "nan", "huge-exponent"],
)
def test_hostile_stock_answer_is_a_wire_format_error_and_the_next_pull_delivers(
    hostile: tuple[Sandbox, HostileAnswers, Connector], body: bytes, path: str
) -> None:
    _sb, middleware, connector = hostile
    middleware.rules["GET /inventory/stocksummaries"] = (200, body)

    with pytest.raises(WireFormatError) as caught:
        connector.receive_inventory_levels()
    del middleware.rules["GET /inventory/stocksummaries"]
    levels = connector.receive_inventory_levels()

    assert (True, 4) == (caught.value.json_path.startswith(path), len(levels.records))


def test_nan_order_id_in_a_shipment_page_names_the_field_and_nothing_is_skipped(
    hostile: tuple[Sandbox, HostileAnswers, Connector],
) -> None:
    sb, middleware, connector = hostile
    (outcome,) = connector.push_orders([sales_order("SO-H1", ("SKU-000001", 1))]).outcomes
    assert outcome.remote_id is not None
    sb.warehouse.ship_order(outcome.remote_id)
    page = b'{"totalResults": 1, "_embedded": {"item": [{"readOnly": {"orderId": NaN}}]}}'
    middleware.rules["GET /orders"] = (200, page)

    with pytest.raises(WireFormatError) as caught:
        connector.receive_shipments()
    del middleware.rules["GET /orders"]
    shipments = connector.receive_shipments()

    assert ("$._embedded.item[0].readOnly.orderId", ["SO-H1-1"]) == (
        caught.value.json_path.split(": ")[0],
        [s.reference for s in shipments.records],
    )


@pytest.mark.parametrize(
    "body",
    [DEEP, b'{"ErrorCode": NaN, "Hint": 1e400}', b"\xff\xfe not even text"],
    ids=["deep", "non-finite", "not-utf8"],
)
def test_hostile_error_answer_to_a_create_fails_that_order_with_an_api_error(
    hostile: tuple[Sandbox, HostileAnswers, Connector], body: bytes
) -> None:
    sb, middleware, connector = hostile
    middleware.rules["POST /orders"] = (400, body)

    try:
        result = connector.push_orders([sales_order("SO-H2", ("SKU-000001", 1))])
    except ExtensivError as exc:  # a library error is acceptable; anything else fails the test
        pytest.fail(f"push raised {type(exc).__name__} instead of reporting the order: {exc}")
    del middleware.rules["POST /orders"]
    retried = connector.push_orders([sales_order("SO-H2", ("SKU-000001", 1))])

    assert (PushStatus.REJECTED, True, PushStatus.SENT_FULL, 1) == (
        result.outcomes[0].status,
        "HTTP 400" in result.outcomes[0].reason,
        retried.outcomes[0].status,
        len(sb.warehouse.orders),
    )
