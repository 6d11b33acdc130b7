"""Contract tests: one per resource operation and error body.

Replayed from cassettes by default; ``--live-sandbox`` / ``--live-tenant`` run the very same
tests live (see conftest). Assertions hold in all three modes: shapes and behaviour, never ids
that only a cassette knows.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from itertools import islice
from typing import Any

import attrs
import pytest

from extensiv_connector.client import ExtensivClient, Versioned, rql
from extensiv_connector.errors import (
    AuthenticationError,
    BadRequestError,
    DuplicateError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
)
from extensiv_connector.models import (
    Carrier,
    Customer,
    Facility,
    Order,
    OrderItem,
    Receiver,
    StockDetail,
    StockSummary,
    UnitOfMeasureType,
)

pytestmark = pytest.mark.timeout(60)


def any_sku(client: ExtensivClient) -> str:
    item = next(iter(client.items.list(page_size=5)))
    assert item.sku
    return item.sku


def new_order(client: ExtensivClient, reference: str) -> Versioned[Order]:
    sku = any_sku(client)
    return client.orders.create(
        {
            "referenceNum": reference,
            "notes": "contract test",
            "shipTo": {
                "companyName": "Contract Co",
                "name": "Receiving",
                "address1": "1 Main St",
                "city": "Dallas",
                "state": "TX",
                "zip": "75201",
                "country": "US",
            },
            "orderItems": [{"itemIdentifier": {"sku": sku}, "qty": 2}],
        }
    )


def ref(run_id: str, name: str) -> str:
    return f"CT-{run_id}-{name}"


# --- authentication --------------------------------------------------------------------------


def test_token_is_requested_once_and_used(
    client: ExtensivClient, credentials: dict[str, Any]
) -> None:
    customer = client.customers.get()
    assert isinstance(customer.value, Customer)
    assert (credentials["customer_id"], 1) == (customer.customer_id, client.token_requests)


def test_bad_credentials_raise_authentication_error(make_client: Callable[..., Any]) -> None:
    client = make_client(client_secret="definitely-wrong")
    with pytest.raises(AuthenticationError) as info:
        client.customers.get()
    assert 401 == info.value.status
    assert "definitely-wrong" not in str(info.value)


# --- orders ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("writes")
def test_orders_create_returns_order_id_and_etag(client: ExtensivClient, run_id: str) -> None:
    created = new_order(client, ref(run_id, "create"))
    assert isinstance(created.order_id, int)
    assert (ref(run_id, "create"), True) == (created.reference_num, bool(created.etag))


@pytest.mark.usefixtures("writes")
def test_orders_create_with_used_reference_is_duplicate(
    client: ExtensivClient, run_id: str
) -> None:
    new_order(client, ref(run_id, "dup"))
    with pytest.raises(DuplicateError) as info:
        new_order(client, ref(run_id, "dup"))
    assert (400, "Duplicate") == (info.value.status, info.value.error_code)


@pytest.mark.usefixtures("writes")
def test_orders_get_returns_order_with_etag(client: ExtensivClient, run_id: str) -> None:
    created = new_order(client, ref(run_id, "get"))
    assert created.order_id is not None
    got = client.orders.get(created.order_id, detail="OrderItems")
    assert (created.order_id, ref(run_id, "get"), True) == (
        got.order_id,
        got.reference_num,
        bool(got.etag),
    )
    assert [Decimal(2)] == [line.qty for line in got.value.order_items]


@pytest.mark.usefixtures("writes")
def test_orders_list_iterates_orders_matching_rql(
    client: ExtensivClient, run_id: str, credentials: dict[str, Any]
) -> None:
    new_order(client, ref(run_id, "list"))
    query = (rql.field("referenceNum") == ref(run_id, "list")) & (
        rql.field("readOnly.customerIdentifier.id") == credentials["customer_id"]
    )
    found = list(client.orders.list(query, detail="OrderItems", sort="-readOnly.orderId"))
    assert [ref(run_id, "list")] == [o.reference_num for o in found]
    assert all(isinstance(o, Order) and o.order_items for o in found)


@pytest.mark.usefixtures("writes")
def test_orders_find_by_reference_finds_or_returns_none(
    client: ExtensivClient, run_id: str
) -> None:
    created = new_order(client, ref(run_id, "find"))
    found = client.orders.find_by_reference(ref(run_id, "find"))
    missing = client.orders.find_by_reference(ref(run_id, "never-sent"))
    assert (created.order_id, None) == (found.order_id if found else "not found", missing)


@pytest.mark.usefixtures("writes")
def test_order_items_and_packages(client: ExtensivClient, run_id: str) -> None:
    created = new_order(client, ref(run_id, "lines"))
    assert created.order_id is not None
    lines = client.orders.items(created.order_id)
    packages = client.orders.packages(created.order_id)
    assert [Decimal(2)] == [line.qty for line in lines]
    assert all(isinstance(line, OrderItem) and line.item_identifier.sku for line in lines)
    assert () == packages  # a new, unpacked order


@pytest.mark.usefixtures("writes")
def test_order_cancel_with_reason_marks_it_canceled(client: ExtensivClient, run_id: str) -> None:
    created = new_order(client, ref(run_id, "cancel"))
    assert created.order_id is not None
    client.orders.cancel(created.order_id, "contract test")
    after = client.orders.get(created.order_id)
    assert after.read_only is not None
    assert 2 == after.read_only.status


@pytest.mark.usefixtures("writes")
def test_operator_with_stale_etag_is_precondition_failed(
    client: ExtensivClient, run_id: str
) -> None:
    created = new_order(client, ref(run_id, "stale"))
    with pytest.raises(PreconditionFailedError):
        client.request(
            "POST",
            f"/orders/{created.order_id}/canceler",
            body={"reason": "stale"},
            if_match='"stale-etag"',
        )


@pytest.mark.usefixtures("writes")
def test_operator_without_if_match_is_precondition_required(
    client: ExtensivClient, run_id: str
) -> None:
    created = new_order(client, ref(run_id, "noetag"))
    with pytest.raises(PreconditionRequiredError):
        client.request("POST", f"/orders/{created.order_id}/canceler", body={"reason": "x"})


def test_unknown_order_is_not_found(client: ExtensivClient) -> None:
    with pytest.raises(NotFoundError):
        client.orders.get(2_000_000_000)


def test_bad_rql_is_a_bad_request(client: ExtensivClient) -> None:
    with pytest.raises(BadRequestError) as info:
        list(client.orders.list("gorp=zz=1"))
    assert 400 == info.value.status


def test_page_size_above_the_cap_is_a_bad_request(client: ExtensivClient) -> None:
    with pytest.raises(BadRequestError):
        client.request("GET", "/inventory/stocksummaries", params={"pgsiz": 501, "pgnum": 1})


# --- inventory -------------------------------------------------------------------------------


def test_stock_summaries_stream_records_across_pages(client: ExtensivClient) -> None:
    rows = list(islice(client.inventory.stock_summaries(page_size=2), 3))
    assert 3 == len(rows)
    assert all(isinstance(r, StockSummary) and r.item_identifier.sku for r in rows)
    assert all(r.available is not None and r.on_hand is not None for r in rows)


def test_stock_details_for_customer_and_facility(client: ExtensivClient) -> None:
    rows = list(islice(client.inventory.stock_details(page_size=2), 2))
    assert rows
    assert all(isinstance(r, StockDetail) and r.receive_item_id for r in rows)


# --- items -----------------------------------------------------------------------------------


def test_items_list_and_get_with_etag(client: ExtensivClient) -> None:
    first = next(iter(client.items.list(page_size=5)))
    item_id = first.item_id or (first.read_only.item_id if first.read_only else None)
    assert item_id is not None
    got = client.items.get(item_id)
    assert (first.sku, True) == (got.sku, bool(got.etag))


def test_items_find_by_sku(client: ExtensivClient) -> None:
    sku = any_sku(client)
    found = client.items.find_by_sku(sku)
    assert found is not None
    assert sku == found.sku


@pytest.mark.usefixtures("writes")
def test_items_create_then_update_with_if_match(client: ExtensivClient, run_id: str) -> None:
    sku = ref(run_id, "SKU")
    created = client.items.create(
        {
            "sku": sku,
            "description": "contract item",
            "options": {"inventoryUnit": {"unitIdentifier": {"id": 1}}},
        }
    )
    item_id = created.item_id or (created.read_only.item_id if created.read_only else None)
    assert item_id is not None
    updated = client.items.update(
        item_id, lambda item: attrs.evolve(item, description="updated by contract test")
    )
    assert (sku, "updated by contract test") == (updated.sku, updated.description)


# --- receivers -------------------------------------------------------------------------------


def new_receiver(client: ExtensivClient, reference: str) -> Versioned[Receiver]:
    sku = any_sku(client)
    return client.receivers.create(
        {
            "referenceNum": reference,
            "arrivalDate": "2024-05-01T00:00:00",
            "transactionEntryType": 4,
            "receiveItems": [{"itemIdentifier": {"sku": sku}, "qty": 24}],
        }
    )


@pytest.mark.usefixtures("writes")
def test_receivers_create_and_get_with_items(client: ExtensivClient, run_id: str) -> None:
    created = new_receiver(client, ref(run_id, "asn"))
    assert created.receiver_id is not None
    got = client.receivers.get(created.receiver_id, detail="ReceiveItems")
    assert (ref(run_id, "asn"), [Decimal(24)]) == (
        got.reference_num,
        [line.qty for line in got.value.receive_items],
    )


@pytest.mark.usefixtures("writes")
def test_receivers_list_with_detail_and_find_by_reference(
    client: ExtensivClient, run_id: str
) -> None:
    created = new_receiver(client, ref(run_id, "asnlist"))
    listed = list(
        client.receivers.list(rql.field("referenceNum") == ref(run_id, "asnlist"), detail="All")
    )
    found = client.receivers.find_by_reference(ref(run_id, "asnlist"))
    assert [created.receiver_id] == [r.receiver_id for r in listed]
    assert [Decimal(24)] == [line.qty for line in listed[0].receive_items]
    assert found is not None
    assert created.receiver_id == found.receiver_id


# --- customers, facilities, carriers, units ----------------------------------------------------


def test_customers_list_includes_the_configured_customer(
    client: ExtensivClient, credentials: dict[str, Any]
) -> None:
    customers = list(islice(client.customers.list(), 200))
    assert all(isinstance(c, Customer) for c in customers)
    assert credentials["customer_id"] in [c.customer_id for c in customers]


def test_facilities_list_includes_the_configured_facility(
    client: ExtensivClient, credentials: dict[str, Any]
) -> None:
    facilities = list(islice(client.facilities.list(), 200))
    assert all(isinstance(f, Facility) for f in facilities)
    assert credentials["facility_id"] in [f.facility_id for f in facilities]


def test_carriers_come_with_services_and_billing_codes(client: ExtensivClient) -> None:
    carriers = client.carriers.list()
    assert carriers
    assert all(isinstance(c, Carrier) and c.name for c in carriers)
    assert any(c.shipment_services and c.shipment_services[0].code for c in carriers)
    assert any(c.billing_codes for c in carriers)


def test_unit_of_measure_types(client: ExtensivClient) -> None:
    units = client.uom_types.list()
    assert units
    assert all(isinstance(u, UnitOfMeasureType) and u.name for u in units)
