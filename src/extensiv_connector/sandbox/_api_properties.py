"""Handlers for ``/properties``: facilities, carriers and units of measure."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ._call import Call
from ._paging import page_links, select
from ._render import collection, respond
from ._warehouse import copy_doc

__all__ = ["list_carriers", "list_facilities", "list_units_of_measure"]

# First property-path segments RQL may name (unknown → 400 NotParsable).
_FACILITY_PROPS = {"facilityid", "name", "code", "deactivated", "timezonename", "id"}


def list_facilities(call: Call) -> Response:
    page, total, size, number = select(
        [copy_doc(call.app.warehouse.facility)],
        call.args,
        _FACILITY_PROPS,
        100,
        100,
        ("facilityid",),
    )
    body = collection(
        is_hal=call.is_hal,
        rel="properties/facility",
        records=page,
        total=total,
        links=page_links(call.request, call.args, size, number, total),
    )
    return respond(200, call.is_hal, body)


def list_carriers(call: Call) -> Response:
    wh = call.app.warehouse
    carriers = copy_doc(wh.carriers)
    body = collection(
        is_hal=call.is_hal,
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
    return respond(200, call.is_hal, body)


def list_units_of_measure(call: Call) -> Response:
    uoms = copy_doc(call.app.warehouse.uom_types)
    body = collection(
        is_hal=call.is_hal,
        rel="properties/unitofmeasuretype",
        records=uoms,
        total=len(uoms),
        links={"self": "/properties/unitofmeasuretypes"},
    )
    return respond(200, call.is_hal, body)
