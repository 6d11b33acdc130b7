"""Mapping review for the Health Check (pure): does the warehouse have what the mappings name?

A carrier mapping row is honoured only if its carrier (by name, display name, carrier code or
SCAC) exists in the warehouse and, when it names a service, that carrier offers the service
(by code or description). A SKU mapping row needs its channel SKU in the warehouse's catalog.
Each problem is reported once per mapping row, with the row's config path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..mapping import CarrierMapping, SkuMapping
from ..models import Carrier
from ._inventory import warehouse_key
from ._results import MappingFinding

__all__ = ["review_carriers", "review_skus"]


def _fold(text: str | None) -> str:
    return (text or "").strip().casefold()


def _find(carriers: Iterable[Carrier], name: str, scac: str) -> Carrier | None:
    for carrier in carriers:
        names = {_fold(carrier.name), _fold(carrier.display_name), _fold(carrier.carrier_code)}
        if (name and _fold(name) in names) or (scac and _fold(scac) == _fold(carrier.scac_code)):
            return carrier
    return None


def review_carriers(
    mapping: CarrierMapping, carriers: Collection[Carrier]
) -> tuple[MappingFinding, ...]:
    findings: list[MappingFinding] = []
    for i, entry in enumerate(mapping.entries):
        path = f"carrier_mappings.entries[{i}]"
        carrier = _find(carriers, entry.extensiv_carrier, entry.scac)
        if carrier is None:
            named = entry.extensiv_carrier or f"SCAC {entry.scac}"
            findings.append(
                MappingFinding(path, f"the warehouse has no carrier {named!r}", "carrier")
            )
            continue
        service = _fold(entry.extensiv_service)
        offered = {_fold(s.code) for s in carrier.shipment_services} | {
            _fold(s.description) for s in carrier.shipment_services
        }
        if service and service not in offered:
            findings.append(
                MappingFinding(
                    path,
                    f"carrier {carrier.name!r} has no service {entry.extensiv_service!r}",
                    "service",
                )
            )
    return tuple(findings)


def review_skus(mapping: SkuMapping, catalog: Collection[str]) -> tuple[MappingFinding, ...]:
    """``catalog``: the warehouse's SKUs as ``warehouse_key``."""
    return tuple(
        MappingFinding(
            f"sku_mappings.entries[{i}]",
            f"the warehouse catalog has no SKU {entry.channel_sku!r}",
            "sku",
        )
        for i, entry in enumerate(mapping.entries)
        if warehouse_key(entry.channel_sku) not in catalog
    )
