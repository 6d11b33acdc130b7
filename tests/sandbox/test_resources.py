from __future__ import annotations

from urllib.parse import quote

import pytest

from extensiv_connector.sandbox import Sandbox, WarehouseOptions

from .conftest import ITEM_REL, ORDER_REL, Api, order_body

MVE = "WMS.V2.Generic.Models.Exceptions.ModelValidationException, WMS.V2.Generic.Models"
QPE = "WMS.V2.Generic.Models.Exceptions.QueryParameterException, WMS.V2.Generic.Models"


def test_order_create_is_201_with_etag_and_hal_body(api: Api) -> None:
    response = api.create_order("SO-1", {"SKU-000001": 2})
    body = response.json()
    assert 201 == response.status_code
    assert response.headers["ETag"].startswith('"')
    assert isinstance(body["readOnly"]["orderId"], int)
    assert "application/hal+json" in response.headers["Content-Type"]
    lines = body["_embedded"][ITEM_REL]
    assert [("SKU-000001", 2)] == [(x["itemIdentifier"]["sku"], x["qty"]) for x in lines]
    assert "http://api.3plcentral.com/rels/orders/ordercancel" in body["_links"]


def test_plain_json_form_is_pascal_case_with_resource_list(api: Api) -> None:
    response = api.post("/orders", json=order_body(api.sb, "SO-J", {"SKU-000001": 1}), hal=False)
    assert 201 == response.status_code
    assert "OrderId" in response.json()["ReadOnly"]
    listing = api.get("/orders", params={"detail": "OrderItems"}, hal=False).json()
    assert 1 == listing["TotalResults"]
    assert "SKU-000001" == listing["ResourceList"][0]["OrderItems"][0]["ItemIdentifier"]["Sku"]


def test_pascal_case_body_and_embedded_lines_are_accepted(api: Api) -> None:
    sb = api.sb
    body = {
        "CustomerIdentifier": {"Id": sb.credentials.customer_id},
        "FacilityIdentifier": {"Id": sb.credentials.facility_id},
        "ReferenceNum": "SO-P",
        "ShipTo": {"Name": "X"},
        "_embedded": {ITEM_REL: [{"ItemIdentifier": {"Sku": "SKU-000002"}, "Qty": 3}]},
    }
    response = api.post("/orders", json=body)
    assert 201 == response.status_code, response.text
    assert 3 == response.json()["_embedded"][ITEM_REL][0]["qty"]


def test_duplicate_reference_is_typed_400(api: Api) -> None:
    assert 201 == api.create_order("SO-D", {"SKU-000001": 1}).status_code
    response = api.create_order("so-d", {"SKU-000001": 1})
    body = response.json()
    assert (400, MVE, "Duplicate") == (response.status_code, body["$type"], body["ErrorCode"])
    assert [{"Name": "ReferenceNum", "Value": "so-d"}] == body["Properties"]
    assert body["Hint"]


@pytest.mark.extensiv_sandbox(options=WarehouseOptions(enforce_unique_references=False))
def test_a_sandbox_without_the_uniqueness_check_accepts_a_duplicate_reference(api: Api) -> None:
    first = api.create_order("SO-TWICE", {"SKU-000001": 1})
    second = api.create_order("SO-TWICE", {"SKU-000001": 1})

    assert (201, 201) == (first.status_code, second.status_code)
    assert first.json()["readOnly"]["orderId"] != second.json()["readOnly"]["orderId"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"referenceNum": None}, "Required"),
        ({"orderItems": []}, "Required"),
        ({"shipTo": None}, "Required"),
        ({"customerIdentifier": {"id": 999}}, "DoesNotExist"),
        ({"orderItems": [{"itemIdentifier": {"sku": "NOPE"}, "qty": 1}]}, "DoesNotExist"),
        (
            {"orderItems": [{"itemIdentifier": {"sku": "SKU-000001"}, "qty": 0}]},
            "ValueNotSupported",
        ),
    ],
)
def test_invalid_order_create_is_model_validation_error(
    api: Api, change: dict[str, object], code: str
) -> None:
    body = {**order_body(api.sb, "SO-V", {"SKU-000001": 1}), **change}
    response = api.post("/orders", json=body)
    assert (400, code) == (response.status_code, response.json()["ErrorCode"])


def test_orders_list_filters_sorts_and_pages_with_relative_next(api: Api) -> None:
    for n in range(5):
        assert 201 == api.create_order(f"SO-{n}", {"SKU-000001": 1}).status_code
    response = api.get(
        "/orders", params={"pgsiz": 2, "sort": "-readOnly.orderId", "rql": "referenceNum==so-*"}
    )
    body = response.json()
    ids = [o["readOnly"]["orderId"] for o in body["_embedded"][ORDER_REL]]
    assert 5 == body["totalResults"]
    assert ids == sorted(ids, reverse=True)
    next_href = body["_links"]["next"]["href"]
    assert next_href.startswith("/orders?")
    second = api.get(next_href).json()
    more = [o["readOnly"]["orderId"] for o in second["_embedded"][ORDER_REL]]
    assert max(more) < min(ids)
    assert ORDER_REL in second["_embedded"]
    assert "orderItems" not in second["_embedded"][ORDER_REL][0]  # detail None


def test_double_encoded_rql_value_is_decoded_twice(api: Api) -> None:
    assert 201 == api.create_order("SO,1;(x)", {"SKU-000001": 1}).status_code
    assert 201 == api.create_order("SO-2", {"SKU-000001": 1}).status_code
    value = quote(quote("SO,1;(x)", safe=""), safe="")
    response = api.get(f"/orders?rql=referenceNum=={value}")
    assert ["SO,1;(x)"] == [o["referenceNum"] for o in response.json()["_embedded"][ORDER_REL]]


def test_unknown_rql_property_is_not_parsable(api: Api) -> None:
    body = api.get("/orders", params={"rql": "gorp==1"}).json()
    assert (QPE, "NotParsable", ["rql"]) == (body["$type"], body["ErrorCode"], body["Parameters"])
    assert "gorp" in body["Hint"]


@pytest.mark.parametrize(
    ("path", "cap"),
    [
        ("/orders", 1000),
        ("/inventory/stocksummaries", 500),
        ("/inventory/receivers", 500),
        ("/customers", 100),
        ("/customers/12/items", 100),
        ("/inventory/stockdetails?customerid=12&facilityid=3", 500),
    ],
)
def test_page_size_above_cap_is_an_error(api: Api, path: str, cap: int) -> None:
    sep = "&" if "?" in path else "?"
    assert 200 == api.get(f"{path}{sep}pgsiz={cap}").status_code
    response = api.get(f"{path}{sep}pgsiz={cap + 1}")
    assert (400, "QueryParameterException") == (
        response.status_code,
        response.json()["$type"].split(",")[0].split(".")[-1],
    )


def test_unknown_query_parameters_are_silently_ignored(api: Api) -> None:
    api.create_order("SO-U", {"SKU-000001": 1})
    response = api.get("/orders", params={"customerid": 999, "pgsize": 1, "facilityid": 5})
    assert (200, 1) == (response.status_code, response.json()["totalResults"])


def test_cancel_needs_if_match_and_fresh_etag(api: Api) -> None:
    created = api.create_order("SO-C", {"SKU-000001": 1})
    oid, etag = created.json()["readOnly"]["orderId"], created.headers["ETag"]
    path = f"/orders/{oid}/canceler"
    assert 428 == api.post(path, json={"reason": "x"}).status_code
    assert 412 == api.post(path, json={"reason": "x"}, headers={"If-Match": '"stale"'}).status_code
    missing_reason = api.post(path, json={}, headers={"If-Match": etag})
    assert (400, "Required") == (missing_reason.status_code, missing_reason.json()["ErrorCode"])
    assert 204 == api.post(path, json={"reason": "x"}, headers={"If-Match": etag}).status_code
    fresh = api.get(f"/orders/{oid}")
    assert fresh.headers["ETag"] != etag
    assert (2, True) == (fresh.json()["readOnly"]["status"], fresh.json()["readOnly"]["isClosed"])
    again = api.post(path, json={"reason": "x"}, headers={"If-Match": fresh.headers["ETag"]})
    assert (403, "OrderCanceled") == (again.status_code, again.json()["ErrorCode"])


def test_unknown_order_is_404(api: Api) -> None:
    assert 404 == api.get("/orders/99999").status_code


def test_order_items_and_packages_endpoints(api: Api) -> None:
    oid = api.create_order("SO-I", {"SKU-000001": 2, "SKU-000002": 1}).json()["readOnly"]["orderId"]
    api.sb.warehouse.ship_order(oid, tracking_number="1ZTEST")
    items = api.get(f"/orders/{oid}/items").json()["_embedded"][ITEM_REL]
    packages = api.get(f"/orders/{oid}/packages").json()
    package = packages["_embedded"]["http://api.3plCentral.com/rels/orders/package"][0]
    assert 2 == len(items)
    assert "1ZTEST" == package["trackingNumber"]
    assert {(i["readOnly"]["orderItemId"], i["qty"]) for i in items} == {
        (c["orderItemId"], c["qty"]) for c in package["packageContents"]
    }


def test_stock_summaries_flat_form_in_both_casings(api: Api) -> None:
    hal = api.get("/inventory/stocksummaries", params={"pgsiz": 3}).json()
    plain = api.get("/inventory/stocksummaries", params={"pgsiz": 3}, hal=False).json()
    assert {"totalResults", "summaries"} == set(hal)
    assert {"TotalResults", "Summaries"} == set(plain)
    assert 50 == hal["totalResults"]
    row = hal["summaries"][0]
    assert ("SKU-000001", 100, 100, 0) == (
        row["itemIdentifier"]["sku"],
        row["onHand"],
        row["available"],
        row["allocated"],
    )
    assert "SKU-000001" == plain["Summaries"][0]["ItemIdentifier"]["Sku"]


def test_stock_summaries_rql_and_ordered_not_allocated(api: Api) -> None:
    api.sb.warehouse.adjust_stock("SKU-000003", -100)
    api.create_order("SO-ONA", {"SKU-000003": 4})
    body = api.get(
        "/inventory/stocksummaries",
        params={"rql": "itemIdentifier.sku==SKU-000003", "orderednotallocated": "true"},
    ).json()
    assert 1 == body["totalResults"]
    assert (0, 4) == (
        body["summaries"][0]["available"],
        body["summaries"][0]["orderedNotAllocated"],
    )


def test_stock_details_require_customer_and_facility(api: Api) -> None:
    response = api.get("/inventory/stockdetails")
    assert (400, "Required") == (response.status_code, response.json()["ErrorCode"])
    body = api.get("/inventory/stockdetails?customerid=12&facilityid=3&pgsiz=5").json()
    assert (50, 5) == (body["totalResults"], len(body["_embedded"]["item"]))
    assert {"receiveItemId", "available", "onHand", "receiverId"} <= set(
        body["_embedded"]["item"][0]
    )


def test_items_list_defaults_to_ten_and_finds_by_sku(api: Api) -> None:
    body = api.get("/customers/12/items").json()
    rel = "http://api.3plCentral.com/rels/customers/item"
    assert (50, 10) == (body["totalResults"], len(body["_embedded"][rel]))
    found = api.get("/customers/12/items", params={"rql": "Sku==sku-000007"}).json()
    assert ["SKU-000007"] == [i["sku"] for i in found["_embedded"][rel]]
    wild = api.get("/customers/12/items", params={"rql": "sku==*00004*", "pgsiz": 100}).json()
    assert 11 == wild["totalResults"]  # SKU-000004 and SKU-000040..49


def test_item_create_get_and_put_with_if_match(api: Api) -> None:
    created = api.post("/customers/12/items", json={"sku": "NEW-1", "description": "New"})
    item_id = created.json()["itemId"]
    assert 201 == created.status_code
    dup = api.post("/customers/12/items", json={"sku": "NEW-1"})
    assert (400, "Duplicate") == (dup.status_code, dup.json()["ErrorCode"])
    got = api.get(f"/customers/12/items/{item_id}")
    item = got.json()
    item["upc"] = "123"
    assert 428 == api.put(f"/customers/12/items/{item_id}", json=item).status_code
    put = api.put(
        f"/customers/12/items/{item_id}", json=item, headers={"If-Match": got.headers["ETag"]}
    )
    assert (200, "123") == (put.status_code, put.json()["upc"])
    stale = api.put(
        f"/customers/12/items/{item_id}", json=item, headers={"If-Match": got.headers["ETag"]}
    )
    assert 412 == stale.status_code
    assert put.json()["readOnly"]["lastModifiedDate"] > item["readOnly"]["lastModifiedDate"]


def test_receiver_create_list_with_detail_and_confirm(api: Api) -> None:
    sb: Sandbox = api.sb
    body = {
        "customerIdentifier": {"id": 12},
        "facilityIdentifier": {"id": 3},
        "referenceNum": "ASN-1",
        "receiveItems": [{"itemIdentifier": {"sku": "SKU-000001"}, "qty": 24}],
    }
    created = api.post("/inventory/receivers", json=body)
    rid = created.json()["readOnly"]["receiverId"]
    assert 201 == created.status_code
    assert (400, "Duplicate") == (
        api.post("/inventory/receivers", json=body).status_code,
        api.post("/inventory/receivers", json=body).json()["ErrorCode"],
    )
    listing = api.get(
        "/inventory/receivers", params={"detail": "ReceiveItems", "rql": "readOnly.status==0"}
    ).json()
    receivers = listing["_embedded"]["http://api.3plCentral.com/rels/inventory/receiver"]
    lines = receivers[0]["_embedded"]["http://api.3plCentral.com/rels/inventory/receiveritem"]
    assert ([rid], [24]) == (
        [r["readOnly"]["receiverId"] for r in receivers],
        [x["qty"] for x in lines],
    )
    path = f"/inventory/receivers/{rid}/confirmer"
    assert 428 == api.post(path, json={}).status_code
    etag = api.get(f"/inventory/receivers/{rid}").headers["ETag"]
    assert 204 == api.post(path, json={}, headers={"If-Match": etag}).status_code
    assert 124 == sb.warehouse.stock("SKU-000001")["onHand"]
    assert 1 == api.get(f"/inventory/receivers/{rid}").json()["readOnly"]["status"]


def test_reference_data_endpoints(api: Api) -> None:
    customers = api.get("/customers").json()
    facilities = api.get("/properties/facilities").json()
    carriers = api.get("/properties/carriers").json()
    uoms = api.get("/properties/unitofmeasuretypes", hal=False).json()
    assert [12] == [
        c["readOnly"]["customerId"]
        for c in customers["_embedded"]["http://api.3plCentral.com/rels/customers/customer"]
    ]
    assert [3] == [
        f["facilityId"]
        for f in facilities["_embedded"]["http://api.3plCentral.com/rels/properties/facility"]
    ]
    ups = carriers["_embedded"]["http://api.3plCentral.com/rels/properties/carrier"][0]
    assert ("UPS", "UPSN") == (ups["name"], ups["scacCode"])
    assert "03" in [s["code"] for s in ups["shipmentServices"]]
    assert "Prepaid" in [b["code"] for b in ups["billingCodes"]]
    assert "Each" in [u["Name"] for u in uoms["ResourceList"]]
    assert 200 == api.get("/customers/12").status_code
    assert "ETag" in api.get("/customers/12").headers
