"""Handlers for ``/inventory`` stock: summaries, details, lots, locations, stock for an order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Response

from . import _errors as err
from . import _rql as rql
from ._call import Call
from ._paging import page_links, page_of, paging, query, select
from ._render import HAL_TYPE, JSON_TYPE, collection, pascal, respond, summaries_body
from ._warehouse import copy_doc

__all__ = [
    "list_inventory",
    "list_locations",
    "stock_details",
    "stock_for_order",
    "stock_summaries",
]

# First property-path segments RQL may name, per collection (unknown → 400 NotParsable).
_SUMMARY_PROPS = {
    "itemidentifier", "qualifier", "totalreceived", "allocated", "available", "onhold", "onhand",
    "facilityid", "sku", "itemid",
}  # fmt: skip
_DETAIL_PROPS = {
    "receiveitemid", "itemidentifier", "description", "qualifier", "received", "available",
    "isonhold", "quarantined", "onhand", "lotnumber", "serialnumber", "expirationdate", "cost",
    "locationidentifier", "receiverid", "receiveddate", "referencenum", "ponum",
    "palletidentifier",
}  # fmt: skip
_INVENTORY_PROPS = {
    "receiveitemid", "receiverid", "receiveddate", "itemidentifier", "qualifier", "receivedqty",
    "onhandqty", "availableqty", "onholdqty", "lotnumber", "serialnumber", "expirationdate",
    "cost", "locationidentifier", "palletidentifier", "referencenum", "ponum",
    "customeridentifier", "facilityidentifier", "inventoryagedays",
}  # fmt: skip
_LOCATION_PROPS = {"locationid", "name", "locationidentifier", "locationtype", "onhand"}


def stock_summaries(call: Call) -> Response:
    args = call.args
    size, page = paging(args, 500, 100)
    node = query(args, _SUMMARY_PROPS)
    with_ona = (args.get("orderednotallocated") or "").lower() == "true"
    wh = call.app.warehouse
    start = (page - 1) * size
    with wh.lock:
        if node is None:
            ids = wh.summary_order
            total = len(ids)
            chosen = ids[start : start + size]
        else:
            candidates = wh.summary_order
            sku = rql.equality_value(node, ("itemidentifier", "sku"))
            if sku is not None:
                found = wh.find_item_id(sku)
                candidates = [found] if found is not None and found in wh.summaries else []
            matched = [i for i in candidates if rql.evaluate(node, wh.summaries[i])]
            total = len(matched)
            chosen = matched[start : start + size]
        links = None
        if call.is_hal and call.app.settings.summaries_links:
            links = page_links(call.request, args, size, page, total)
        rows = [wh.summaries[i] for i in chosen]
        ona = None
        if with_ona:
            counts, zero = wh.ordered_not_allocated(), Decimal(0)
            ona = [counts.get(i, zero) for i in chosen]
        # Rendered under the lock (the rows are live); each row's JSON is kept on the row
        # until it changes, so a page costs little more than joining them.
        body = summaries_body(is_hal=call.is_hal, rows=rows, ona=ona, total=total, links=links)
    return Response(body, status=200, content_type=HAL_TYPE if call.is_hal else JSON_TYPE)


def stock_details(call: Call) -> Response:
    args = call.args
    missing = [p for p in ("customerid", "facilityid") if not args.get(p)]
    if missing:
        raise err.query_parameter("Required", f"{missing[0]} is required", missing)
    wh = call.app.warehouse
    try:
        ours = (
            int(args.get("customerid") or 0) == wh.customer_id
            and int(args.get("facilityid") or 0) == wh.facility_id
        )
    except ValueError:
        raise err.query_parameter(
            "NotParsable", "customerid/facilityid must be integers", ["customerid"]
        ) from None
    with wh.lock:
        lots = [lot for lot in wh.lots.values() if lot["onHand"] > 0] if ours else []
        page, total, size, number = select(lots, args, _DETAIL_PROPS, 500, 100, ("receiveitemid",))
        rows = copy_doc(page)
    body = collection(
        is_hal=call.is_hal,
        rel="item",
        records=rows,
        total=total,
        links=page_links(call.request, args, size, number, total),
    )
    return respond(200, call.is_hal, body)


def list_inventory(call: Call) -> Response:
    wh = call.app.warehouse
    with wh.lock:
        rows = wh.inventory_rows()
        return page_of(call, "item", rows, _INVENTORY_PROPS, 1000, 100, ("receiveitemid",))


def list_locations(call: Call, fid: int) -> Response:
    wh = call.app.warehouse
    with wh.lock:
        rows = wh.location_rows(fid)
        return page_of(
            call, "properties/location", rows, _LOCATION_PROPS, 1000, 100, ("locationid",)
        )


def stock_for_order(call: Call) -> Response:
    raw = call.args.get("orderid")
    if not raw:
        raise err.query_parameter("Required", "orderid is required", ["orderid"])
    try:
        oid = int(raw)
    except ValueError:
        raise err.query_parameter(
            "NotParsable", "orderid must be an integer", ["orderid"]
        ) from None
    wh = call.app.warehouse
    with wh.lock:
        rows = wh.summaries_for_order(oid)
    body: dict[str, Any] = (
        {"totalResults": len(rows), "summaries": rows}
        if call.is_hal
        else {"TotalResults": len(rows), "Summaries": pascal(rows)}
    )
    return respond(200, call.is_hal, body)
