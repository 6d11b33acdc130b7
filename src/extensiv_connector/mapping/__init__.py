"""Mappings between the host and Extensiv: carriers, SKUs, references, reference templates and
units. Pure: no I/O, no clock, no globals. See docs/mappings.md.
"""

from ._carriers import (
    CarrierMapping,
    CarrierMappingEntry,
    CarrierResolution,
    HostCarrierCode,
    ReverseCarrier,
    UnmappedCarrier,
)
from ._references import (
    ReferenceLevel,
    ReferenceMapping,
    ReferenceMappingEntry,
    ReferenceTarget,
    RoutedReferences,
)
from ._skus import SkuImportResult, SkuMapping, SkuMappingEntry, SkuResolution, UnmappedSku
from ._templates import ParsedReference, ReferenceSettings, ReferenceTemplate
from ._units import (
    Measures,
    MeasureSystem,
    UnitSettings,
    convert_length,
    convert_weight,
)

__all__ = [
    "CarrierMapping",
    "CarrierMappingEntry",
    "CarrierResolution",
    "HostCarrierCode",
    "MeasureSystem",
    "Measures",
    "ParsedReference",
    "ReferenceLevel",
    "ReferenceMapping",
    "ReferenceMappingEntry",
    "ReferenceSettings",
    "ReferenceTarget",
    "ReferenceTemplate",
    "ReverseCarrier",
    "RoutedReferences",
    "SkuImportResult",
    "SkuMapping",
    "SkuMappingEntry",
    "SkuResolution",
    "UnitSettings",
    "UnmappedCarrier",
    "UnmappedSku",
    "convert_length",
    "convert_weight",
]
