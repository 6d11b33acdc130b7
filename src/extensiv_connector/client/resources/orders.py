"""``/orders``: create, get, list, find by reference, update (PUT), operators (allocate,
deallocate, cancel, bulk cancel), summaries, items, packages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ...errors import PreconditionFailedError, ValidationError, Violation
from ...models import Order, OrderItem, OrderSummary, Package
from .._concurrency import Versioned, update_with_retry
from .._links import expand_link
from ._base import Detail, ResourceContext, Rql, find_by_reference, get_key, join_detail, rql_param

__all__ = ["Orders"]

_REL = "orders/order"


def with_defaults(payload: dict[str, Any], ctx: ResourceContext) -> dict[str, Any]:
    """Fill ``customerIdentifier``/``facilityIdentifier`` from the client when absent."""
    if get_key(payload, "customerIdentifier") is None and ctx.customer_id is not None:
        payload["customerIdentifier"] = {"id": ctx.customer_id}
    if get_key(payload, "facilityIdentifier") is None and ctx.facility_id is not None:
        payload["facilityIdentifier"] = {"id": ctx.facility_id}
    return payload


class Orders:
    """Outbound orders. Reads return :class:`Order` (lists) or ``Versioned[Order]`` (single)."""

    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "Orders()"

    def create(
        self,
        order: Order | Mapping[str, Any],
        *,
        resolve: Callable[[str], None] | None = None,
        before_attempt: Callable[[], None] | None = None,
    ) -> Versioned[Order]:
        """``POST /orders`` → the created order with its ETag.

        Never repeated blindly: a timeout, reset or 5xx raises
        :class:`~extensiv_connector.errors.OutcomeUnknownError` (resolve it with
        :meth:`find_by_reference`); a reference that exists raises
        :class:`~extensiv_connector.errors.DuplicateError`.

        ``resolve`` and ``before_attempt`` go to this request's retry loop only:
        ``resolve(reference)`` looks the reference up when the outcome is unknown (raise to
        stop: found, or the lookup failed; return when not found), ``before_attempt()`` runs
        before every send of this request, its 401 replay included. Not
        finding it lets the loop send again only where the server answered (500, 503, 408);
        after a read timeout, a reset or a 502/504 the create may still be in flight, so
        ``OutcomeUnknownError`` is raised instead.
        """
        payload = with_defaults(self._ctx.unstructure(order), self._ctx)
        reference = str(get_key(payload, "referenceNum") or "")
        response = self._ctx.transport.request(
            "POST",
            "/orders",
            body=payload,
            create_reference=reference,
            resolve=resolve,
            before_attempt=before_attempt,
        )
        return self._ctx.versioned(response, Order)

    def get(
        self, order_id: int, *, detail: Detail = None, itemdetail: Detail = None
    ) -> Versioned[Order]:
        """``GET /orders/{id}`` → ``Versioned[Order]`` (``.value``, ``.etag``)."""
        params = {"detail": join_detail(detail), "itemdetail": join_detail(itemdetail)}
        return self._ctx.get_one(f"/orders/{int(order_id)}", Order, params)

    def list(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        detail: Detail = None,
        itemdetail: Detail = None,
        skulist: str | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[Order]:
        """``GET /orders`` as an iterator of orders (pages of up to 1000 fetched lazily)."""
        params = {
            "rql": rql_param(rql),
            "sort": sort,
            "detail": join_detail(detail),
            "itemdetail": join_detail(itemdetail),
            "skulist": skulist,
        }
        return self._ctx.paged(
            "orders",
            "/orders",
            _REL,
            Order,
            params,
            page_size=page_size,
            concurrency=concurrency,
        )

    def find_by_reference(
        self, reference: str, *, customer_id: int | None = None, detail: Detail = None
    ) -> Order | None:
        """The order whose ``referenceNum`` is exactly ``reference`` (for the configured or given
        customer), or ``None``. Canceled orders are returned too; check ``read_only.status``."""
        return find_by_reference(
            self._ctx, self.list, reference, customer_id=customer_id, detail=detail
        )

    def update(
        self,
        order: Order | Versioned[Order] | Mapping[str, Any],
        etag: str | None,
        *,
        detail: Detail = "OrderItems",
        itemdetail: Detail = None,
    ) -> Versioned[Order]:
        """``PUT /orders/{id}`` with ``If-Match: etag``: the whole order as read (by
        :meth:`get` with ``detail="OrderItems"``; an order without lines raises
        ``ValidationError``) with your edits — header, ship-to, notes, lines (lines keep their
        ``readOnly.orderItemId``; a line without one is added, an omitted line removed).

        The order's templated ``edit`` link is expanded when present (``{?detail,itemdetail}``),
        else ``/orders/{id}`` is used. A stale ``etag`` raises ``PreconditionFailedError``;
        use :meth:`edit` for read-change-write with retries.
        """
        if isinstance(order, Versioned):  # as returned by get(): its model
            order = order.value
        model = order if isinstance(order, Order) else self._ctx.structure(order, Order)
        order_id = model.order_id
        if order_id is None:
            raise ValidationError(
                [Violation("readOnly.orderId", "missing: update an order read by get()")],
                "orders.update",
            )
        if not model.order_items:  # omitted lines are removed: never PUT an order without them
            raise ValidationError(
                [
                    Violation(
                        "orderItems",
                        "missing: read the order with get(id, detail='OrderItems') to update it",
                    )
                ],
                "orders.update",
            )
        template = model.link("edit") or f"/orders/{int(order_id)}{{?detail,itemdetail}}"
        path = expand_link(
            template, {"detail": join_detail(detail), "itemdetail": join_detail(itemdetail)}
        )
        response = self._ctx.transport.request(
            "PUT", path, body=self._ctx.unstructure(model), if_match=etag
        )
        if not response.text.strip():
            return self.get(order_id, detail=detail, itemdetail=itemdetail)
        return self._ctx.versioned(response, Order)

    def edit(
        self,
        order_id: int,
        change: Callable[[Order], Order],
        *,
        attempts: int = 3,
    ) -> Versioned[Order]:
        """Read the order (with its lines), apply ``change``, :meth:`update` it; on 412 re-read
        and re-apply (up to ``attempts`` times)."""
        return update_with_retry(
            lambda: self.get(order_id, detail="OrderItems"),
            lambda order, etag: self.update(order, etag),
            change,
            attempts=attempts,
        )

    def _operator(
        self, order_id: int, method: str, name: str, body: Any, etag: str | None, attempts: int
    ) -> None:
        """An ``If-Match`` operator (``allocator``, ``canceler``...): with ``etag`` sent as
        is (a 412 re-reads and retries), else read first."""

        def write(_order: Order, tag: str | None) -> None:
            self._ctx.transport.request(
                method, f"/orders/{int(order_id)}/{name}", body=body, if_match=tag
            )

        if etag is not None:
            try:
                write(Order(), etag)
                return
            except PreconditionFailedError:
                if attempts <= 1:
                    raise
                attempts -= 1
        update_with_retry(lambda: self.get(order_id), write, lambda o: o, attempts=attempts)

    def allocate(self, order_id: int, *, etag: str | None = None, attempts: int = 3) -> None:
        """``PUT /orders/{id}/allocator``: allocate what available stock allows."""
        self._operator(order_id, "PUT", "allocator", {}, etag, attempts)

    def deallocate(self, order_id: int, *, etag: str | None = None, attempts: int = 3) -> None:
        """``PUT /orders/{id}/deallocator``: release the order's allocation."""
        self._operator(order_id, "PUT", "deallocator", {}, etag, attempts)

    def cancel_many(self, order_ids: Iterable[int], reason: str | None = None) -> None:
        """``POST /orders/canceler`` (bulk; no ``If-Match``). Orders that cannot be canceled
        raise :class:`~extensiv_connector.errors.BadRequestError` carrying the ``ListException``
        faults (``error.faults``); the others are canceled."""
        body: dict[str, Any] = {"orderIdentifiers": [{"id": int(i)} for i in order_ids]}
        if reason is not None:
            body["reason"] = reason
        self._ctx.transport.request("POST", "/orders/canceler", body=body)

    def summaries(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[OrderSummary]:
        """``GET /orders/summaries`` (id, reference, allocation, closed): cheap reconciliation."""
        return self._ctx.paged(
            "orders/summaries",
            "/orders/summaries",
            "item",
            OrderSummary,
            {"rql": rql_param(rql), "sort": sort},
            page_size=page_size,
            concurrency=concurrency,
        )

    def cancel(
        self,
        order_id: int,
        reason: str,
        *,
        etag: str | None = None,
        charge: Any = None,
        attempts: int = 3,
    ) -> None:
        """``POST /orders/{id}/canceler`` with ``If-Match`` (read first unless ``etag`` given)."""
        body: dict[str, Any] = {"reason": reason}
        if charge is not None:
            body["charge"] = charge
        self._operator(order_id, "POST", "canceler", body, etag, attempts)

    def items(self, order: int | Order, *, detail: Detail = None) -> tuple[OrderItem, ...]:
        """``GET /orders/{id}/items`` → the order's lines (an :class:`Order` given: its
        templated ``orders/items`` link, expanded with ``detail``)."""
        if isinstance(order, Order):
            template = order.link("orders/items") or f"/orders/{order.order_id}/items{{?detail}}"
        else:
            template = f"/orders/{int(order)}/items{{?detail}}"
        path = expand_link(template, {"detail": join_detail(detail)})
        return self._ctx.get_collection(path, "orders/item", OrderItem)

    def packages(self, order_id: int) -> tuple[Package, ...]:
        """``GET /orders/{id}/packages`` → packages with their contents."""
        return self._ctx.get_collection(
            f"/orders/{int(order_id)}/packages", "orders/package", Package
        )
