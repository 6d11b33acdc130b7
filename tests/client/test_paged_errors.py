"""A record with a wrong value deep in a paged list: the error says where it is.

Through the client (and the connector) against the sandbox, with a stored record made wrong:
the ``WireFormatError`` names the record's JSON path within its page (records key, index,
field) and the request (method, path, page number and size; no query, credential or token),
and every record before it has been yielded. Both readers: the typed one (msgspec, the
default) and the pure one (``_json_guard._ACCELERATED = None``), pages one at a time or many.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extensiv_connector import _json_guard
from extensiv_connector.client import ExtensivClient, rql
from extensiv_connector.errors import WireFormatError
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, MemoryStore

CATALOG = 13
PAGE = 4
ORDERS_REL = "$._embedded['http://api.3plCentral.com/rels/orders/order']"
READERS = ["typed", "pure"]


def reader(name: str) -> AbstractContextManager[Any]:
    """The typed reader is the default (msgspec installed); the pure one is what runs
    without it."""
    if name == "pure":
        return patch.object(_json_guard, "_ACCELERATED", None)
    return nullcontext()


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(catalog_size=CATALOG, initial_stock=10) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(sb: Sandbox) -> Iterator[ExtensivClient]:
    with ExtensivClient.from_config(sb.config) as made:
        yield made


@pytest.fixture(scope="module")
def listed_skus(client: ExtensivClient) -> list[str]:
    """The SKUs in the order the stock summaries list them."""
    return [s.item_identifier.sku or "" for s in client.inventory.stock_summaries()]


class WrongValue:
    """Set ``field`` of the ``index``-th listed stock row to ``value`` while in the block."""

    def __init__(self, sb: Sandbox, sku: str, field: str, value: Any) -> None:
        self.sb, self.field, self.value = sb, field, value
        item_id = sb.warehouse.find_item_id(sku)
        assert item_id is not None
        self.item_id = item_id

    def __enter__(self) -> None:
        wh = self.sb.warehouse
        with wh.lock:
            row = wh.summaries[self.item_id]
            self.original = row[self.field]
            row[self.field] = self.value

    def __exit__(self, *_: object) -> None:
        wh = self.sb.warehouse
        with wh.lock:
            wh.summaries[self.item_id][self.field] = self.original


def read_until_error(
    records: Iterator[Any], name: Callable[[Any], Any] = lambda s: s.item_identifier.sku
) -> tuple[list[Any], WireFormatError | None]:
    """The records yielded (their SKUs, or ``name``), then the error that stopped the
    iteration (or None)."""
    seen: list[Any] = []
    try:
        for record in records:
            seen.append(name(record))
    except WireFormatError as exc:
        return seen, exc
    return seen, None


@pytest.mark.parametrize("path", READERS)
@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize(
    ("field", "value"), [("available", "abc"), ("onHand", {})], ids=["string", "object"]
)
def test_a_wrong_value_in_a_later_page_names_its_record_index_and_request(
    sb: Sandbox,
    client: ExtensivClient,
    listed_skus: list[str],
    path: str,
    concurrency: int,
    field: str,
    value: Any,
) -> None:
    bad = 2 * PAGE + 1  # page 3, its record [1]
    with WrongValue(sb, listed_skus[bad], field, value), reader(path):
        seen, error = read_until_error(
            client.inventory.stock_summaries(page_size=PAGE, concurrency=concurrency)
        )

    assert error is not None
    expected_start = f"$.summaries[1].{field}: GET /inventory/stocksummaries (pgnum=3, pgsiz=4): "
    assert (listed_skus[:bad], f"$.summaries[1].{field}") == (seen, error.json_path)
    assert expected_start == str(error)[: len(expected_start)]


@pytest.mark.parametrize("path", READERS)
def test_the_error_names_no_query_credential_or_token(
    sb: Sandbox, client: ExtensivClient, listed_skus: list[str], path: str
) -> None:
    query = rql.field("itemIdentifier.sku").starts_with("SKU-0")
    with WrongValue(sb, listed_skus[5], "available", "abc"), reader(path):
        _, error = read_until_error(client.inventory.stock_summaries(query, page_size=PAGE))

    assert error is not None
    creds = sb.credentials
    named = [
        word
        for word in ("SKU-0", "rql", creds.client_id, creds.client_secret, "Bearer", "uthoriz")
        if word in str(error)
    ]
    assert [] == named


@pytest.mark.parametrize("path", READERS)
@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_wrong_order_in_a_hal_page_is_named_under_its_embedded_rel(
    path: str, concurrency: int
) -> None:
    with Sandbox(catalog_size=2, initial_stock=100) as sb:
        wh, creds = sb.warehouse, sb.credentials
        for n in range(7):
            wh.create_order(
                {
                    "customerIdentifier": {"id": creds.customer_id},
                    "facilityIdentifier": {"id": creds.facility_id},
                    "referenceNum": f"PE-{n}",
                    "shipTo": {"name": "B", "address1": "1 Main St", "city": "Dallas"},
                    "orderItems": [{"itemIdentifier": {"sku": "SKU-000001"}, "qty": 1}],
                }
            )
        with ExtensivClient.from_config(sb.config) as client:
            listed = [o.reference_num for o in client.orders.list(page_size=3)]
            order_id = next(i for i, r in wh.orders.items() if r.doc["referenceNum"] == listed[4])
            with wh.lock:  # an object where a string belongs: the typed decoder refuses it
                wh.orders[order_id].doc["poNum"] = {"not": "a string"}
            with reader(path):
                seen, error = read_until_error(
                    client.orders.list(page_size=3, concurrency=concurrency),
                    lambda order: order.reference_num,
                )

    assert error is not None
    expected_start = f"{ORDERS_REL}[1].poNum: GET /orders (pgnum=2, pgsiz=3): "
    assert (listed[:4], f"{ORDERS_REL}[1].poNum") == (seen, error.json_path)
    assert expected_start == str(error)[: len(expected_start)]


def test_the_connector_counts_the_levels_before_a_wrong_one_then_raises_naming_it(
    sb: Sandbox, listed_skus: list[str]
) -> None:
    progress: list[int] = []
    with ExtensivClient.from_config(sb.config, page_sizes={"stocksummaries": PAGE}) as client:
        connector = Connector(sb.config, store=MemoryStore(), client=client)
        with WrongValue(sb, listed_skus[6], "onHand", "x"), pytest.raises(WireFormatError) as e:
            connector.receive_inventory_levels(on_progress=lambda done, _: progress.append(done))
        connector.close()

    assert ([1, 2, 3, 4, 5, 6], "$.summaries[2].onHand") == (progress, e.value.json_path)
    assert "GET /inventory/stocksummaries (pgnum=2, pgsiz=4)" in str(e.value)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    index=st.integers(0, CATALOG - 1),
    page_size=st.integers(1, 6),
    concurrency=st.sampled_from([1, 3]),
    path=st.sampled_from(READERS),
    value=st.sampled_from(["abc", {}, [1], True, "1e999999"]),
)
def test_any_wrong_record_is_named_by_its_index_after_every_record_before_it(
    sb: Sandbox,
    client: ExtensivClient,
    listed_skus: list[str],
    index: int,
    page_size: int,
    concurrency: int,
    path: str,
    value: Any,
) -> None:
    with WrongValue(sb, listed_skus[index], "available", value), reader(path):
        seen, error = read_until_error(
            client.inventory.stock_summaries(page_size=page_size, concurrency=concurrency)
        )

    pgnum, within = divmod(index, page_size)
    request = f"GET /inventory/stocksummaries (pgnum={pgnum + 1}, pgsiz={page_size}): "
    assert error is not None
    assert (listed_skus[:index], f"$.summaries[{within}].available") == (seen, error.json_path)
    assert request == error.message[: len(request)]


@pytest.mark.parametrize("path", READERS)
def test_a_collection_read_in_one_request_names_the_record_index_and_request(
    sb: Sandbox, client: ExtensivClient, path: str
) -> None:
    creds = sb.credentials
    doc, _ = sb.warehouse.create_order(
        {
            "customerIdentifier": {"id": creds.customer_id},
            "facilityIdentifier": {"id": creds.facility_id},
            "referenceNum": f"PE-ONE-{path}",
            "shipTo": {"name": "B", "address1": "1 Main St", "city": "Dallas"},
            "orderItems": [
                {"itemIdentifier": {"sku": sku}, "qty": 1}
                for sku in ("SKU-000001", "SKU-000002", "SKU-000003")
            ],
        }
    )
    with (
        WrongValue(sb, "SKU-000003", "available", "abc"),
        reader(path),
        pytest.raises(WireFormatError) as caught,
    ):
        client.inventory.stock_summaries_for_order(doc["readOnly"]["orderId"])

    expected_start = "$.summaries[2].available: GET /inventory/stocksummariesfororder: "
    assert expected_start == str(caught.value)[: len(expected_start)]
