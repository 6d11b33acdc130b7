"""Customers, facilities, carriers and unit-of-measure types."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from ...models import Carrier, Customer, Facility, UnitOfMeasureType
from .._concurrency import Versioned
from ._base import ResourceContext, Rql, get_key, rql_param

__all__ = ["Carriers", "Customers", "Facilities", "UnitOfMeasureTypes"]


def _customer(ctx: ResourceContext, doc: Any) -> Customer:
    """HAL customers keep the id under ``readOnly`` and the name under ``companyInfo``."""
    customer = ctx.structure(doc, Customer)
    extra = customer.extra
    changes: dict[str, Any] = {}
    read_only = get_key(extra, "readOnly")
    if customer.customer_id is None and isinstance(read_only, Mapping):
        cid = get_key(read_only, "customerId")
        if isinstance(cid, int):
            changes["customer_id"] = cid
    info = get_key(extra, "companyInfo")
    if customer.company_name is None and isinstance(info, Mapping):
        name = get_key(info, "companyName")
        if isinstance(name, str):
            changes["company_name"] = name
    return attrs.evolve(customer, **changes) if changes else customer


class Customers:
    """The ``/customers`` resource: list and get customers."""

    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "Customers()"

    def list(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[Customer]:
        return self._ctx.paged(
            "customers",
            "/customers",
            "customers/customer",
            Customer,
            {"rql": rql_param(rql), "sort": sort},
            page_size=page_size,
            concurrency=concurrency,
            convert=lambda doc: _customer(self._ctx, doc),
        )

    def get(self, customer_id: int | None = None) -> Versioned[Customer]:
        """``GET /customers/{id}`` (the configured customer by default)."""
        cid = self._ctx.require_customer(customer_id)
        response = self._ctx.transport.request("GET", f"/customers/{cid}")
        return Versioned(_customer(self._ctx, response.json()), response.etag)


class Facilities:
    """The ``/properties/facilities`` resource: list and get facilities."""

    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "Facilities()"

    def list(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        customer_id: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[Facility]:
        return self._ctx.paged(
            "facilities",
            "/properties/facilities",
            "properties/facility",
            Facility,
            {"rql": rql_param(rql), "sort": sort, "customerId": customer_id},
            page_size=page_size,
            concurrency=1,
        )


class Carriers:
    """The ``/properties/carriers`` resource."""

    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "Carriers()"

    def list(self) -> tuple[Carrier, ...]:
        """``GET /properties/carriers``: carriers with shipment services and billing codes."""
        return self._ctx.get_collection("/properties/carriers", "properties/carrier", Carrier)


class UnitOfMeasureTypes:
    """The ``/properties/unitofmeasuretypes`` resource."""

    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "UnitOfMeasureTypes()"

    def list(self) -> tuple[UnitOfMeasureType, ...]:
        """``GET /properties/unitofmeasuretypes``."""
        return self._ctx.get_collection(
            "/properties/unitofmeasuretypes", "properties/unitofmeasuretype", UnitOfMeasureType
        )
