"""``/inventory``: stock summaries and stock details, as record iterators."""

from __future__ import annotations

from collections.abc import Iterator

from ...models import StockDetail, StockSummary
from ._base import ResourceContext, Rql, rql_param

__all__ = ["Inventory"]


class Inventory:
    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "Inventory()"

    def stock_summaries(
        self,
        rql: Rql = None,
        *,
        ordered_not_allocated: bool = False,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[StockSummary]:
        """``GET /inventory/stocksummaries`` (pages of up to 500; paged by ``totalResults``).

        ``allocated`` includes what has already shipped: use ``available``/``on_hand``.
        """
        params = {
            "rql": rql_param(rql),
            "orderednotallocated": "true" if ordered_not_allocated else None,
        }
        return self._ctx.paged(
            "stocksummaries",
            "/inventory/stocksummaries",
            None,
            StockSummary,
            params,
            page_size=page_size,
            concurrency=concurrency,
        )

    def stock_details(
        self,
        rql: Rql = None,
        *,
        customer_id: int | None = None,
        facility_id: int | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[StockDetail]:
        """``GET /inventory/stockdetails`` for one customer and facility (both required by the
        API; the client's configured ids are used when not given)."""
        params = {
            "customerid": self._ctx.require_customer(customer_id),
            "facilityid": self._ctx.require_facility(facility_id),
            "rql": rql_param(rql),
            "sort": sort,
        }
        return self._ctx.paged(
            "stockdetails",
            "/inventory/stockdetails",
            "item",
            StockDetail,
            params,
            page_size=page_size,
            concurrency=concurrency,
        )
