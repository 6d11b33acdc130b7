"""Shared by every translation: what it needs from the config, results, small helpers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

import attrs
import cattrs

from ..errors import ValidationError, Violation
from ..mapping import (
    CarrierMapping,
    ReferenceMapping,
    ReferenceSettings,
    SkuMapping,
    UnitSettings,
)
from ..models import (
    Address,
    ContactInfo,
    InventoryLevel,
    Order,
    Receiver,
    SavedElement,
    Shipment,
)
from ..pii import PiiPolicy
from ..rules import ValidationRules
from ..wire import make_converter

__all__ = [
    "ENTRY_TYPE_API",
    "STATUS_CANCELED",
    "STATUS_CLOSED",
    "STATUS_OPEN",
    "BackorderDecisionLike",
    "InventoryTranslation",
    "OrderTranslation",
    "ReceiverTranslation",
    "ShipmentTranslation",
    "TranslationConfig",
    "channel_name",
    "check_payload",
    "contact_info",
    "has_errors",
    "join_lines",
    "normalise_text",
    "render_reference",
    "saved_elements",
    "unit_factor",
]

#: Extensiv transaction status values (orders and receivers).
STATUS_OPEN, STATUS_CLOSED, STATUS_CANCELED = 0, 1, 2
#: ``transactionEntryType`` automated processes should send ("Api").
ENTRY_TYPE_API = 4


class _Credentials(Protocol):
    @property
    def customer_id(self) -> int: ...
    @property
    def facility_id(self) -> int: ...


class _General(Protocol):
    @property
    def connection_name(self) -> str: ...
    @property
    def channel_id(self) -> str: ...


class _LineUnits(Protocol):
    """Order-line unit factors (the backorder policy holds them)."""

    @property
    def unit_factors(self) -> Mapping[str, Mapping[str, Decimal]]: ...
    @property
    def default_unit_factors(self) -> Mapping[str, Decimal]: ...


class TranslationConfig(Protocol):
    """The parts of ``ChannelConfig`` translation reads."""

    @property
    def credentials(self) -> _Credentials: ...
    @property
    def general(self) -> _General: ...
    @property
    def carrier_mappings(self) -> CarrierMapping: ...
    @property
    def sku_mappings(self) -> SkuMapping: ...
    @property
    def reference_mappings(self) -> ReferenceMapping: ...
    @property
    def references(self) -> ReferenceSettings: ...
    @property
    def units(self) -> UnitSettings: ...
    @property
    def pii(self) -> PiiPolicy: ...
    @property
    def backorder(self) -> _LineUnits: ...
    @property
    def validation(self) -> ValidationRules: ...


class BackorderDecisionLike(Protocol):
    """A backorder decision: quantity to send per order line (aligned with ``order.lines``)."""

    @property
    def line_quantities(self) -> tuple[Decimal, ...]: ...


@attrs.frozen(kw_only=True)
class OrderTranslation:
    """A sales order as an Extensiv order. ``line_indexes[i]`` is the host line index of
    ``order.order_items[i]`` (lines with nothing to send are left out)."""

    order: Order = attrs.field(repr=False)  # ship-to holds personal data: kept out of repr
    payload: dict[str, Any] = attrs.field(repr=False)
    reference: str
    line_indexes: tuple[int, ...] = ()
    violations: tuple[Violation, ...] = ()  # warnings only; errors raise


@attrs.frozen(kw_only=True)
class ShipmentTranslation:
    """A warehouse order translated back into a host :class:`~extensiv_connector.models.Shipment`,
    with every violation found."""

    shipment: Shipment
    violations: tuple[Violation, ...] = ()

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")


@attrs.frozen(kw_only=True)
class ReceiverTranslation:
    """A host receipt translated into a warehouse receiver: the model, the JSON payload, the
    reference, and any violations."""

    receiver: Receiver
    payload: dict[str, Any]
    reference: str
    violations: tuple[Violation, ...] = ()


@attrs.frozen(kw_only=True)
class InventoryTranslation:
    """Levels per host SKU (and facility); channel SKUs that could not be mapped are skipped
    and reported in ``violations``."""

    levels: tuple[InventoryLevel, ...]
    violations: tuple[Violation, ...] = ()


def has_errors(violations: Iterable[Violation]) -> bool:
    """True when any violation is an error (warnings alone do not block)."""
    return any(v.severity == "error" for v in violations)


def join_lines(*parts: str | None) -> str | None:
    """The non-empty parts joined by newlines, or ``None`` when all are empty."""
    text = "\n".join(p for p in parts if p)
    return text or None


def contact_info(address: Address) -> ContactInfo:
    """A host address as an Extensiv contact (empty strings become ``None``)."""

    def val(text: str) -> str | None:
        return text or None

    return ContactInfo(
        company_name=val(address.company),
        name=val(address.name),
        address1=val(address.address1),
        address2=val(address.address2),
        city=val(address.city),
        state=val(address.state),
        zip=val(address.postal_code),
        country=val(address.country),
        phone_number=val(address.phone),
        email_address=val(address.email),
    )


def saved_elements(pairs: Sequence[tuple[str, str]]) -> tuple[SavedElement, ...] | None:
    """``(name, value)`` pairs as custom fields, or ``None`` when there are none."""
    return tuple(SavedElement(name=n, value=v) for n, v in pairs) or None


def unit_factor(config: TranslationConfig, sku: str, unit: str) -> Decimal | None:
    """Primary units per one ``unit`` of host ``sku`` (``""`` = the primary unit), from the
    backorder policy's ``unit_factors`` (per SKU) then ``default_unit_factors``; ``None`` if
    the unit has no factor. Mirrors the backorder module so both convert alike."""
    if not unit:
        return Decimal(1)
    policy = config.backorder
    factor = policy.unit_factors.get(sku, {}).get(unit)
    return factor if factor is not None else policy.default_unit_factors.get(unit)


def channel_name(config: TranslationConfig) -> str:
    """The channel as reference templates see it: the stable id, not the editable label, so a
    rename never changes a reference."""
    return config.general.channel_id


def render_reference(
    template_settings: Any, number: str, seq: int, channel: str, out: list[Violation]
) -> str:
    """Render a reference template; on failure add its violations to ``out`` and return ``""``."""
    try:
        return str(template_settings.render(number, seq, channel))
    except ValidationError as exc:
        out.extend(exc.violations)
        return ""


def check_payload(
    config: TranslationConfig,
    resource: str,
    model: Any,
    cls: type[Any],
    out: list[Violation],
    converter: cattrs.Converter | None,
) -> tuple[Any, dict[str, Any]]:
    """Apply the validation rules to ``model``'s JSON; add violations to ``out``; return the
    (possibly normalised) model and its payload."""
    converter = converter or make_converter()
    payload = converter.unstructure(model)  # ours alone: the rules may change it in place
    found: list[Violation] = []
    changed = config.validation.apply_in_place(resource, payload, found)
    # A field the mapping stage already reported (e.g. a reference that failed to render and
    # so is missing) is not reported twice.
    if found:
        seen = {v.path for v in out}
        out.extend(v for v in found if v.path not in seen)
    if not changed:
        return model, payload
    return converter.structure(payload, cls), payload


def normalise_text(text: str | None) -> str:
    """Whitespace-collapsed, case-folded text, for comparing what was sent with what came back."""
    return " ".join((text or "").split()).casefold()
