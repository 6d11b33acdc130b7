"""Handlers for ``/customers``: the customer, its items and its item aliases."""

from __future__ import annotations

from werkzeug.wrappers import Response

from . import _errors as err
from . import _rql as rql
from ._call import Call
from ._paging import page_links, page_of, paging, query, select
from ._render import collection, render_one, respond
from ._warehouse import Doc, Warehouse, copy_doc

__all__ = [
    "create_item",
    "delete_item",
    "get_customer",
    "get_item",
    "item_links",
    "list_customers",
    "list_item_aliases",
    "list_items",
    "update_item",
]

# First property-path segments RQL may name, per collection (unknown → 400 NotParsable).
_ITEM_PROPS = {
    "itemid", "sku", "upc", "description", "description2", "inventorycategory", "nmfc", "cost",
    "price", "readonly", "options", "classificationidentifier", "countryofmanufacture",
    "harmonizedcode", "temperature", "accountref", "kit",
}  # fmt: skip
_CUSTOMER_PROPS = {"readonly", "companyinfo", "externalid", "primarycontact", "facilities"}
_ALIAS_PROPS = {"aliasidentifier", "active", "description"}


def item_links(warehouse: Warehouse, doc: Doc) -> dict[str, str]:
    """An item's HAL links (``self`` and ``edit``)."""
    href = f"/customers/{warehouse.customer_id}/items/{doc['itemId']}"
    return {"self": href, "edit": href}


def _check_customer(call: Call, cid: int) -> None:
    if cid != call.app.warehouse.customer_id:
        raise err.not_found(f"Customer {cid}")


def list_customers(call: Call) -> Response:
    page, total, size, number = select(
        [copy_doc(call.app.warehouse.customer)],
        call.args,
        _CUSTOMER_PROPS,
        100,
        20,
        ("readonly", "customerid"),
    )
    body = collection(
        is_hal=call.is_hal,
        rel="customers/customer",
        records=page,
        total=total,
        links=page_links(call.request, call.args, size, number, total),
    )
    return respond(200, call.is_hal, body)


def get_customer(call: Call, cid: int) -> Response:
    _check_customer(call, cid)
    wh = call.app.warehouse
    doc = copy_doc(wh.customer)
    links = {"self": f"/customers/{cid}", "customers/items": f"/customers/{cid}/items"}
    return respond(200, call.is_hal, render_one(call.is_hal, doc, links), wh.customer_etag)


def list_items(call: Call, cid: int) -> Response:
    _check_customer(call, cid)
    args = call.args
    wh = call.app.warehouse
    with wh.lock:
        size, page = paging(args, 100, 10)
        node = query(args, _ITEM_PROPS)
        sku = rql.equality_value(node, ("sku",)) if node is not None else None
        sort = args.get("sort")
        # Paging a stable catalog re-filters and re-sorts nothing: the filtered, sorted
        # list is kept per (query, sort, generation); any write bumps the generation.
        key = (args.get("rql"), sort, wh.generation)
        cached = call.app.items_view
        if cached is not None and cached[0] == key:
            docs = cached[1]
        else:
            records = wh.item_for_sku(sku) if sku is not None else list(wh.items.values())
            docs = [r.doc for r in records]
            if node is not None:
                docs = [d for d in docs if rql.evaluate(node, d)]
            if sort:
                docs = rql.sort_records(docs, rql.parse_sort(sort))
            call.app.items_view = (key, docs)
        total = len(docs)
        start = (page - 1) * size
        chosen = copy_doc(docs[start : start + size])
    body = collection(
        is_hal=call.is_hal,
        rel="customers/item",
        records=chosen,
        total=total,
        links=page_links(call.request, args, size, page, total),
        item_links=[item_links(wh, d) for d in chosen],
    )
    return respond(200, call.is_hal, body)


def create_item(call: Call, cid: int) -> Response:
    _check_customer(call, cid)
    wh = call.app.warehouse
    doc, etag = wh.create_item(call.body())
    links = item_links(wh, doc)
    return respond(201, call.is_hal, render_one(call.is_hal, doc, links), etag, links["self"])


def get_item(call: Call, cid: int, iid: int) -> Response:
    _check_customer(call, cid)
    wh = call.app.warehouse
    with wh.lock:
        record = wh.item_record(iid)
        doc, etag = copy_doc(record.doc), record.etag
    return respond(200, call.is_hal, render_one(call.is_hal, doc, item_links(wh, doc)), etag)


def update_item(call: Call, cid: int, iid: int) -> Response:
    _check_customer(call, cid)
    wh = call.app.warehouse
    with wh.lock:
        wh.item_record(iid)  # 404 first
        if_match = call.if_match
        wh.check_if_match(wh.items[iid].etag, if_match)
        doc, etag = wh.update_item(iid, call.body(), if_match)
    return respond(200, call.is_hal, render_one(call.is_hal, doc, item_links(wh, doc)), etag)


def delete_item(call: Call, cid: int, iid: int) -> Response:
    _check_customer(call, cid)
    wh = call.app.warehouse
    with wh.lock:
        wh.item_record(iid)  # 404 before 428
        wh.delete_item(iid, call.if_match)
    return Response(status=204)


def list_item_aliases(call: Call, cid: int) -> Response:
    _check_customer(call, cid)
    return page_of(
        call,
        "customers/itemalias",
        call.app.warehouse.alias_docs(),
        _ALIAS_PROPS,
        100,
        10,
        ("aliasidentifier", "id"),
    )
