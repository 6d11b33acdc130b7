"""Contract tests for the round-two endpoints, in every mode.

Same rules as ``test_contract.py``: cassettes built by ``make_cassettes`` (``round_two``),
the live sandbox, or a tenant; assertions hold in all three.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import attrs
import pytest

from extensiv_connector.client import ExtensivClient
from extensiv_connector.errors import BadRequestError, NotFoundError, PreconditionFailedError
from extensiv_connector.models import (
    InventoryRecord,
    ItemAlias,
    Location,
    OrderSummary,
    ReceiverDigest,
    StockSummary,
)

from .test_contract import new_order, ref

pytestmark = pytest.mark.timeout(60)

RECEIVED_SINCE = "ReceivedDate=ge=2000-01-01T00:00:00"


def test_inventory_receive_items_filtered_as_peers_do(
    client: ExtensivClient, credentials: dict[str, Any]
) -> None:
    cid, fid = credentials["customer_id"], credentials["facility_id"]
    query = f"CustomerIdentifier.Id=={cid};FacilityIdentifier.Id=={fid};{RECEIVED_SINCE}"

    rows = list(islice(client.inventory.receive_items(query, sort="ReceivedDate", page_size=2), 2))

    assert rows
    assert all(isinstance(r, InventoryRecord) and r.receive_item_id for r in rows)
    assert {(cid, fid)} == {
        (r.customer_identifier.id if r.customer_identifier else None,
         r.facility_identifier.id if r.facility_identifier else None)
        for r in rows
    }  # fmt: skip
    assert all(r.on_hand_qty is not None and r.received_date is not None for r in rows)


def test_inventory_page_above_the_cap_is_a_query_parameter_error(client: ExtensivClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        client.request("GET", "/inventory", params={"pgsiz": 1001, "pgnum": 1})

    assert ("QueryParameterException", 400) == (caught.value.error_type, caught.value.status)


def test_locations_of_the_configured_facility(client: ExtensivClient) -> None:
    locations = list(islice(client.inventory.locations(page_size=5), 5))

    assert locations
    assert all(isinstance(loc, Location) and (loc.name or loc.location_id) for loc in locations)


@pytest.mark.usefixtures("writes")
def test_stock_summaries_for_an_order_cover_its_items(client: ExtensivClient, run_id: str) -> None:
    created = new_order(client, ref(run_id, "stock"))
    assert created.order_id is not None

    rows = client.inventory.stock_summaries_for_order(created.order_id)

    skus = {line.item_identifier.sku for line in created.value.order_items}
    assert rows
    assert all(isinstance(r, StockSummary) for r in rows)
    assert skus <= {r.item_identifier.sku for r in rows}


@pytest.mark.usefixtures("writes")
def test_order_update_puts_with_if_match_and_a_stale_etag_fails(
    client: ExtensivClient, run_id: str
) -> None:
    created = new_order(client, ref(run_id, "put"))
    assert created.order_id is not None
    got = client.orders.get(created.order_id, detail="OrderItems")
    edited = attrs.evolve(got.value, notes="updated by contract test")

    updated = client.orders.update(edited, got.etag)
    with pytest.raises(PreconditionFailedError):
        client.orders.update(edited, got.etag)

    assert ("updated by contract test", True) == (updated.notes, updated.etag != got.etag)
    assert len(got.value.order_items) == len(updated.value.order_items)


@pytest.mark.usefixtures("writes")
def test_order_deallocate_then_allocate(client: ExtensivClient, run_id: str) -> None:
    created = new_order(client, ref(run_id, "alloc"))
    assert created.order_id is not None

    client.orders.deallocate(created.order_id)
    client.orders.allocate(created.order_id)

    after = client.orders.get(created.order_id)
    assert after.read_only is not None
    assert after.read_only.fully_allocated is True


@pytest.mark.usefixtures("writes")
def test_order_summaries_find_an_order_by_reference(client: ExtensivClient, run_id: str) -> None:
    reference = ref(run_id, "summ")
    created = new_order(client, reference)

    found = list(client.orders.summaries(f"referenceNum=={reference}"))

    assert [(created.order_id, reference)] == [(s.order_id, s.reference_num) for s in found]
    assert all(isinstance(s, OrderSummary) for s in found)


@pytest.mark.usefixtures("writes")
def test_bulk_cancel_cancels_the_listed_orders(client: ExtensivClient, run_id: str) -> None:
    created = new_order(client, ref(run_id, "bulk"))
    assert created.order_id is not None

    client.orders.cancel_many([created.order_id], "contract test")

    after = client.orders.get(created.order_id)
    assert after.read_only is not None
    assert 2 == after.read_only.status


@pytest.mark.usefixtures("writes")
def test_receiver_update_then_cancel(client: ExtensivClient, run_id: str) -> None:
    sku = next(iter(client.items.list(page_size=5))).sku
    created = client.receivers.create(
        {
            "referenceNum": ref(run_id, "rput"),
            "receiveItems": [{"itemIdentifier": {"sku": sku}, "qty": 24}],
        }
    )
    assert created.receiver_id is not None
    got = client.receivers.get(created.receiver_id, detail="ReceiveItems")

    updated = client.receivers.update(attrs.evolve(got.value, notes="two pallets"), got.etag)
    client.receivers.cancel(created.receiver_id, "contract test")

    after = client.receivers.get(created.receiver_id)
    assert ("two pallets", 1) == (updated.notes, len(updated.value.receive_items))
    assert after.read_only is not None
    assert 2 == after.read_only.status


def test_receiver_digests_list_receivers_with_their_items(client: ExtensivClient) -> None:
    digests = list(islice(client.receivers.digests(page_size=2), 2))

    assert digests
    assert all(isinstance(d, ReceiverDigest) and d.receiver_id for d in digests)
    assert all(i.item_identifier.sku for d in digests for i in d.item_infos)


def test_item_aliases_name_the_items_they_stand_for(
    client: ExtensivClient, contract_mode: str
) -> None:
    aliases = list(islice(client.items.aliases(page_size=5), 5))
    if not aliases and contract_mode == "tenant":
        pytest.skip("the tenant's customer has no item aliases")

    assert aliases
    assert all(isinstance(a, ItemAlias) and a.alias_identifier.sku for a in aliases)
    assert all(d.item_identifier.sku for a in aliases for d in a.details)


@pytest.mark.usefixtures("writes")
def test_item_delete_with_if_match_removes_it(client: ExtensivClient, run_id: str) -> None:
    created = client.items.create({"sku": ref(run_id, "DEL"), "description": "contract test"})
    item_id = created.value.item_id
    assert item_id is not None

    client.items.delete(item_id)

    with pytest.raises(NotFoundError):
        client.items.get(item_id)
