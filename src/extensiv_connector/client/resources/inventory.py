"""``/inventory``: stock summaries and details, receive items (lots), locations and the stock of
one order, as record iterators."""

from __future__ import annotations

from collections.abc import Iterator

from ... import wire
from ...models import InventoryRecord, Location, StockDetail, StockSummary
from ._base import ResourceContext, Rql, read_all, rql_param

__all__ = ["Inventory"]


class Inventory:
    """The ``/inventory`` resources: stock summaries and stock details."""

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

    def receive_items(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[InventoryRecord]:
        """``GET /inventory``: one row per receive item (lot) with received, on-hand,
        available and on-hold quantities, lot/serial/expiry and location (pages ≤ 1000).

        Peers filter with ``CustomerIdentifier.Id==12;FacilityIdentifier.Id==3;ReceivedDate=ge=…``
        and ``sort="ReceivedDate"``.
        """
        return self._ctx.paged(
            "inventory",
            "/inventory",
            "item",
            InventoryRecord,
            {"rql": rql_param(rql), "sort": sort},
            page_size=page_size,
            concurrency=concurrency,
        )

    def locations(
        self,
        facility_id: int | None = None,
        *,
        rql: Rql = None,
        sort: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Location]:
        """``GET /properties/facilities/{id}/locations`` (the configured facility by default):
        locations with the item traits they hold and their on-hand quantity."""
        fid = self._ctx.require_facility(facility_id)
        return self._ctx.paged(
            "locations",
            f"/properties/facilities/{int(fid)}/locations",
            "properties/location",
            Location,
            {"rql": rql_param(rql), "sort": sort},
            page_size=page_size,
            concurrency=1,
        )

    def stock_summaries_for_order(self, order_id: int) -> tuple[StockSummary, ...]:
        """``GET /inventory/stocksummariesfororder?orderid=``: stock of the order's items."""
        response = self._ctx.transport.request(
            "GET", "/inventory/stocksummariesfororder", params={"orderid": int(order_id)}
        )
        page = wire.parse_collection(response.json() or {})
        return read_all(response, page, self._ctx.reader(StockSummary))
