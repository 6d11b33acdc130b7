"""The WSGI application: routing, request parsing, auth, faults and both response forms.

Every rule is listed in docs/sandbox.md ("Extensiv API behaviour implemented"), taken from the
public Extensiv API documentation.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import attrs
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import _errors as err
from . import _rql as rql
from ._auth import AuthSettings, Credentials, TokenStore, check_client
from ._faults import FaultDecision, Faults
from ._render import canonical_body, collection, dumps, hal, pascal
from ._warehouse import Doc, Notification, Warehouse, copy_doc
from ._webhooks import WebhookSender

__all__ = ["AppSettings", "SandboxApp"]

HAL_TYPE = "application/hal+json; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


@attrs.frozen(kw_only=True)
class AppSettings:
    """[U] response-shape choices.

    ``summaries_links``: stock summaries carry ``_links.next`` (one doc variant lists them; the
    documented sample has none → default False). ``default_order_detail``: ``detail`` used by
    ``GET /orders/{id}`` when none is given (documented default None).
    """

    summaries_links: bool = False
    default_order_detail: str = "None"


# First property-path segments RQL may name, per resource (unknown → 400 NotParsable).
_ORDER_PROPS = {
    "readonly", "referencenum", "ponum", "externalid", "description", "notes", "shippingnotes",
    "billingcode", "routinginfo", "shipto", "soldto", "billto", "customeridentifier",
    "facilityidentifier", "earliestshipdate", "shipcanceldate", "asnnumber", "totalweight",
    "totalvolume", "numunits1", "numunits2", "ordertype", "upsisresidential", "savedelements",
    "status", "isclosed", "orderid", "processdate", "lastmodifieddate", "creationdate",
}  # fmt: skip
_RECEIVER_PROPS = {
    "readonly", "referencenum", "ponum", "externalid", "receiptadvicenumber", "arrivaldate",
    "scannedarrivaldate", "expecteddate", "notes", "carrier", "trackingnumber", "billoflading",
    "trailernumber", "sealnumber", "doornumber", "scaccode", "customeridentifier",
    "facilityidentifier", "status", "receiverid", "creationdate", "lastmodifieddate",
}  # fmt: skip
_ITEM_PROPS = {
    "itemid", "sku", "upc", "description", "description2", "inventorycategory", "nmfc", "cost",
    "price", "readonly", "options", "classificationidentifier", "countryofmanufacture",
    "harmonizedcode", "temperature", "accountref", "kit",
}  # fmt: skip
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
_CUSTOMER_PROPS = {"readonly", "companyinfo", "externalid", "primarycontact", "facilities"}
_FACILITY_PROPS = {"facilityid", "name", "code", "deactivated", "timezonename", "id"}


def _more_rules() -> list[Rule]:
    """Round-two endpoints (docs/sandbox.md), handled at the class end. Fresh rules per map:
    werkzeug binds a rule to one map."""
    return [
        Rule("/inventory", endpoint="inventory", methods=["GET"]),
        Rule("/inventory/facilities/<int:fid>/locations", endpoint="locations", methods=["GET"]),
        Rule("/properties/facilities/<int:fid>/locations", endpoint="locations", methods=["GET"]),
        Rule("/inventory/stocksummariesfororder", endpoint="order_stock", methods=["GET"]),
        Rule("/orders/<int:oid>", endpoint="order", methods=["PUT"]),
        Rule("/orders/<int:oid>/allocator", endpoint="order_allocate", methods=["PUT"]),
        Rule("/orders/<int:oid>/deallocator", endpoint="order_deallocate", methods=["PUT"]),
        Rule("/orders/summaries", endpoint="order_summaries", methods=["GET"]),
        Rule("/orders/canceler", endpoint="orders_cancel", methods=["POST"]),
        Rule("/inventory/receivers/<int:rid>", endpoint="receiver", methods=["PUT"]),
        Rule(
            "/inventory/receivers/<int:rid>/canceler", endpoint="receiver_cancel", methods=["POST"]
        ),
        Rule("/inventory/receiverdigests", endpoint="digests", methods=["GET"]),
        Rule("/customers/<int:cid>/itemaliases", endpoint="aliases", methods=["GET"]),
        Rule("/customers/<int:cid>/items/<int:iid>", endpoint="item", methods=["DELETE"]),
    ]


_INVENTORY_PROPS = {
    "receiveitemid", "receiverid", "receiveddate", "itemidentifier", "qualifier", "receivedqty",
    "onhandqty", "availableqty", "onholdqty", "lotnumber", "serialnumber", "expirationdate",
    "cost", "locationidentifier", "palletidentifier", "referencenum", "ponum",
    "customeridentifier", "facilityidentifier", "inventoryagedays",
}  # fmt: skip
_LOCATION_PROPS = {"locationid", "name", "locationidentifier", "locationtype", "onhand"}
_ORDER_SUMMARY_PROPS = {
    "orderid", "referencenum", "ponum", "fullyallocated", "customeridentifier",
    "facilityidentifier", "creationdate", "isclosed", "status",
}  # fmt: skip
_DIGEST_PROPS = {
    "receiverid", "referencenum", "ponum", "status", "arrivaldate", "creationdate",
    "customeridentifier", "facilityidentifier",
}  # fmt: skip
_ALIAS_PROPS = {"aliasidentifier", "active", "description"}


class _Args:
    """Query parameters, names case-insensitive (first value wins)."""

    def __init__(self, request: Request) -> None:
        self.pairs: list[tuple[str, str]] = list(request.args.items(multi=True))
        self.values: dict[str, str] = {}
        for key, value in self.pairs:
            self.values.setdefault(key.lower(), value)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    @staticmethod
    def without(args: _Args, name: str) -> _Args:
        """A copy of ``args`` lacking ``name``."""
        copy = object.__new__(_Args)
        copy.pairs = [(k, v) for k, v in args.pairs if k.lower() != name]
        copy.values = {k: v for k, v in args.values.items() if k != name}
        return copy


class SandboxApp:
    """WSGI callable. Not started by itself: :class:`~extensiv_connector.sandbox.Sandbox` serves
    it with werkzeug's threaded server."""

    def __init__(
        self,
        *,
        warehouse: Warehouse,
        credentials: Credentials,
        auth: AuthSettings,
        tokens: TokenStore,
        faults: Faults,
        webhooks: WebhookSender,
        settings: AppSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.warehouse = warehouse
        self.credentials = credentials
        self.auth = auth
        self.tokens = tokens
        self.faults = faults
        self.webhooks = webhooks
        self.settings = settings or AppSettings()
        self._sleep = sleep
        self.request_count = 0
        self._items_view: tuple[tuple[str | None, str | None, int], list[Doc]] | None = None
        self.url_map = Map(
            [
                Rule("/authserver/api/token", endpoint="token", methods=["POST"]),
                Rule("/events/webhook/key", endpoint="webhook_key", methods=["GET", "POST"]),
                Rule("/orders", endpoint="orders", methods=["GET", "POST"]),
                Rule("/orders/<int:oid>", endpoint="order", methods=["GET"]),
                Rule("/orders/<int:oid>/canceler", endpoint="order_cancel", methods=["POST"]),
                Rule("/orders/<int:oid>/confirmer", endpoint="order_confirm", methods=["POST"]),
                Rule("/orders/<int:oid>/items", endpoint="order_items", methods=["GET"]),
                Rule("/orders/<int:oid>/packages", endpoint="order_packages", methods=["GET"]),
                Rule("/inventory/stocksummaries", endpoint="summaries", methods=["GET"]),
                Rule("/inventory/stockdetails", endpoint="details", methods=["GET"]),
                Rule("/inventory/receivers", endpoint="receivers", methods=["GET", "POST"]),
                Rule("/inventory/receivers/<int:rid>", endpoint="receiver", methods=["GET"]),
                Rule(
                    "/inventory/receivers/<int:rid>/confirmer",
                    endpoint="receiver_confirm",
                    methods=["POST"],
                ),
                Rule(
                    "/inventory/receivers/<int:rid>/items",
                    endpoint="receiver_items",
                    methods=["GET"],
                ),
                Rule("/customers", endpoint="customers", methods=["GET"]),
                Rule("/customers/<int:cid>", endpoint="customer", methods=["GET"]),
                Rule("/customers/<int:cid>/items", endpoint="items", methods=["GET", "POST"]),
                Rule(
                    "/customers/<int:cid>/items/<int:iid>",
                    endpoint="item",
                    methods=["GET", "PUT"],
                ),
                Rule("/properties/facilities", endpoint="facilities", methods=["GET"]),
                Rule("/properties/carriers", endpoint="carriers", methods=["GET"]),
                Rule("/properties/unitofmeasuretypes", endpoint="uoms", methods=["GET"]),
                *_more_rules(),
            ],
            strict_slashes=False,
        )

    # ------------------------------------------------------------------ WSGI
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def handle(self, request: Request) -> Response:
        self.request_count += 1
        path = request.path.rstrip("/").lower() or "/"
        method = request.method.upper()
        is_auth = path == "/authserver/api/token"
        decision = FaultDecision()
        if path != "/events/webhook/key":
            decision = self.faults.decide(
                method, path, is_auth=is_auth, is_write=method in ("POST", "PUT", "DELETE")
            )
        if decision.delay_s:
            self._sleep(decision.delay_s)
        if decision.reset:
            return self._reset(request)
        if decision.status is not None:
            return _fault_response(decision)
        if decision.expire_token and not is_auth:
            token = _bearer(request)
            if token:
                self.tokens.revoke(token)
        response = self._dispatch(request, path, method)
        if decision.lose_response and response.status_code < 500:
            if decision.lost_mode == "500":
                return _text(500, "An error has occurred.")
            return self._reset(request)
        return response

    def _reset(self, request: Request) -> Response:
        sock = request.environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return Response(b"", status=500)

    def _dispatch(self, request: Request, path: str, method: str) -> Response:
        adapter = self.url_map.bind("sandbox", "/")
        try:
            endpoint, values = adapter.match(path, method=method)
        except HTTPException as exc:
            return _text(exc.code or 404, exc.description or "")
        is_hal = "hal+json" in (request.headers.get("Accept") or "").lower()
        try:
            if endpoint == "token":
                return self._token(request)
            if endpoint == "webhook_key":
                return self._webhook_key(request)
            token = _bearer(request)
            if not token or not self.tokens.valid(token):
                return _json(
                    401,
                    {"Message": "Missing Authorization header with proper bearer token"},
                    headers={"WWW-Authenticate": "Bearer"},
                )
            handler = getattr(self, f"_{endpoint}_{method.lower()}")
            result: Response = handler(request, _Args(request), is_hal, **values)
            return result
        except err.ApiFault as fault:
            if fault.body is not None:
                return _json(fault.status, fault.body, headers=fault.headers)
            return _text(fault.status, fault.text or "", headers=fault.headers)
        except rql.RqlError as exc:
            return _fault_json(err.query_parameter("NotParsable", exc.hint, ["rql"]))
        except Exception:  # a real server answers 500 plain text for any bug
            return _text(500, "An error has occurred.")

    # ------------------------------------------------------------------ auth
    def _token(self, request: Request) -> Response:
        body: Mapping[str, Any] = {}
        raw = request.get_data(cache=True)
        content_type = (request.content_type or "").lower()
        if "form-urlencoded" in content_type:
            body = dict(request.form.items())
        elif raw.strip():
            try:
                parsed = json.loads(raw)
            except (ValueError, RecursionError):
                return _json(400, {"Message": "invalid_request: body is not JSON"})
            if isinstance(parsed, dict):
                body = parsed
        problem = check_client(
            self.credentials, self.auth, request.headers.get("Authorization"), body
        )
        if problem is not None:
            return _json(problem[0], {"Message": problem[1]})
        token, lifetime = self.tokens.issue()
        return _json(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "refresh_token": None,
                "scope": None,
            },
        )

    def _webhook_key(self, request: Request) -> Response:
        doc = self.webhooks.key_document()
        previous = request.args.get("previousRetrievalDateISO")
        if previous is None and request.method == "POST":
            try:
                parsed = json.loads(request.get_data() or b"{}")
                previous = parsed.get("previousRetrievalDateISO")
            except (ValueError, AttributeError):
                previous = None
        if previous is not None and previous >= doc["retrievalDateISO"]:
            return Response(status=304)
        return _json(200, doc)

    # ------------------------------------------------------------------ helpers
    def _body(self, request: Request) -> Doc:
        raw = request.get_data(cache=True)
        try:
            parsed = json.loads(raw, parse_float=Decimal) if raw.strip() else None
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise err.model_validation("ValueNotSupported", "Request body is not JSON") from exc
        if not isinstance(parsed, dict):
            raise err.model_validation("Required", "Request body must be a JSON object")
        try:
            result: Doc = canonical_body(parsed)
        except RecursionError as exc:
            raise err.model_validation("ValueNotSupported", "Request body nests too deep") from exc
        return result

    def _render_one(self, is_hal: bool, doc: Doc, links: dict[str, str] | None) -> Doc:
        result: Doc = hal(doc, links) if is_hal else pascal(doc)
        return result

    def _respond(
        self,
        status: int,
        is_hal: bool,
        document: Any,
        etag: str | None = None,
        location: str | None = None,
    ) -> Response:
        headers = {}
        if etag:
            headers["ETag"] = etag
        if location:
            headers["Location"] = location
        return Response(
            dumps(document),
            status=status,
            headers=headers,
            content_type=HAL_TYPE if is_hal else JSON_TYPE,
        )

    @staticmethod
    def _paging(args: _Args, cap: int, default: int) -> tuple[int, int]:
        def number(name: str, fallback: int) -> int:
            raw = args.get(name)
            if raw is None or raw == "":
                return fallback
            try:
                return int(raw)
            except ValueError:
                raise err.query_parameter(
                    "NotParsable", f"{name} must be an integer", [name]
                ) from None

        size, page = number("pgsiz", default), number("pgnum", 1)
        if size < 1:
            raise err.query_parameter("NotParsable", "pgsiz must be positive", ["pgsiz"])
        if size > cap:
            raise err.query_parameter(
                "NotParsable", f"pgsiz limit is {cap}, specifying more is an error", ["pgsiz"]
            )
        if page < 1:
            raise err.query_parameter("NotParsable", "pgnum must be positive", ["pgnum"])
        return size, page

    @staticmethod
    def _links(request: Request, args: _Args, size: int, page: int, total: int) -> dict[str, str]:
        def href(number: int) -> str:
            pairs = [(k, v) for k, v in args.pairs if k.lower() not in ("pgnum", "pgsiz")]
            pairs += [("pgsiz", str(size)), ("pgnum", str(number))]
            return request.path + "?" + urlencode(pairs, quote_via=quote, safe=",")

        links = {"self": href(page)}
        if page * size < total:
            links["next"] = href(page + 1)
        if page > 1:
            links["prev"] = href(page - 1)
        return links

    @staticmethod
    def _query(args: _Args, known: set[str]) -> rql.Node | None:
        text = args.get("rql")
        if text is None or not text.strip():
            return None
        node = rql.parse(text)
        unknown = sorted({".".join(p) for p in rql.properties(node) if p[0] not in known})
        if unknown:
            raise rql.RqlError("Properties not supported: " + ",".join(unknown))
        return node

    @staticmethod
    def _detail(args: _Args, name: str, default: str = "None") -> set[str]:
        raw = args.get(name) or default
        return {part.strip().lower() for part in raw.split(",") if part.strip()}

    def _select(
        self,
        docs: list[Doc],
        args: _Args,
        known: set[str],
        cap: int,
        default_size: int,
        default_sort: tuple[str, ...],
    ) -> tuple[list[Doc], int, int, int]:
        node = self._query(args, known)
        if node is not None:
            docs = [d for d in docs if rql.evaluate(node, d)]
        sort = args.get("sort")
        keys = rql.parse_sort(sort) if sort else []
        docs = rql.sort_records(docs, keys or [(default_sort, False)])
        size, page = self._paging(args, cap, default_size)
        start = (page - 1) * size
        return docs[start : start + size], len(docs), size, page

    # ------------------------------------------------------------------ orders
    def _order_links(self, doc: Doc) -> dict[str, str]:
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

    @staticmethod
    def _order_shape(doc: Doc, detail: set[str]) -> Doc:
        everything = "all" in detail
        if not (everything or "orderitems" in detail):
            doc.pop("orderItems", None)
        if not (everything or "packages" in detail):
            doc["readOnly"]["packages"] = []  # always present, filled only on request
        return doc

    def _orders_post(self, request: Request, args: _Args, is_hal: bool) -> Response:
        doc, etag = self.warehouse.create_order(self._body(request))
        oid = doc["readOnly"]["orderId"]
        return self._respond(
            201,
            is_hal,
            self._render_one(is_hal, doc, self._order_links(doc)),
            etag,
            f"/orders/{oid}",
        )

    def _orders_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        detail = self._detail(args, "detail")
        itemdetail = self._detail(args, "itemdetail")
        allocations = bool(itemdetail & {"allocations", "all", "allocationswithdetail"})
        skulist = {s.strip().lower() for s in (args.get("skulist") or "").split(",") if s.strip()}
        skucontains = (args.get("skucontains") or "").lower()
        wh = self.warehouse
        with wh.lock:
            records = wh.order_records()
            node = self._query(args, _ORDER_PROPS)
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
            size, page = self._paging(args, 1000, 100)
            start = (page - 1) * size
            chosen = records[start : start + size]
            docs = [
                self._order_shape(wh.order_view(r, allocations=allocations), detail) for r in chosen
            ]
            total = len(records)
        body = collection(
            is_hal=is_hal,
            rel="orders/order",
            records=docs,
            total=total,
            links=self._links(request, args, size, page, total),
            item_links=[self._order_links(d) for d in docs],
        )
        return self._respond(200, is_hal, body)

    def _order_get(self, request: Request, args: _Args, is_hal: bool, oid: int) -> Response:
        detail = self._detail(args, "detail", self.settings.default_order_detail)
        itemdetail = self._detail(args, "itemdetail")
        allocations = bool(itemdetail & {"allocations", "all", "allocationswithdetail"})
        doc, etag = self.warehouse.get_order(oid, allocations=allocations)
        doc = self._order_shape(doc, detail)
        return self._respond(
            200, is_hal, self._render_one(is_hal, doc, self._order_links(doc)), etag
        )

    def _order_cancel_post(self, request: Request, args: _Args, is_hal: bool, oid: int) -> Response:
        if_match = request.headers.get("If-Match")
        with self.warehouse.lock:
            self.warehouse.get_order(oid)  # 404 before 428
            body = self._body(request) if request.get_data(cache=True).strip() else {}
            self.warehouse.check_if_match(self.warehouse.orders[oid].etag, if_match)
            reason = body.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise err.model_validation(
                    "Required", "Reason is required", [("Reason", reason)], "OrderCancel"
                )
            self.warehouse.cancel_order(oid, if_match=if_match, check_etag=True)
        return Response(status=204)

    def _order_confirm_post(
        self, request: Request, args: _Args, is_hal: bool, oid: int
    ) -> Response:
        body = self._body(request) if request.get_data(cache=True).strip() else {}
        tracking = body.get("trackingNumber")
        self.warehouse.ship_order(
            oid,
            tracking_number=tracking if isinstance(tracking, str) else None,
            require_allocated=True,
            if_match=request.headers.get("If-Match"),
            check_etag=True,
        )
        return Response(status=204)

    def _order_items_get(self, request: Request, args: _Args, is_hal: bool, oid: int) -> Response:
        doc, etag = self.warehouse.get_order(oid)
        lines = doc["orderItems"]
        body = collection(
            is_hal=is_hal,
            rel="orders/item",
            records=lines,
            total=len(lines),
            links={"self": f"/orders/{oid}/items"},
        )
        return self._respond(200, is_hal, body, etag)

    def _order_packages_get(
        self, request: Request, args: _Args, is_hal: bool, oid: int
    ) -> Response:
        doc, _ = self.warehouse.get_order(oid)
        packages = doc["readOnly"].get("packages") or []
        body = collection(
            is_hal=is_hal,
            rel="orders/package",
            records=packages,
            total=len(packages),
            links={"self": f"/orders/{oid}/packages"},
        )
        return self._respond(200, is_hal, body)

    # ------------------------------------------------------------------ inventory
    def _summaries_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        size, page = self._paging(args, 500, 100)
        node = self._query(args, _SUMMARY_PROPS)
        with_ona = (args.get("orderednotallocated") or "").lower() == "true"
        wh = self.warehouse
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
            ona = wh.ordered_not_allocated() if with_ona else {}
            rows = []
            for item_id in chosen:
                row = dict(wh.summaries[item_id])
                row["itemIdentifier"] = dict(row["itemIdentifier"])
                row["orderedNotAllocated"] = ona.get(item_id, Decimal(0)) if with_ona else None
                rows.append(row)
        body: dict[str, Any]
        if is_hal:
            body = {"totalResults": total, "summaries": rows}
            if self.settings.summaries_links:
                body["_links"] = {
                    k: {"href": v} for k, v in self._links(request, args, size, page, total).items()
                }
        else:
            body = {"TotalResults": total, "Summaries": pascal(rows)}
        return self._respond(200, is_hal, body)

    def _details_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        missing = [p for p in ("customerid", "facilityid") if not args.get(p)]
        if missing:
            raise err.query_parameter("Required", f"{missing[0]} is required", missing)
        wh = self.warehouse
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
            page, total, size, number = self._select(
                lots, args, _DETAIL_PROPS, 500, 100, ("receiveitemid",)
            )
            rows = copy_doc(page)
        body = collection(
            is_hal=is_hal,
            rel="item",
            records=rows,
            total=total,
            links=self._links(request, args, size, number, total),
        )
        return self._respond(200, is_hal, body)

    # ------------------------------------------------------------------ receivers
    def _receiver_links(self, doc: Doc) -> dict[str, str]:
        rid = doc["readOnly"]["receiverId"]
        links = {"self": f"/inventory/receivers/{rid}"}
        if doc["readOnly"]["status"] == 0:
            links["edit"] = f"/inventory/receivers/{rid}{{?detail}}"
            links["inventory/receiverconfirm"] = f"/inventory/receivers/{rid}/confirmer"
            links["inventory/receivercancel"] = f"/inventory/receivers/{rid}/canceler"
        return links

    @staticmethod
    def _receiver_shape(doc: Doc, detail: set[str]) -> Doc:
        if not (detail & {"all", "receiveitems"}):
            doc.pop("receiveItems", None)
        return doc

    def _receivers_post(self, request: Request, args: _Args, is_hal: bool) -> Response:
        doc, etag = self.warehouse.create_receiver(self._body(request))
        rid = doc["readOnly"]["receiverId"]
        return self._respond(
            201,
            is_hal,
            self._render_one(is_hal, doc, self._receiver_links(doc)),
            etag,
            f"/inventory/receivers/{rid}",
        )

    def _receivers_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        detail = self._detail(args, "detail")
        wh = self.warehouse
        with wh.lock:
            page, total, size, number = self._select(
                wh.receiver_docs(), args, _RECEIVER_PROPS, 500, 100, ("readonly", "receiverid")
            )
            docs = [self._receiver_shape(copy_doc(d), detail) for d in page]
        body = collection(
            is_hal=is_hal,
            rel="inventory/receiver",
            records=docs,
            total=total,
            links=self._links(request, args, size, number, total),
            item_links=[self._receiver_links(d) for d in docs],
        )
        return self._respond(200, is_hal, body)

    def _receiver_get(self, request: Request, args: _Args, is_hal: bool, rid: int) -> Response:
        doc, etag = self.warehouse.get_receiver(rid)
        doc = self._receiver_shape(doc, self._detail(args, "detail"))
        return self._respond(
            200, is_hal, self._render_one(is_hal, doc, self._receiver_links(doc)), etag
        )

    def _receiver_items_get(
        self, request: Request, args: _Args, is_hal: bool, rid: int
    ) -> Response:
        doc, etag = self.warehouse.get_receiver(rid)
        lines = doc["receiveItems"]
        body = collection(
            is_hal=is_hal,
            rel="inventory/receiveritem",
            records=lines,
            total=len(lines),
            links={"self": f"/inventory/receivers/{rid}/items"},
        )
        return self._respond(200, is_hal, body, etag)

    def _receiver_confirm_post(
        self, request: Request, args: _Args, is_hal: bool, rid: int
    ) -> Response:
        body = self._body(request) if request.get_data(cache=True).strip() else {}
        arrival = body.get("arrivalDate")
        self.warehouse.confirm_receiver(
            rid,
            arrival_date=arrival if isinstance(arrival, str) else None,
            if_match=request.headers.get("If-Match"),
            check_etag=True,
        )
        return Response(status=204)

    # ------------------------------------------------------------------ customers & items
    def _check_customer(self, cid: int) -> None:
        if cid != self.warehouse.customer_id:
            raise err.not_found(f"Customer {cid}")

    def _customers_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        wh = self.warehouse
        page, total, size, number = self._select(
            [copy_doc(wh.customer)], args, _CUSTOMER_PROPS, 100, 20, ("readonly", "customerid")
        )
        body = collection(
            is_hal=is_hal,
            rel="customers/customer",
            records=page,
            total=total,
            links=self._links(request, args, size, number, total),
        )
        return self._respond(200, is_hal, body)

    def _customer_get(self, request: Request, args: _Args, is_hal: bool, cid: int) -> Response:
        self._check_customer(cid)
        doc = copy_doc(self.warehouse.customer)
        links = {"self": f"/customers/{cid}", "customers/items": f"/customers/{cid}/items"}
        return self._respond(
            200, is_hal, self._render_one(is_hal, doc, links), self.warehouse.customer_etag
        )

    def _item_links(self, doc: Doc) -> dict[str, str]:
        href = f"/customers/{self.warehouse.customer_id}/items/{doc['itemId']}"
        return {"self": href, "edit": href}

    def _items_get(self, request: Request, args: _Args, is_hal: bool, cid: int) -> Response:
        self._check_customer(cid)
        wh = self.warehouse
        with wh.lock:
            size, page = self._paging(args, 100, 10)
            node = self._query(args, _ITEM_PROPS)
            sku = rql.equality_value(node, ("sku",)) if node is not None else None
            sort = args.get("sort")
            # Paging a stable catalog re-filters and re-sorts nothing: the filtered, sorted
            # list is kept per (query, sort, generation); any write bumps the generation.
            key = (args.get("rql"), sort, wh.generation)
            cached = self._items_view
            if cached is not None and cached[0] == key:
                docs = cached[1]
            else:
                records = wh.item_for_sku(sku) if sku is not None else list(wh.items.values())
                docs = [r.doc for r in records]
                if node is not None:
                    docs = [d for d in docs if rql.evaluate(node, d)]
                if sort:
                    docs = rql.sort_records(docs, rql.parse_sort(sort))
                self._items_view = (key, docs)
            total = len(docs)
            start = (page - 1) * size
            chosen = copy_doc(docs[start : start + size])
        body = collection(
            is_hal=is_hal,
            rel="customers/item",
            records=chosen,
            total=total,
            links=self._links(request, args, size, page, total),
            item_links=[self._item_links(d) for d in chosen],
        )
        return self._respond(200, is_hal, body)

    def _items_post(self, request: Request, args: _Args, is_hal: bool, cid: int) -> Response:
        self._check_customer(cid)
        doc, etag = self.warehouse.create_item(self._body(request))
        return self._respond(
            201,
            is_hal,
            self._render_one(is_hal, doc, self._item_links(doc)),
            etag,
            self._item_links(doc)["self"],
        )

    def _item_get(
        self, request: Request, args: _Args, is_hal: bool, cid: int, iid: int
    ) -> Response:
        self._check_customer(cid)
        with self.warehouse.lock:
            record = self.warehouse.item_record(iid)
            doc, etag = copy_doc(record.doc), record.etag
        return self._respond(
            200, is_hal, self._render_one(is_hal, doc, self._item_links(doc)), etag
        )

    def _item_put(
        self, request: Request, args: _Args, is_hal: bool, cid: int, iid: int
    ) -> Response:
        self._check_customer(cid)
        with self.warehouse.lock:
            self.warehouse.item_record(iid)  # 404 first
            if_match = request.headers.get("If-Match")
            self.warehouse.check_if_match(self.warehouse.items[iid].etag, if_match)
            doc, etag = self.warehouse.update_item(iid, self._body(request), if_match)
        return self._respond(
            200, is_hal, self._render_one(is_hal, doc, self._item_links(doc)), etag
        )

    # ------------------------------------------------------------------ properties
    def _facilities_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        page, total, size, number = self._select(
            [copy_doc(self.warehouse.facility)], args, _FACILITY_PROPS, 100, 100, ("facilityid",)
        )
        body = collection(
            is_hal=is_hal,
            rel="properties/facility",
            records=page,
            total=total,
            links=self._links(request, args, size, number, total),
        )
        return self._respond(200, is_hal, body)

    def _carriers_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        wh = self.warehouse
        carriers = copy_doc(wh.carriers)
        body = collection(
            is_hal=is_hal,
            rel="properties/carrier",
            records=carriers,
            total=len(carriers),
            links={"self": "/properties/carriers"},
            extra={
                "defaultBillingCodes": copy_doc(wh.default_billing_codes),
                "defaultShipmentServices": copy_doc(wh.carriers[0]["shipmentServices"])
                if wh.carriers
                else [],
            },
        )
        return self._respond(200, is_hal, body)

    def _uoms_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        uoms = copy_doc(self.warehouse.uom_types)
        body = collection(
            is_hal=is_hal,
            rel="properties/unitofmeasuretype",
            records=uoms,
            total=len(uoms),
            links={"self": "/properties/unitofmeasuretypes"},
        )
        return self._respond(200, is_hal, body)

    # ------------------------------------------------------------------ round two
    def _page_of(
        self,
        request: Request,
        args: _Args,
        is_hal: bool,
        rel: str,
        docs: list[Doc],
        known: set[str],
        cap: int,
        default_size: int,
        default_sort: tuple[str, ...],
        item_links: Callable[[Doc], dict[str, str]] | None = None,
    ) -> Response:
        page, total, size, number = self._select(docs, args, known, cap, default_size, default_sort)
        rows = copy_doc(page)
        body = collection(
            is_hal=is_hal,
            rel=rel,
            records=rows,
            total=total,
            links=self._links(request, args, size, number, total),
            item_links=[item_links(r) for r in rows] if item_links else None,
        )
        return self._respond(200, is_hal, body)

    def _inventory_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        with self.warehouse.lock:
            rows = self.warehouse.inventory_rows()
            return self._page_of(
                request, args, is_hal, "item", rows, _INVENTORY_PROPS, 1000, 100,
                ("receiveitemid",),
            )  # fmt: skip

    def _locations_get(self, request: Request, args: _Args, is_hal: bool, fid: int) -> Response:
        with self.warehouse.lock:
            rows = self.warehouse.location_rows(fid)
            return self._page_of(
                request, args, is_hal, "properties/location", rows, _LOCATION_PROPS, 1000, 100,
                ("locationid",),
            )  # fmt: skip

    def _order_stock_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        raw = args.get("orderid")
        if not raw:
            raise err.query_parameter("Required", "orderid is required", ["orderid"])
        try:
            oid = int(raw)
        except ValueError:
            raise err.query_parameter(
                "NotParsable", "orderid must be an integer", ["orderid"]
            ) from None
        with self.warehouse.lock:
            rows = self.warehouse.summaries_for_order(oid)
        body: dict[str, Any] = (
            {"totalResults": len(rows), "summaries": rows}
            if is_hal
            else {"TotalResults": len(rows), "Summaries": pascal(rows)}
        )
        return self._respond(200, is_hal, body)

    def _order_put(self, request: Request, args: _Args, is_hal: bool, oid: int) -> Response:
        if_match = request.headers.get("If-Match")
        with self.warehouse.lock:
            self.warehouse.get_order(oid)  # 404 before 428
            self.warehouse.check_if_match(self.warehouse.orders[oid].etag, if_match)
            self.warehouse.update_order(oid, self._body(request), if_match)
            detail = self._detail(args, "detail", "OrderItems")
            itemdetail = self._detail(args, "itemdetail")
            allocations = bool(itemdetail & {"allocations", "all", "allocationswithdetail"})
            doc, etag = self.warehouse.get_order(oid, allocations=allocations)
        doc = self._order_shape(doc, detail)
        return self._respond(
            200, is_hal, self._render_one(is_hal, doc, self._order_links(doc)), etag
        )

    def _order_allocate_put(
        self, request: Request, args: _Args, is_hal: bool, oid: int
    ) -> Response:
        self.warehouse.allocate_operator(oid, request.headers.get("If-Match"))
        return Response(status=204)

    def _order_deallocate_put(
        self, request: Request, args: _Args, is_hal: bool, oid: int
    ) -> Response:
        self.warehouse.deallocate_operator(oid, request.headers.get("If-Match"))
        return Response(status=204)

    def _order_summaries_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        contains = (args.get("orderidcontains") or "").strip()
        with self.warehouse.lock:
            rows = self.warehouse.order_summaries()
            if contains:
                rows = [r for r in rows if contains in str(r["orderId"])]
            return self._page_of(
                request, args, is_hal, "item", rows, _ORDER_SUMMARY_PROPS, 1000, 100,
                ("orderid",),
            )  # fmt: skip

    def _orders_cancel_post(self, request: Request, args: _Args, is_hal: bool) -> Response:
        body = self._body(request)
        idents = body.get("orderIdentifiers")
        if not isinstance(idents, list) or not idents:
            raise err.model_validation(
                "Required",
                "OrderIdentifiers is required",
                [("OrderIdentifiers", None)],
                "OrdersCancel",
            )
        ids = [i.get("id") if isinstance(i, dict) else None for i in idents]
        reason = body.get("reason")
        faults = self.warehouse.cancel_orders(ids, reason if isinstance(reason, str) else None)
        if faults:
            return _json(
                400,
                {
                    "$type": "WMS.V2.Generic.Models.Exceptions.ListException, "
                    "WMS.V2.Generic.Models",
                    "Faults": faults,
                },
            )
        return Response(status=204)

    def _receiver_put(self, request: Request, args: _Args, is_hal: bool, rid: int) -> Response:
        if_match = request.headers.get("If-Match")
        with self.warehouse.lock:
            self.warehouse.get_receiver(rid)  # 404 before 428
            self.warehouse.check_if_match(self.warehouse.receivers[rid].etag, if_match)
            doc, etag = self.warehouse.update_receiver(rid, self._body(request), if_match)
        doc = self._receiver_shape(doc, self._detail(args, "detail", "ReceiveItems"))
        return self._respond(
            200, is_hal, self._render_one(is_hal, doc, self._receiver_links(doc)), etag
        )

    def _receiver_cancel_post(
        self, request: Request, args: _Args, is_hal: bool, rid: int
    ) -> Response:
        if_match = request.headers.get("If-Match")
        with self.warehouse.lock:
            self.warehouse.get_receiver(rid)  # 404 before 428
            self.warehouse.check_if_match(self.warehouse.receivers[rid].etag, if_match)
            body = self._body(request) if request.get_data(cache=True).strip() else {}
            self.warehouse.cancel_receiver(rid, body.get("reason"), if_match)
        return Response(status=204)

    def _digests_get(self, request: Request, args: _Args, is_hal: bool) -> Response:
        skulist = {s.strip().lower() for s in (args.get("skulist") or "").split(",") if s.strip()}
        contains = (args.get("skucontains") or "").lower()
        with self.warehouse.lock:
            rows = self.warehouse.receiver_digests()
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
            node = self._query(args, _DIGEST_PROPS)
            total = len([r for r in rows if node is None or rql.evaluate(node, r)])
            self._paging(_Args.without(args, "pgnum"), 1000, 100)
            key = "totalResults" if is_hal else "TotalResults"
            return self._respond(200, is_hal, {key: total})
        return self._page_of(
            request, args, is_hal, "inventory/receiverdigest", rows, _DIGEST_PROPS, 1000, 100,
            ("receiverid",),
        )  # fmt: skip

    def _aliases_get(self, request: Request, args: _Args, is_hal: bool, cid: int) -> Response:
        self._check_customer(cid)
        return self._page_of(
            request, args, is_hal, "customers/itemalias", self.warehouse.alias_docs(),
            _ALIAS_PROPS, 100, 10, ("aliasidentifier", "id"),
        )  # fmt: skip

    def _item_delete(
        self, request: Request, args: _Args, is_hal: bool, cid: int, iid: int
    ) -> Response:
        self._check_customer(cid)
        with self.warehouse.lock:
            self.warehouse.item_record(iid)  # 404 before 428
            self.warehouse.delete_item(iid, request.headers.get("If-Match"))
        return Response(status=204)

    # ------------------------------------------------------------------ webhooks
    def render_notification(self, note: Notification) -> Doc:
        """HAL body for a webhook ``resource.body``."""
        doc: Doc = copy_doc(note.doc)
        if note.kind == "order":
            return hal(doc, self._order_links(doc))
        if note.kind == "receiver":
            return hal(doc, self._receiver_links(doc))
        if note.kind == "item":
            return hal(doc, self._item_links(doc))
        return doc


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization") or ""
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(body), status=status, headers=dict(headers or {}), content_type=JSON_TYPE)


def _fault_json(fault: err.ApiFault) -> Response:
    return _json(fault.status, fault.body, fault.headers)


def _text(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        text.encode("utf-8"),
        status=status,
        headers=dict(headers or {}),
        content_type="text/plain; charset=utf-8",
    )


def _fault_response(decision: FaultDecision) -> Response:
    status = decision.status or 500
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(decision.retry_after_s or 1)
        return _text(429, "Too many requests.", headers)
    # The bodies the real service sends for these statuses (nothing names the sandbox).
    if status == 500:
        return _text(500, "An error has occurred.")
    if status == 401:
        return _json(
            401,
            {"Message": "Missing Authorization header with proper bearer token"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    if status in (400, 403, 404, 412, 428):
        fault = {
            400: err.model_validation("ValueNotSupported", "The request is invalid."),
            403: err.authorization("The credential is not allowed to do this."),
            404: err.not_found("Resource"),
            412: err.precondition_failed(),
            428: err.precondition_required(),
        }[status]
        if fault.body is not None:
            return _json(fault.status, fault.body, fault.headers)
        return _text(fault.status, fault.text or "", fault.headers)
    return _text(status, _REASONS.get(status, "An error has occurred."))


_REASONS = {
    502: "Bad Gateway",
    503: "The service is unavailable.",
    504: "Gateway Timeout",
    408: "Request Timeout",
}
