"""``/orders``: create, get, list, find by reference, cancel, update, items, packages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...errors import PreconditionFailedError
from ...models import Order, OrderItem, Package
from .._concurrency import Versioned, update_with_retry
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

    def create(self, order: Order | Mapping[str, Any]) -> Versioned[Order]:
        """``POST /orders`` → the created order with its ETag.

        Never repeated blindly: a timeout, reset or 5xx raises
        :class:`~extensiv_connector.errors.OutcomeUnknownError` (resolve it with
        :meth:`find_by_reference`); a reference that exists raises
        :class:`~extensiv_connector.errors.DuplicateError`.
        """
        payload = with_defaults(self._ctx.unstructure(order), self._ctx)
        reference = str(get_key(payload, "referenceNum") or "")
        response = self._ctx.transport.request(
            "POST", "/orders", body=payload, create_reference=reference
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
        order_id: int,
        change: Callable[[Order], Order],
        *,
        attempts: int = 3,
    ) -> Versioned[Order]:
        """Read the order, apply ``change``, ``PUT`` it with ``If-Match``; on 412 re-read and
        re-apply (up to ``attempts`` times)."""

        def write(order: Order, etag: str | None) -> Versioned[Order]:
            response = self._ctx.transport.request(
                "PUT", f"/orders/{int(order_id)}", body=self._ctx.unstructure(order), if_match=etag
            )
            return self._ctx.versioned(response, Order)

        return update_with_retry(lambda: self.get(order_id), write, change, attempts=attempts)

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

        def write(_order: Order, tag: str | None) -> None:
            self._ctx.transport.request(
                "POST", f"/orders/{int(order_id)}/canceler", body=body, if_match=tag
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

    def items(self, order_id: int, *, detail: Detail = None) -> tuple[OrderItem, ...]:
        """``GET /orders/{id}/items`` → the order's lines."""
        return self._ctx.get_collection(
            f"/orders/{int(order_id)}/items",
            "orders/item",
            OrderItem,
            {"detail": join_detail(detail)},
        )

    def packages(self, order_id: int) -> tuple[Package, ...]:
        """``GET /orders/{id}/packages`` → packages with their contents."""
        return self._ctx.get_collection(
            f"/orders/{int(order_id)}/packages", "orders/package", Package
        )
