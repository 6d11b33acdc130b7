"""``/customers/{customerId}/items``: list, get, find by SKU, create, update, delete; aliases."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...errors import PreconditionFailedError
from ...models import Item, ItemAlias
from .._concurrency import Versioned, update_with_retry
from ..rql import field
from ._base import ResourceContext, Rql, get_key, rql_param

__all__ = ["Items"]


class Items:
    """Customer items (products) of the configured customer (or ``customer_id=``)."""

    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "Items()"

    def _base(self, customer_id: int | None) -> str:
        return f"/customers/{self._ctx.require_customer(customer_id)}/items"

    def list(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        customer_id: int | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[Item]:
        """``GET /customers/{id}/items`` as an iterator (pages of at most 100)."""
        params = {"rql": rql_param(rql), "sort": sort}
        return self._ctx.paged(
            "items",
            self._base(customer_id),
            "customers/item",
            Item,
            params,
            page_size=page_size,
            concurrency=concurrency,
        )

    def get(self, item_id: int, *, customer_id: int | None = None) -> Versioned[Item]:
        return self._ctx.get_one(f"{self._base(customer_id)}/{int(item_id)}", Item)

    def find_by_sku(self, sku: str, *, customer_id: int | None = None) -> Item | None:
        """The item whose SKU is exactly ``sku``, or ``None``."""
        for item in self.list(field("sku") == sku, customer_id=customer_id, concurrency=1):
            if item.sku == sku:
                return item
        return None

    def create(
        self,
        item: Item | Mapping[str, Any],
        *,
        customer_id: int | None = None,
        resolve: Callable[[str], None] | None = None,
        before_attempt: Callable[[], None] | None = None,
    ) -> Versioned[Item]:
        """``POST /customers/{id}/items``; an ambiguous failure raises ``OutcomeUnknownError``
        (resolve with :meth:`find_by_sku`). The reference ``resolve`` gets is the SKU.

        ``resolve`` and ``before_attempt`` go to this request's retry loop only:
        ``resolve(reference)`` looks the reference up when the outcome is unknown (raise to
        stop: found, or the lookup failed; return when not found), ``before_attempt()`` runs
        before every send of this request, its 401 replay included. Not
        finding it lets the loop send again only where the server answered (500, 503, 408);
        after a read timeout, a reset or a 502/504 the create may still be in flight, so
        ``OutcomeUnknownError`` is raised instead.
        """
        payload = self._ctx.unstructure(item)
        sku = str(get_key(payload, "sku") or "")
        response = self._ctx.transport.request(
            "POST",
            self._base(customer_id),
            body=payload,
            create_reference=sku,
            resolve=resolve,
            before_attempt=before_attempt,
        )
        return self._ctx.versioned(response, Item)

    def put(
        self,
        item_id: int,
        item: Item | Mapping[str, Any],
        etag: str | None,
        *,
        customer_id: int | None = None,
    ) -> Versioned[Item]:
        """``PUT`` the whole item with ``If-Match: etag`` (a full replacement)."""
        response = self._ctx.transport.request(
            "PUT",
            f"{self._base(customer_id)}/{int(item_id)}",
            body=self._ctx.unstructure(item),
            if_match=etag,
        )
        if not response.text.strip():
            return self.get(item_id, customer_id=customer_id)
        return self._ctx.versioned(response, Item)

    def update(
        self,
        item_id: int,
        change: Callable[[Item], Item],
        *,
        customer_id: int | None = None,
        attempts: int = 3,
    ) -> Versioned[Item]:
        """GET, apply ``change``, PUT with ``If-Match``; on 412 re-read and re-apply."""
        return update_with_retry(
            lambda: self.get(item_id, customer_id=customer_id),
            lambda item, etag: self.put(item_id, item, etag, customer_id=customer_id),
            change,
            attempts=attempts,
        )

    def delete(
        self,
        item_id: int,
        *,
        etag: str | None = None,
        customer_id: int | None = None,
        attempts: int = 3,
    ) -> None:
        """``DELETE /customers/{id}/items/{itemId}`` with ``If-Match`` (read first unless
        ``etag`` is given). An item with stock or transactions is refused (403 ``InUse``)."""
        path = f"{self._base(customer_id)}/{int(item_id)}"

        def write(_item: Item, tag: str | None) -> None:
            self._ctx.transport.request("DELETE", path, if_match=tag)

        if etag is not None:
            try:
                write(Item(), etag)
                return
            except PreconditionFailedError:
                if attempts <= 1:
                    raise
                attempts -= 1
        update_with_retry(
            lambda: self.get(item_id, customer_id=customer_id),
            write,
            lambda i: i,
            attempts=attempts,
        )

    def aliases(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        customer_id: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[ItemAlias]:
        """``GET /customers/{id}/itemaliases``: other SKUs the customer uses for its items."""
        return self._ctx.paged(
            "itemaliases",
            f"/customers/{self._ctx.require_customer(customer_id)}/itemaliases",
            "customers/itemalias",
            ItemAlias,
            {"rql": rql_param(rql), "sort": sort},
            page_size=page_size,
            concurrency=1,
        )
