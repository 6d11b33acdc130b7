"""Handlers for ``/inventory/receivers`` and ``/inventory/receiverdigests``."""

from __future__ import annotations

from werkzeug.wrappers import Response

from . import _rql as rql
from ._call import Args, Call
from ._paging import page_links, page_of, paging, query, select
from ._render import collection, render_one, respond
from ._warehouse import Doc, copy_doc

__all__ = [
    "cancel_receiver",
    "confirm_receiver",
    "create_receiver",
    "get_receiver",
    "list_receiver_digests",
    "list_receiver_items",
    "list_receivers",
    "receiver_links",
    "update_receiver",
]

# First property-path segments RQL may name, per collection (unknown → 400 NotParsable).
_RECEIVER_PROPS = {
    "readonly", "referencenum", "ponum", "externalid", "receiptadvicenumber", "arrivaldate",
    "scannedarrivaldate", "expecteddate", "notes", "carrier", "trackingnumber", "billoflading",
    "trailernumber", "sealnumber", "doornumber", "scaccode", "customeridentifier",
    "facilityidentifier", "status", "receiverid", "creationdate", "lastmodifieddate",
}  # fmt: skip
_DIGEST_PROPS = {
    "receiverid", "referencenum", "ponum", "status", "arrivaldate", "creationdate",
    "customeridentifier", "facilityidentifier",
}  # fmt: skip


def receiver_links(doc: Doc) -> dict[str, str]:
    """A receiver's HAL links; the edit, confirm and cancel links only while it is open."""
    rid = doc["readOnly"]["receiverId"]
    links = {"self": f"/inventory/receivers/{rid}"}
    if doc["readOnly"]["status"] == 0:
        links["edit"] = f"/inventory/receivers/{rid}{{?detail}}"
        links["inventory/receiverconfirm"] = f"/inventory/receivers/{rid}/confirmer"
        links["inventory/receivercancel"] = f"/inventory/receivers/{rid}/canceler"
    return links


def _shape(doc: Doc, detail: set[str]) -> Doc:
    if not (detail & {"all", "receiveitems"}):
        doc.pop("receiveItems", None)
    return doc


def create_receiver(call: Call) -> Response:
    doc, etag = call.app.warehouse.create_receiver(call.body())
    rid = doc["readOnly"]["receiverId"]
    return respond(
        201,
        call.is_hal,
        render_one(call.is_hal, doc, receiver_links(doc)),
        etag,
        f"/inventory/receivers/{rid}",
    )


def list_receivers(call: Call) -> Response:
    detail = call.args.detail("detail")
    wh = call.app.warehouse
    with wh.lock:
        page, total, size, number = select(
            wh.receiver_docs(), call.args, _RECEIVER_PROPS, 500, 100, ("readonly", "receiverid")
        )
        docs = [_shape(copy_doc(d), detail) for d in page]
    body = collection(
        is_hal=call.is_hal,
        rel="inventory/receiver",
        records=docs,
        total=total,
        links=page_links(call.request, call.args, size, number, total),
        item_links=[receiver_links(d) for d in docs],
    )
    return respond(200, call.is_hal, body)


def get_receiver(call: Call, rid: int) -> Response:
    doc, etag = call.app.warehouse.get_receiver(rid)
    doc = _shape(doc, call.args.detail("detail"))
    return respond(200, call.is_hal, render_one(call.is_hal, doc, receiver_links(doc)), etag)


def update_receiver(call: Call, rid: int) -> Response:
    wh = call.app.warehouse
    if_match = call.if_match
    with wh.lock:
        wh.get_receiver(rid)  # 404 before 428
        wh.check_if_match(wh.receivers[rid].etag, if_match)
        doc, etag = wh.update_receiver(rid, call.body(), if_match)
    doc = _shape(doc, call.args.detail("detail", "ReceiveItems"))
    return respond(200, call.is_hal, render_one(call.is_hal, doc, receiver_links(doc)), etag)


def list_receiver_items(call: Call, rid: int) -> Response:
    doc, etag = call.app.warehouse.get_receiver(rid)
    lines = doc["receiveItems"]
    body = collection(
        is_hal=call.is_hal,
        rel="inventory/receiveritem",
        records=lines,
        total=len(lines),
        links={"self": f"/inventory/receivers/{rid}/items"},
    )
    return respond(200, call.is_hal, body, etag)


def confirm_receiver(call: Call, rid: int) -> Response:
    arrival = call.optional_body().get("arrivalDate")
    call.app.warehouse.confirm_receiver(
        rid,
        arrival_date=arrival if isinstance(arrival, str) else None,
        if_match=call.if_match,
        check_etag=True,
    )
    return Response(status=204)


def cancel_receiver(call: Call, rid: int) -> Response:
    wh = call.app.warehouse
    if_match = call.if_match
    with wh.lock:
        wh.get_receiver(rid)  # 404 before 428
        wh.check_if_match(wh.receivers[rid].etag, if_match)
        body = call.optional_body()
        wh.cancel_receiver(rid, body.get("reason"), if_match)
    return Response(status=204)


def list_receiver_digests(call: Call) -> Response:
    args = call.args
    skulist = {s.strip().lower() for s in (args.get("skulist") or "").split(",") if s.strip()}
    contains = (args.get("skucontains") or "").lower()
    wh = call.app.warehouse
    with wh.lock:
        rows = wh.receiver_digests()
    if skulist or contains:
        rows = [
            r
            for r in rows
            if any(
                i["itemIdentifier"]["sku"].lower() in skulist
                or (contains and contains in i["itemIdentifier"]["sku"].lower())
                for i in r["itemInfos"]
            )
        ]
    if args.get("pgnum") == "0":  # documented: pgnum=0 answers only the total
        node = query(args, _DIGEST_PROPS)
        total = len([r for r in rows if node is None or rql.evaluate(node, r)])
        paging(Args.without(args, "pgnum"), 1000, 100)
        key = "totalResults" if call.is_hal else "TotalResults"
        return respond(200, call.is_hal, {key: total})
    return page_of(
        call, "inventory/receiverdigest", rows, _DIGEST_PROPS, 1000, 100, ("receiverid",)
    )
