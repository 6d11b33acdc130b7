"""Handlers for ``/orders``: list, create, read, update, cancel, confirm, allocate, summaries."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from . import _errors as err
from . import _rql as rql
from ._call import Call
from ._paging import page_links, page_of, paging, query
from ._render import collection, json_response, render_one, respond
from ._warehouse import Doc

__all__ = [
    "allocate_order",
    "cancel_order",
    "cancel_orders",
    "confirm_order",
    "create_order",
    "deallocate_order",
    "get_order",
    "list_order_items",
    "list_order_packages",
    "list_order_summaries",
    "list_orders",
    "order_links",
    "update_order",
]

# First property-path segments RQL may name (unknown → 400 NotParsable).
_ORDER_PROPS = {
    "readonly", "referencenum", "ponum", "externalid", "description", "notes", "shippingnotes",
    "billingcode", "routinginfo", "shipto", "soldto", "billto", "customeridentifier",
    "facilityidentifier", "earliestshipdate", "shipcanceldate", "asnnumber", "totalweight",
    "totalvolume", "numunits1", "numunits2", "ordertype", "upsisresidential", "savedelements",
    "status", "isclosed", "orderid", "processdate", "lastmodifieddate", "creationdate",
}  # fmt: skip
_ORDER_SUMMARY_PROPS = {
    "orderid", "referencenum", "ponum", "fullyallocated", "customeridentifier",
    "facilityidentifier", "creationdate", "isclosed", "status",
}  # fmt: skip
_ALLOCATION_DETAIL = {"allocations", "all", "allocationswithdetail"}


def order_links(doc: Doc) -> dict[str, str]:
    """An order's HAL links; the edit and operator links only while it is open."""
    oid = doc["readOnly"]["orderId"]
    links = {
        "self": f"/orders/{oid}",
        "orders/items": f"/orders/{oid}/items{{?detail}}",
        "orders/packages": f"/orders/{oid}/packages",
        "inventory/stocksummariesfororder": f"/inventory/stocksummariesfororder?orderid={oid}",
    }
    if doc["readOnly"]["status"] == 0:
        links["edit"] = f"/orders/{oid}{{?detail,itemdetail}}"
        links["orders/ordercancel"] = f"/orders/{oid}/canceler"
        links["orders/orderconfirm"] = f"/orders/{oid}/confirmer"
        links["orders/orderallocate"] = f"/orders/{oid}/allocator"
        links["orders/orderdeallocate"] = f"/orders/{oid}/deallocator"
    return links


def _shape(doc: Doc, detail: set[str]) -> Doc:
    everything = "all" in detail
    if not (everything or "orderitems" in detail):
        doc.pop("orderItems", None)
    if not (everything or "packages" in detail):
        doc["readOnly"]["packages"] = []  # always present, filled only on request
    return doc


def create_order(call: Call) -> Response:
    doc, etag = call.app.warehouse.create_order(call.body())
    oid = doc["readOnly"]["orderId"]
    return respond(
        201, call.is_hal, render_one(call.is_hal, doc, order_links(doc)), etag, f"/orders/{oid}"
    )


def list_orders(call: Call) -> Response:
    args = call.args
    detail = args.detail("detail")
    allocations = bool(args.detail("itemdetail") & _ALLOCATION_DETAIL)
    skulist = {s.strip().lower() for s in (args.get("skulist") or "").split(",") if s.strip()}
    skucontains = (args.get("skucontains") or "").lower()
    wh = call.app.warehouse
    with wh.lock:
        records = wh.order_records()
        node = query(args, _ORDER_PROPS)
        if node is not None:
            records = [r for r in records if rql.evaluate(node, r.doc)]
        if skulist or skucontains:
            records = [
                r
                for r in records
                if any(
                    (line["itemIdentifier"]["sku"].lower() in skulist)
                    or (skucontains and skucontains in line["itemIdentifier"]["sku"].lower())
                    for line in r.doc["orderItems"]
                )
            ]
        sort = args.get("sort")
        keys: list[tuple[tuple[str, ...], bool]] = (
            rql.parse_sort(sort) if sort else [(("readonly", "orderid"), False)]
        )
        records = rql.sort_records(records, keys, view=lambda r: r.doc)
        size, page = paging(args, 1000, 100)
        start = (page - 1) * size
        chosen = records[start : start + size]
        docs = [_shape(wh.order_view(r, allocations=allocations), detail) for r in chosen]
        total = len(records)
    body = collection(
        is_hal=call.is_hal,
        rel="orders/order",
        records=docs,
        total=total,
        links=page_links(call.request, args, size, page, total),
        item_links=[order_links(d) for d in docs],
    )
    return respond(200, call.is_hal, body)


def get_order(call: Call, oid: int) -> Response:
    detail = call.args.detail("detail", call.app.settings.default_order_detail)
    allocations = bool(call.args.detail("itemdetail") & _ALLOCATION_DETAIL)
    doc, etag = call.app.warehouse.get_order(oid, allocations=allocations)
    doc = _shape(doc, detail)
    return respond(200, call.is_hal, render_one(call.is_hal, doc, order_links(doc)), etag)


def update_order(call: Call, oid: int) -> Response:
    wh = call.app.warehouse
    if_match = call.if_match
    with wh.lock:
        wh.get_order(oid)  # 404 before 428
        wh.check_if_match(wh.orders[oid].etag, if_match)
        wh.update_order(oid, call.body(), if_match)
        detail = call.args.detail("detail", "OrderItems")
        allocations = bool(call.args.detail("itemdetail") & _ALLOCATION_DETAIL)
        doc, etag = wh.get_order(oid, allocations=allocations)
    doc = _shape(doc, detail)
    return respond(200, call.is_hal, render_one(call.is_hal, doc, order_links(doc)), etag)


def cancel_order(call: Call, oid: int) -> Response:
    wh = call.app.warehouse
    if_match = call.if_match
    with wh.lock:
        wh.get_order(oid)  # 404 before 428
        body = call.optional_body()
        wh.check_if_match(wh.orders[oid].etag, if_match)
        reason = body.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise err.model_validation(
                "Required", "Reason is required", [("Reason", reason)], "OrderCancel"
            )
        wh.cancel_order(oid, if_match=if_match, check_etag=True)
    return Response(status=204)


def confirm_order(call: Call, oid: int) -> Response:
    tracking = call.optional_body().get("trackingNumber")
    call.app.warehouse.ship_order(
        oid,
        tracking_number=tracking if isinstance(tracking, str) else None,
        require_allocated=True,
        if_match=call.if_match,
        check_etag=True,
    )
    return Response(status=204)


def list_order_items(call: Call, oid: int) -> Response:
    doc, etag = call.app.warehouse.get_order(oid)
    lines = doc["orderItems"]
    body = collection(
        is_hal=call.is_hal,
        rel="orders/item",
        records=lines,
        total=len(lines),
        links={"self": f"/orders/{oid}/items"},
    )
    return respond(200, call.is_hal, body, etag)


def list_order_packages(call: Call, oid: int) -> Response:
    doc, _ = call.app.warehouse.get_order(oid)
    packages = doc["readOnly"].get("packages") or []
    body = collection(
        is_hal=call.is_hal,
        rel="orders/package",
        records=packages,
        total=len(packages),
        links={"self": f"/orders/{oid}/packages"},
    )
    return respond(200, call.is_hal, body)


def allocate_order(call: Call, oid: int) -> Response:
    call.app.warehouse.allocate_operator(oid, call.if_match)
    return Response(status=204)


def deallocate_order(call: Call, oid: int) -> Response:
    call.app.warehouse.deallocate_operator(oid, call.if_match)
    return Response(status=204)


def list_order_summaries(call: Call) -> Response:
    contains = (call.args.get("orderidcontains") or "").strip()
    wh = call.app.warehouse
    with wh.lock:
        rows = wh.order_summaries()
        if contains:
            rows = [r for r in rows if contains in str(r["orderId"])]
        return page_of(call, "item", rows, _ORDER_SUMMARY_PROPS, 1000, 100, ("orderid",))


def cancel_orders(call: Call) -> Response:
    body = call.body()
    idents = body.get("orderIdentifiers")
    if not isinstance(idents, list) or not idents:
        raise err.model_validation(
            "Required", "OrderIdentifiers is required", [("OrderIdentifiers", None)], "OrdersCancel"
        )
    ids = [i.get("id") if isinstance(i, dict) else None for i in idents]
    reason = body.get("reason")
    faults = call.app.warehouse.cancel_orders(ids, reason if isinstance(reason, str) else None)
    if faults:
        listed: dict[str, Any] = {
            "$type": "WMS.V2.Generic.Models.Exceptions.ListException, WMS.V2.Generic.Models",
            "Faults": faults,
        }
        return json_response(400, listed)
    return Response(status=204)
