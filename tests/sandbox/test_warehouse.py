from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from extensiv_connector.sandbox import Sandbox, SandboxError, WarehouseOptions

from .conftest import ITEM_REL, Api


def stock(sb: Sandbox, sku: str) -> tuple[Any, ...]:
    row = sb.warehouse.stock(sku)
    return (row["onHand"], row["available"], row["allocated"])


def create(api: Api, ref: str, lines: dict[str, int]) -> dict[str, Any]:
    response = api.create_order(ref, lines)
    assert 201 == response.status_code, response.text
    body: dict[str, Any] = response.json()
    return body


def test_order_allocates_on_create_when_stock_suffices(api: Api) -> None:
    body = create(api, "SO-A", {"SKU-000001": 30})
    assert body["readOnly"]["fullyAllocated"] is True
    assert (100, 70, 30) == stock(api.sb, "SKU-000001")


def test_full_allocation_mode_allocates_nothing_when_one_line_is_short(api: Api) -> None:
    body = create(api, "SO-S", {"SKU-000001": 5, "SKU-000002": 101})
    assert body["readOnly"]["fullyAllocated"] is False
    assert ((100, 100, 0), (100, 100, 0)) == (
        stock(api.sb, "SKU-000001"),
        stock(api.sb, "SKU-000002"),
    )


@pytest.mark.extensiv_sandbox(catalog_size=3, options=WarehouseOptions(allocation="partial"))
def test_partial_allocation_mode_allocates_what_it_can(sb: Sandbox) -> None:
    body = create(Api(sb), "SO-P", {"SKU-000001": 5, "SKU-000002": 101})
    flags = [x["readOnly"]["fullyAllocated"] for x in body["_embedded"][ITEM_REL]]
    assert ([True, False], False) == (flags, body["readOnly"]["fullyAllocated"])
    assert (100, 0, 100) == stock(sb, "SKU-000002")


@pytest.mark.extensiv_sandbox(catalog_size=3, options=WarehouseOptions(allocation="none"))
def test_allocation_none_waits_for_the_driver(sb: Sandbox) -> None:
    oid = create(Api(sb), "SO-N", {"SKU-000001": 5})["readOnly"]["orderId"]
    assert (100, 100, 0) == stock(sb, "SKU-000001")
    assert [oid] == sb.warehouse.allocate_open_orders()
    assert (100, 95, 5) == stock(sb, "SKU-000001")


def test_ship_closes_order_with_package_tracking_and_stock_leaves(api: Api) -> None:
    oid = create(api, "SO-SH", {"SKU-000001": 3})["readOnly"]["orderId"]
    before = api.get(f"/orders/{oid}")
    api.sb.warehouse.ship_order(oid)
    after = api.get(f"/orders/{oid}", params={"detail": "All"})
    order = after.json()
    ro = order["readOnly"]
    assert (True, 1) == (ro["isClosed"], ro["status"])
    assert ro["processDate"]
    assert ro["lastModifiedDate"] > before.json()["readOnly"]["lastModifiedDate"]
    assert after.headers["ETag"] != before.headers["ETag"]
    package = ro["packages"][0]
    assert package["trackingNumber"] == order["routingInfo"]["trackingNumber"]
    assert package["trackingNumber"].startswith("1Z")  # UPS routing
    assert [3] == [c["qty"] for c in package["packageContents"]]
    # allocated includes what has been shipped, as the real stock summaries report it
    assert (97, 97, 3) == stock(api.sb, "SKU-000001")


def test_short_shipment_reduces_line_qty_and_keeps_original(api: Api) -> None:
    oid = create(api, "SO-SS", {"SKU-000001": 5, "SKU-000002": 2})["readOnly"]["orderId"]
    api.sb.warehouse.ship_order(
        oid,
        packages=[
            {"trackingNumber": "T1", "contents": {"SKU-000001": 2}},
            {"trackingNumber": "T2", "contents": {"SKU-000001": 1, "SKU-000002": 2}},
        ],
    )
    order = api.get(f"/orders/{oid}", params={"detail": "OrderItems,Packages"}).json()
    lines = {x["itemIdentifier"]["sku"]: x for x in order["_embedded"][ITEM_REL]}
    assert (3, 5) == (
        lines["SKU-000001"]["qty"],
        lines["SKU-000001"]["readOnly"]["originalPrimaryQty"],
    )
    assert ["T1", "T2"] == [p["trackingNumber"] for p in order["readOnly"]["packages"]]
    assert (97, 97, 3) == stock(api.sb, "SKU-000001")  # the unshipped 2 went back to available


def test_ship_without_stock_is_refused(api: Api) -> None:
    oid = create(api, "SO-X", {"SKU-000001": 150})["readOnly"]["orderId"]
    with pytest.raises(SandboxError):
        api.sb.warehouse.ship_order(oid)


def test_cancel_releases_allocation(api: Api) -> None:
    oid = create(api, "SO-CA", {"SKU-000001": 10})["readOnly"]["orderId"]
    api.sb.warehouse.cancel_order(oid)
    assert (100, 100, 0) == stock(api.sb, "SKU-000001")


@pytest.mark.parametrize("state", ["shipped", "canceled", "unknown"])
def test_a_driver_cancel_the_warehouse_cannot_do_raises_sandbox_error(api: Api, state: str) -> None:
    oid = create(api, f"SO-CX-{state}", {"SKU-000001": 1})["readOnly"]["orderId"]
    if state == "shipped":
        api.sb.warehouse.ship_order(oid)
    elif state == "canceled":
        api.sb.warehouse.cancel_order(oid)
    else:
        oid += 10_000

    with pytest.raises(SandboxError, match=f"order {oid}: cannot cancel"):
        api.sb.warehouse.cancel_order(oid)


def test_confirmed_receiver_with_variance_adds_received_qty_and_allocates_waiting_orders(
    api: Api,
) -> None:
    sb = api.sb
    waiting = create(api, "SO-W", {"SKU-000004": 120})["readOnly"]["orderId"]
    rid = sb.warehouse.receive(
        {"SKU-000004": 24}, reference_num="ASN-V", received={"SKU-000004": 22}
    )
    receiver = api.get(f"/inventory/receivers/{rid}", params={"detail": "ReceiveItems"}).json()
    line = receiver["_embedded"]["http://api.3plCentral.com/rels/inventory/receiveritem"][0]
    assert (22, 24, 1) == (
        line["qty"],
        line["readOnly"]["expectedQty"],
        receiver["readOnly"]["status"],
    )
    assert (122, 2, 120) == stock(sb, "SKU-000004")
    assert api.get(f"/orders/{waiting}").json()["readOnly"]["fullyAllocated"] is True


def test_inventory_adjustments_move_on_hand_and_available(api: Api) -> None:
    sb = api.sb
    sb.warehouse.adjust_stock("SKU-000005", 7)
    assert (107, 107, 0) == stock(sb, "SKU-000005")
    sb.warehouse.adjust_stock("SKU-000005", -10)
    assert (97, 97, 0) == stock(sb, "SKU-000005")
    with pytest.raises(SandboxError):
        sb.warehouse.adjust_stock("SKU-000005", -1000)


def test_added_item_is_listed_and_receivable(api: Api) -> None:
    item_id = api.sb.warehouse.add_item("NEW-SKU", "fresh")
    found = api.get(f"/customers/12/items/{item_id}").json()
    api.sb.warehouse.receive({"NEW-SKU": 5})
    assert ("NEW-SKU", (5, 5, 0)) == (found["sku"], stock(api.sb, "NEW-SKU"))


def test_incremental_poll_by_last_modified_sees_only_changed_orders(api: Api) -> None:
    first = create(api, "SO-L1", {"SKU-000001": 1})["readOnly"]
    create(api, "SO-L2", {"SKU-000001": 1})
    cursor = api.get(f"/orders/{first['orderId']}").json()["readOnly"]["lastModifiedDate"]
    api.sb.warehouse.ship_order(first["orderId"])
    rql = f"readOnly.isClosed==true;readOnly.lastModifiedDate=gt={cursor}"
    body = api.get("/orders", params={"rql": rql}).json()
    assert [first["orderId"]] == [
        o["readOnly"]["orderId"]
        for o in body["_embedded"]["http://api.3plCentral.com/rels/orders/order"]
    ]


def test_allocations_item_detail(api: Api) -> None:
    oid = create(api, "SO-AL", {"SKU-000001": 2})["readOnly"]["orderId"]
    order = api.get(f"/orders/{oid}", params={"detail": "OrderItems", "itemdetail": "Allocations"})
    allocations = order.json()["_embedded"][ITEM_REL][0]["readOnly"]["allocations"]
    assert [2] == [a["qty"] for a in allocations]


@pytest.mark.extensiv_sandbox(
    catalog_size=2,
    options=WarehouseOptions(canceled_is_closed=False, canceled_blocks_reference=False),
)
def test_cancel_choices_are_configurable(sb: Sandbox) -> None:
    api = Api(sb)
    oid = create(api, "SO-R", {"SKU-000001": 1})["readOnly"]["orderId"]
    sb.warehouse.cancel_order(oid)
    assert (2, False) == (
        api.get(f"/orders/{oid}").json()["readOnly"]["status"],
        api.get(f"/orders/{oid}").json()["readOnly"]["isClosed"],
    )
    assert 201 == api.create_order("SO-R", {"SKU-000001": 1}).status_code


def test_large_catalog_seeds_and_pages_to_the_last_sku(
    extensiv_sandbox_factory: Callable[..., Sandbox],
) -> None:
    sb = extensiv_sandbox_factory(catalog_size=100_000)
    api = Api(sb)
    last = api.get("/inventory/stocksummaries", params={"pgsiz": 500, "pgnum": 200}).json()
    assert (100_000, "SKU-100000") == (
        last["totalResults"],
        last["summaries"][-1]["itemIdentifier"]["sku"],
    )
