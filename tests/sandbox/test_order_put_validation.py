"""PUT /orders/{id} validates the resulting order like create does, over raw HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from extensiv_connector.sandbox import Sandbox

from .conftest import Api

LINES = "http://api.3plCentral.com/rels/orders/item"


@pytest.fixture
def created(api: Api) -> tuple[Api, int, str]:
    response = api.create_order("PUT-1", {"SKU-000001": 2})
    assert 201 == response.status_code, response.text
    oid = int(response.json()["readOnly"]["orderId"])
    return api, oid, api.get(f"/orders/{oid}").headers["ETag"]


def _order(api: Api, oid: int) -> dict[str, Any]:
    doc: dict[str, Any] = api.get(f"/orders/{oid}", params={"detail": "OrderItems"}).json()
    return doc


def _lines(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"itemIdentifier": {"sku": line["itemIdentifier"]["sku"]}, "qty": line["qty"], **extra}
        for line in doc["_embedded"][LINES]
        for extra in ({"readOnly": {"orderItemId": line["readOnly"]["orderItemId"]}},)
    ]


def _error(response: Any) -> tuple[int, str, str, list[str]]:
    body = response.json()
    return (
        response.status_code,
        body["$type"].split(",")[0].split(".")[-1],
        body["ErrorCode"],
        [p["Name"] for p in body["Properties"]],
    )


def test_put_with_only_order_items_is_refused_for_missing_ship_to_and_changes_nothing(
    created: tuple[Api, int, str],
) -> None:
    api, oid, etag = created
    before = _order(api, oid)
    body = {"referenceNum": "PUT-1", "orderItems": _lines(before)}

    response = api.put(f"/orders/{oid}", json=body, headers={"If-Match": etag})

    assert (400, "ModelValidationException", "Required", ["ShipTo"]) == _error(response)
    after = api.get(f"/orders/{oid}")
    assert (etag, before["shipTo"]) == (after.headers["ETag"], after.json()["shipTo"])


def test_put_error_body_has_the_shape_create_uses(created: tuple[Api, int, str]) -> None:
    api, oid, etag = created
    create = api.post("/orders", json={"referenceNum": "PUT-2", "orderItems": []})
    put = api.put(f"/orders/{oid}", json={"referenceNum": "PUT-1"}, headers={"If-Match": etag})

    assert [400, 400] == [create.status_code, put.status_code]
    assert sorted(create.json()) == sorted(put.json())


def test_put_naming_an_order_item_id_not_on_the_order_is_refused(
    created: tuple[Api, int, str],
) -> None:
    api, oid, etag = created
    doc = _order(api, oid)
    lines = _lines(doc)
    stranger = {"itemIdentifier": {"sku": "SKU-000002"}, "qty": 1}
    for unknown in (424242, "1", True):
        body = {**doc, "orderItems": [*lines, {**stranger, "readOnly": {"orderItemId": unknown}}]}

        response = api.put(f"/orders/{oid}", json=body, headers={"If-Match": etag})

        assert (400, "ModelValidationException", "DoesNotExist", ["OrderItems[1].OrderItemId"]) == (
            _error(response)
        )
    assert [("SKU-000001", 2)] == [
        (line["itemIdentifier"]["sku"], line["qty"])
        for line in _order(api, oid)["_embedded"][LINES]
    ]


def test_put_with_a_new_line_without_id_and_ship_to_still_adds_it(
    sb: Sandbox, created: tuple[Api, int, str]
) -> None:
    api, oid, etag = created
    doc = _order(api, oid)
    body = {
        **doc,
        "orderItems": [*_lines(doc), {"itemIdentifier": {"sku": "SKU-000002"}, "qty": 1}],
    }

    response = api.put(f"/orders/{oid}", json=body, headers={"If-Match": etag})

    assert 200 == response.status_code, response.text
    assert [("SKU-000001", Decimal(2)), ("SKU-000002", Decimal(1))] == [
        (line["itemIdentifier"]["sku"], Decimal(str(line["qty"])))
        for line in sb.warehouse.get_order(oid)[0]["orderItems"]
    ]
