"""Round-two endpoints over raw HTTP: both dialects, page caps, error bodies, operators."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from extensiv_connector.sandbox import Sandbox

from .conftest import ORDER_REL, Api

EMBED = "http://api.3plCentral.com/rels/"


def _seed(sb: Sandbox) -> None:
    wh = sb.warehouse
    wh.add_item("LOT-1", "lot tracked")
    wh.receive_lines(
        [
            {"sku": "LOT-1", "qty": 3, "lotNumber": "A", "expirationDate": "2027-01-31T00:00:00"},
            {"sku": "LOT-1", "qty": 4, "lotNumber": "B", "expirationDate": "2027-06-30T00:00:00"},
        ]
    )
    wh.add_alias("ALIAS-1", "SKU-000001")


# path, HAL record key under _embedded (None = top-level "summaries"), documented page cap
COLLECTIONS: list[tuple[str, str | None, int | None]] = [
    ("/inventory", "item", 1000),
    ("/inventory/facilities/3/locations", EMBED + "properties/location", 1000),
    ("/properties/facilities/3/locations", EMBED + "properties/location", 1000),
    ("/orders/summaries", "item", 1000),
    ("/inventory/receiverdigests", EMBED + "inventory/receiverdigest", 1000),
    ("/customers/12/itemaliases", EMBED + "customers/itemalias", 100),
    ("/inventory/stocksummariesfororder?orderid={oid}", None, None),
]


@pytest.fixture
def seeded(sb: Sandbox, api: Api) -> tuple[Api, int]:
    _seed(sb)
    created = api.create_order("R2-1", {"LOT-1": 5, "SKU-000001": 1})
    assert 201 == created.status_code, created.text
    return api, int(created.json()["readOnly"]["orderId"])


@pytest.mark.parametrize(("path", "key", "cap"), COLLECTIONS)
def test_every_new_collection_answers_hal_camel_case(
    seeded: tuple[Api, int], path: str, key: str | None, cap: int | None
) -> None:
    api, oid = seeded
    response = api.get(path.format(oid=oid))
    body = response.json()

    assert (200, "application/hal+json") == (
        response.status_code,
        response.headers["Content-Type"].split(";")[0],
    )
    records = body["summaries"] if key is None else body["_embedded"][key]
    assert len(records) == body["totalResults"] > 0
    assert all(k[0].islower() for r in records for k in r if not k.startswith("_"))


@pytest.mark.parametrize(("path", "key", "cap"), COLLECTIONS)
@pytest.mark.parametrize("accept", [{"Accept": "application/json"}, {}])
def test_every_new_collection_answers_pascal_case_without_hal(
    seeded: tuple[Api, int],
    path: str,
    key: str | None,
    cap: int | None,
    accept: dict[str, str],
) -> None:
    api, oid = seeded
    headers = {"Authorization": f"Bearer {api.token}", **accept}
    response = api.session.get(api.sb.base_url + path.format(oid=oid), headers=headers, timeout=10)
    body = response.json()

    records = body["Summaries"] if key is None else body["ResourceList"]
    assert len(records) == body["TotalResults"] > 0
    assert all(k[0].isupper() for r in records for k in r if not k.startswith("$"))


@pytest.mark.parametrize(("path", "key", "cap"), [c for c in COLLECTIONS if c[2]])
def test_a_page_above_the_documented_cap_is_a_query_parameter_error(
    seeded: tuple[Api, int], path: str, key: str | None, cap: int
) -> None:
    api, _ = seeded
    response = api.get(path, params={"pgsiz": cap + 1})

    assert (400, "QueryParameterException", ["pgsiz"]) == (
        response.status_code,
        response.json()["$type"].split(",")[0].rsplit(".", 1)[-1],
        response.json()["Parameters"],
    )
    assert 200 == api.get(path, params={"pgsiz": cap}).status_code


def test_inventory_filters_with_the_pascal_case_rql_peers_use(seeded: tuple[Api, int]) -> None:
    api, _ = seeded
    rql = "CustomerIdentifier.Id==12;FacilityIdentifier.Id==3;ReceivedDate=ge=2000-01-01"
    rows = api.get(
        "/inventory", params={"rql": rql + ";LotNumber==B", "sort": "ReceivedDate"}
    ).json()["_embedded"]["item"]
    wrong = api.get("/inventory", params={"rql": "CustomerIdentifier.Id==99"}).json()

    assert [("B", 4, 2, 0, "2027-06-30T00:00:00")] == [  # 2 of B allocated to the order
        (r["lotNumber"], r["receivedQty"], r["availableQty"], r["onHoldQty"], r["expirationDate"])
        for r in rows
    ]
    assert {"customerIdentifier", "facilityIdentifier", "inventoryAgeDays", "onHandQty"} <= set(
        rows[0]
    )
    assert 0 == wrong["totalResults"]


def test_an_unknown_rql_property_on_inventory_is_not_parsable(seeded: tuple[Api, int]) -> None:
    api, _ = seeded
    response = api.get("/inventory", params={"rql": "gorp==1"})

    assert (400, "NotParsable") == (response.status_code, response.json()["ErrorCode"])


def test_stock_for_an_order_needs_the_order_id(seeded: tuple[Api, int]) -> None:
    api, _ = seeded
    missing = api.get("/inventory/stocksummariesfororder")
    unknown = api.get("/inventory/stocksummariesfororder", params={"orderid": 424242})

    assert (400, "Required") == (missing.status_code, missing.json()["ErrorCode"])
    assert 404 == unknown.status_code


def test_order_put_needs_if_match_and_replaces_the_writable_part(seeded: tuple[Api, int]) -> None:
    api, oid = seeded
    got = api.get(f"/orders/{oid}", params={"detail": "OrderItems"})
    order = got.json()
    order["notes"] = "leave at door"
    order["shipTo"]["city"] = "Austin"
    lines = order["_embedded"][EMBED + "orders/item"]
    lines[0]["qty"] = 2

    without = api.put(f"/orders/{oid}", json=order)
    stale = api.put(f"/orders/{oid}", json=order, headers={"If-Match": '"AAAAAAAAAAE="'})
    done = api.put(f"/orders/{oid}", json=order, headers={"If-Match": got.headers["ETag"]})

    assert (428, 412, 200) == (without.status_code, stale.status_code, done.status_code)
    assert ("leave at door", "Austin", 2, 5) == (
        done.json()["notes"],
        done.json()["shipTo"]["city"],
        done.json()["_embedded"][EMBED + "orders/item"][0]["qty"],
        5 - 2 + 2,  # the line kept its id; the allocation followed the new qty
    )
    assert done.headers["ETag"] != got.headers["ETag"]
    assert Decimal(5) == api.sb.warehouse.stock("LOT-1")["available"]


def test_order_put_on_a_closed_order_is_an_operation_error(seeded: tuple[Api, int]) -> None:
    api, oid = seeded
    api.sb.warehouse.ship_order(oid)
    got = api.get(f"/orders/{oid}")

    response = api.put(f"/orders/{oid}", json=got.json(), headers={"If-Match": got.headers["ETag"]})

    assert (403, "OrderConfirmed") == (response.status_code, response.json()["ErrorCode"])


def test_deallocator_and_allocator_move_stock_and_change_the_etag(seeded: tuple[Api, int]) -> None:
    api, oid = seeded
    wh = api.sb.warehouse
    before = api.get(f"/orders/{oid}").headers["ETag"]

    off = api.put(f"/orders/{oid}/deallocator", json={}, headers={"If-Match": before})
    available_off = wh.stock("LOT-1")["available"]
    middle = api.get(f"/orders/{oid}").headers["ETag"]
    on = api.put(f"/orders/{oid}/allocator", json={}, headers={"If-Match": middle})

    assert (204, 204) == (off.status_code, on.status_code)
    assert (Decimal(7), Decimal(2)) == (available_off, wh.stock("LOT-1")["available"])
    assert before != middle
    again = api.put(f"/orders/{oid}/allocator", json={}, headers={"If-Match": before})
    assert 412 == again.status_code


def test_bulk_cancel_cancels_and_lists_what_it_could_not(seeded: tuple[Api, int]) -> None:
    api, oid = seeded
    ok = api.post("/orders/canceler", json={"orderIdentifiers": [{"id": oid}], "reason": "x"})
    again = api.post("/orders/canceler", json={"orderIdentifiers": [{"id": oid}, {"id": 999999}]})

    assert 204 == ok.status_code
    assert 2 == api.get(f"/orders/{oid}").json()["readOnly"]["status"]
    assert (400, ["OrderCanceled", "DoesNotExist"]) == (
        again.status_code,
        [f["WmsException"]["ErrorCode"] for f in again.json()["Faults"]],
    )


def test_receiver_put_and_cancel_follow_if_match(sb: Sandbox, api: Api) -> None:
    body = {
        "customerIdentifier": {"id": 12},
        "facilityIdentifier": {"id": 3},
        "referenceNum": "ASN-R2",
        "receiveItems": [{"itemIdentifier": {"sku": "SKU-000001"}, "qty": 5}],
    }
    created = api.post("/inventory/receivers", json=body)
    rid = created.json()["readOnly"]["receiverId"]
    got = api.get(f"/inventory/receivers/{rid}", params={"detail": "ReceiveItems"})
    receiver = got.json()
    receiver["notes"] = "two pallets"
    receiver["_embedded"][EMBED + "inventory/receiveritem"].append(
        {"itemIdentifier": {"sku": "SKU-000002"}, "qty": 1, "lotNumber": "L7"}
    )

    put = api.put(
        f"/inventory/receivers/{rid}", json=receiver, headers={"If-Match": got.headers["ETag"]}
    )
    no_reason = api.post(
        f"/inventory/receivers/{rid}/canceler", json={}, headers={"If-Match": put.headers["ETag"]}
    )
    cancel = api.post(
        f"/inventory/receivers/{rid}/canceler",
        json={"reason": "wrong truck"},
        headers={"If-Match": put.headers["ETag"]},
    )

    lines = put.json()["_embedded"][EMBED + "inventory/receiveritem"]
    assert (200, "two pallets", ["SKU-000001", "SKU-000002"], "L7") == (
        put.status_code,
        put.json()["notes"],
        [line["itemIdentifier"]["sku"] for line in lines],
        lines[1]["lotNumber"],
    )
    assert (400, 204, 2) == (
        no_reason.status_code,
        cancel.status_code,
        api.get(f"/inventory/receivers/{rid}").json()["readOnly"]["status"],
    )


def test_receiver_digests_count_only_with_page_zero(seeded: tuple[Api, int]) -> None:
    api, _ = seeded
    counted = api.get("/inventory/receiverdigests", params={"pgnum": 0}, hal=False).json()
    listed = api.get("/inventory/receiverdigests", params={"skulist": "LOT-1"}).json()

    assert {"TotalResults"} == set(counted)
    digest = listed["_embedded"][EMBED + "inventory/receiverdigest"][0]
    assert (1, [3, 4]) == (
        listed["totalResults"],
        [i["origQtyPrimary"] for i in digest["itemInfos"]],
    )


def test_item_delete_needs_if_match_and_refuses_items_in_use(sb: Sandbox, api: Api) -> None:
    fresh = sb.warehouse.add_item("GONE-1")
    got = api.get(f"/customers/12/items/{fresh}")
    used = api.get("/customers/12/items/10001")

    without = api.call("DELETE", f"/customers/12/items/{fresh}")
    in_use = api.call(
        "DELETE", "/customers/12/items/10001", headers={"If-Match": used.headers["ETag"]}
    )
    deleted = api.call(
        "DELETE", f"/customers/12/items/{fresh}", headers={"If-Match": got.headers["ETag"]}
    )

    assert (428, 403, "InUse", 204, 404) == (
        without.status_code,
        in_use.status_code,
        in_use.json()["ErrorCode"],
        deleted.status_code,
        api.get(f"/customers/12/items/{fresh}").status_code,
    )


def test_an_order_carries_the_read_only_fields_and_templated_links(seeded: tuple[Api, int]) -> None:
    api, oid = seeded
    order = api.get(f"/orders/{oid}").json()
    listed = api.get("/orders").json()["_embedded"][ORDER_REL][0]

    assert {
        "packages",
        "shippingPallets",
        "outboundSerialNumbers",
        "createdByIdentifier",
        "lastModifiedByIdentifier",
        "asnCandidate",
        "routeCandidate",
    } <= set(order["readOnly"])
    assert [] == order["readOnly"]["packages"]
    assert {"href": f"/orders/{oid}{{?detail,itemdetail}}", "templated": True} == order["_links"][
        "edit"
    ]
    assert listed["_links"]["edit"]["templated"] is True


def test_timestamps_carry_at_most_two_fractional_digits(seeded: tuple[Api, int]) -> None:
    api, oid = seeded
    stamps = [
        api.get(f"/orders/{oid}").json()["readOnly"][k]
        for k in ("creationDate", "lastModifiedDate")
    ]

    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,2})?", s) for s in stamps)
    assert stamps[0] <= stamps[1]


def test_lots_ship_per_package_content_with_their_traits(seeded: tuple[Api, int]) -> None:
    api, oid = seeded
    api.sb.warehouse.ship_order(oid)
    packages = api.get(f"/orders/{oid}/packages").json()["_embedded"][EMBED + "orders/package"]
    contents: list[dict[str, Any]] = [
        c for p in packages for c in p["packageContents"] if c["lotNumber"]
    ]

    assert [("A", 3, "2027-01-31T00:00:00"), ("B", 2, "2027-06-30T00:00:00")] == [
        (c["lotNumber"], c["qty"], c["expirationDate"]) for c in contents
    ]


def test_serials_shipped_are_listed_on_the_order(sb: Sandbox, api: Api) -> None:
    sb.warehouse.add_item("SER-1")
    sb.warehouse.receive_lines(
        [{"sku": "SER-1", "qty": 1, "serialNumber": f"SN-{n}"} for n in (1, 2)]
    )
    oid = api.create_order("R2-SER", {"SER-1": 2}).json()["readOnly"]["orderId"]
    sb.warehouse.ship_order(oid)

    order = api.get(f"/orders/{oid}", params={"detail": "Packages"}).json()

    assert [{"sku": "SER-1", "serials": ["SN-1", "SN-2"]}] == [
        {"sku": e["itemIdentifier"]["sku"], "serials": e["serialNumbers"]}
        for e in order["readOnly"]["outboundSerialNumbers"]
    ]


def test_held_and_quarantined_lots_are_not_available(sb: Sandbox, api: Api) -> None:
    _seed(sb)
    rows = api.get("/inventory", params={"rql": "itemIdentifier.sku==LOT-1"}).json()
    first, second = (r["receiveItemId"] for r in rows["_embedded"]["item"])
    sb.warehouse.hold_lot(first)
    sb.warehouse.hold_lot(second, quarantine=True)

    after = api.get("/inventory", params={"rql": "itemIdentifier.sku==LOT-1"}).json()

    assert [(0, 3), (0, 4)] == [
        (r["availableQty"], r["onHoldQty"]) for r in after["_embedded"]["item"]
    ]
    assert (Decimal(0), Decimal(7)) == (
        sb.warehouse.stock("LOT-1")["available"],
        sb.warehouse.stock("LOT-1")["onHold"],
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 412, 428, 500, 502, 503, 504])
def test_injected_fault_bodies_do_not_mention_the_sandbox(
    sb: Sandbox, api: Api, status: int
) -> None:
    sb.faults.enqueue(status)
    response = api.get("/orders")

    assert status == response.status_code
    assert "sandbox" not in response.text.lower()
    assert "inject" not in response.text.lower()


def test_writes_answer_pascal_case_without_hal_and_errors_are_typed_in_both(
    seeded: tuple[Api, int],
) -> None:
    api, oid = seeded
    got = api.get(f"/orders/{oid}", params={"detail": "OrderItems"}, hal=False)
    order = got.json()
    order["Notes"] = "pascal edit"

    put = api.put(
        f"/orders/{oid}", json=order, hal=False, headers={"If-Match": got.headers["ETag"]}
    )
    closed = api.put(f"/orders/{oid}/allocator", json={}, hal=False, headers={"If-Match": '"x"'})

    assert (200, "pascal edit", 2) == (
        put.status_code,
        put.json()["Notes"],
        len(put.json()["OrderItems"]),
    )
    assert (412, "Message") == (closed.status_code, next(iter(closed.json())))
