"""The backorder policy: the ``backorder`` section of a channel's configuration.

Everything here is plain data (frozen attrs) so the configuration loader can build it from TOML
and a notebook user can build it by hand. ``BackorderPolicy._compiled`` turns it once into the
lookup tables the hot path uses.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import attrs

from ..errors import ConfigError

__all__ = [
    "AllocationOrder",
    "BackorderMode",
    "BackorderPolicy",
    "CompiledPolicy",
    "EffectiveRules",
    "LineTables",
    "PartialGranularity",
    "PolicyOverride",
    "apply_override",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_SECTION = "backorder"


class BackorderMode(enum.Enum):
    """Who decides what happens when stock is short.

    ``MANAGE_IN_OMS``: the connector checks stock and holds or splits the order.
    ``MANAGE_IN_CHANNEL``: no stock check; the full order goes to the warehouse, which handles
    any shortage itself.
    """

    MANAGE_IN_OMS = "manage_in_oms"
    MANAGE_IN_CHANNEL = "manage_in_channel"


class PartialGranularity(enum.Enum):
    """How finely a partial shipment may split an order.

    ``UNIT``: any whole number of the ordered unit of a line may go (3 of 5 units).
    ``LINE``: a line goes complete or not at all; only whole lines are dropped.
    """

    UNIT = "unit"
    LINE = "line"


class AllocationOrder(enum.Enum):
    """Which order of a batch gets scarce stock first.

    ``OLDEST_FIRST``: by ``ordered_at``, then ``order_number``, then ``shipment_seq``.
    ``PRIORITY_THEN_OLDEST``: higher ``SalesOrder.priority`` first (a larger number is more
    urgent), then as ``OLDEST_FIRST`` within one priority.
    """

    OLDEST_FIRST = "oldest_first"
    PRIORITY_THEN_OLDEST = "priority_then_oldest"


def _decimal(value: Decimal | int | float | str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _optional_decimal(value: Decimal | int | float | str | None) -> Decimal | None:
    return None if value is None else _decimal(value)


def _decimal_map(value: Mapping[str, Decimal | int | float | str]) -> dict[str, Decimal]:
    return {str(k): _decimal(v) for k, v in value.items()}


def _nested_decimal_map(
    value: Mapping[str, Mapping[str, Decimal | int | float | str]],
) -> dict[str, dict[str, Decimal]]:
    return {str(k): _decimal_map(v) for k, v in value.items()}


def _mode(value: BackorderMode | str) -> BackorderMode:
    return value if isinstance(value, BackorderMode) else BackorderMode(value)


def _optional_mode(value: BackorderMode | str | None) -> BackorderMode | None:
    return None if value is None else _mode(value)


def _granularity(value: PartialGranularity | str) -> PartialGranularity:
    return value if isinstance(value, PartialGranularity) else PartialGranularity(value)


def _optional_granularity(value: PartialGranularity | str | None) -> PartialGranularity | None:
    return None if value is None else _granularity(value)


def _order(value: AllocationOrder | str) -> AllocationOrder:
    return value if isinstance(value, AllocationOrder) else AllocationOrder(value)


def _check_minimums(path: str, quantity: Decimal | None, fraction: Decimal | None) -> None:
    if quantity is not None and (not quantity.is_finite() or quantity < 0):
        raise ConfigError(f"{path}.minimum_partial_quantity", "must be a number >= 0")
    if fraction is not None and (not fraction.is_finite() or not _ZERO <= fraction <= _ONE):
        raise ConfigError(f"{path}.minimum_partial_fraction", "must be between 0 and 1")


@attrs.frozen(kw_only=True)
class PolicyOverride:
    """Settings that replace the policy's for one customer or one order; ``None`` keeps the
    policy's value. Order overrides win over customer overrides, which win over the policy."""

    mode: BackorderMode | None = attrs.field(default=None, converter=_optional_mode)
    allow_partial: bool | None = None
    partial_granularity: PartialGranularity | None = attrs.field(
        default=None, converter=_optional_granularity
    )
    minimum_partial_quantity: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal
    )
    minimum_partial_fraction: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal
    )


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _overrides(
    value: Mapping[str, PolicyOverride | Mapping[str, Any]],
) -> dict[str, PolicyOverride]:
    """Overrides keyed by customer or order number; plain dicts become ``PolicyOverride``."""
    return {
        str(key): item if isinstance(item, PolicyOverride) else PolicyOverride(**item)
        for key, item in value.items()
    }


@attrs.frozen(kw_only=True)
class BackorderPolicy:
    """How orders are checked against stock before they go to the warehouse.

    The default, ``BackorderPolicy()``, manages backorders in the OMS without partial shipments:
    an order goes in full when stock covers every line and is held otherwise.

    Quantities are in the warehouse's primary inventory unit unless said otherwise:

    - ``minimum_partial_quantity`` / ``minimum_partial_fraction``: a partial shipment is only
      sent when it carries at least this many units (summed over lines, in each line's ordered
      unit) and at least this fraction of the ordered units; otherwise the order is held.
      ``0`` means no minimum.
    - ``safety_buffer`` (SKU -> units) and ``default_safety_buffer``: stock kept back and never
      promised to orders in OMS mode.
    - ``unit_factors`` (SKU -> unit name -> primary units per unit): how lines ordered in cases
      or packs convert; ``default_unit_factors`` (unit name -> factor) applies to every SKU.
      A line whose ``unit`` is ``""`` is in the primary unit.
    - ``integral_units`` (default true): primary units are whole (Extensiv's integral units);
      a quantity that converts to a fraction is an error. ``fractional_skus`` lists exceptions
      (items sold by weight or length).
    - ``kits`` (kit SKU -> component SKU -> component units per kit): a kit line consumes its
      components' stock; kits may nest, cycles are rejected.
    - ``customer_overrides`` (``SalesOrder.customer`` -> override) and ``order_overrides``
      (``SalesOrder.order_number`` -> override).
    """

    mode: BackorderMode = attrs.field(default=BackorderMode.MANAGE_IN_OMS, converter=_mode)
    allow_partial: bool = False
    partial_granularity: PartialGranularity = attrs.field(
        default=PartialGranularity.UNIT, converter=_granularity
    )
    minimum_partial_quantity: Decimal = attrs.field(default=_ZERO, converter=_decimal)
    minimum_partial_fraction: Decimal = attrs.field(default=_ZERO, converter=_decimal)
    safety_buffer: dict[str, Decimal] = attrs.field(factory=dict, converter=_decimal_map)
    default_safety_buffer: Decimal = attrs.field(default=_ZERO, converter=_decimal)
    allocation_order: AllocationOrder = attrs.field(
        default=AllocationOrder.OLDEST_FIRST, converter=_order
    )
    unit_factors: dict[str, dict[str, Decimal]] = attrs.field(
        factory=dict, converter=_nested_decimal_map
    )
    default_unit_factors: dict[str, Decimal] = attrs.field(factory=dict, converter=_decimal_map)
    integral_units: bool = True
    fractional_skus: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    kits: dict[str, dict[str, Decimal]] = attrs.field(factory=dict, converter=_nested_decimal_map)
    customer_overrides: dict[str, PolicyOverride] = attrs.field(factory=dict, converter=_overrides)
    order_overrides: dict[str, PolicyOverride] = attrs.field(factory=dict, converter=_overrides)

    def __attrs_post_init__(self) -> None:
        _check_minimums(_SECTION, self.minimum_partial_quantity, self.minimum_partial_fraction)
        if not self.default_safety_buffer.is_finite() or self.default_safety_buffer < 0:
            raise ConfigError(f"{_SECTION}.default_safety_buffer", "must be a number >= 0")
        for sku, buffer in self.safety_buffer.items():
            if not buffer.is_finite() or buffer < 0:
                raise ConfigError(f"{_SECTION}.safety_buffer.{sku}", "must be a number >= 0")
        for unit, factor in self.default_unit_factors.items():
            if not factor.is_finite() or factor <= 0:
                raise ConfigError(f"{_SECTION}.default_unit_factors.{unit}", "must be > 0")
        for sku, units in self.unit_factors.items():
            for unit, factor in units.items():
                if not factor.is_finite() or factor <= 0:
                    raise ConfigError(f"{_SECTION}.unit_factors.{sku}.{unit}", "must be > 0")
        for kit, components in self.kits.items():
            if not components:
                raise ConfigError(f"{_SECTION}.kits.{kit}", "a kit needs at least one component")
            for component, per_kit in components.items():
                if not per_kit.is_finite() or per_kit <= 0:
                    raise ConfigError(f"{_SECTION}.kits.{kit}.{component}", "must be > 0")
        for kit in self.kits:
            _flatten_kit(kit, self.kits, ())
        for where, overrides in (
            ("customer_overrides", self.customer_overrides),
            ("order_overrides", self.order_overrides),
        ):
            for key, override in overrides.items():
                if not isinstance(override, PolicyOverride):
                    raise ConfigError(f"{_SECTION}.{where}.{key}", "expected a PolicyOverride")
                _check_minimums(
                    f"{_SECTION}.{where}.{key}",
                    override.minimum_partial_quantity,
                    override.minimum_partial_fraction,
                )

    @functools.cached_property
    def _compiled(self) -> CompiledPolicy:
        return CompiledPolicy(self)


def _flatten_kit(
    kit: str, kits: Mapping[str, Mapping[str, Decimal]], seen: tuple[str, ...]
) -> dict[str, Decimal]:
    """Components of ``kit`` down to stocked SKUs (nested kits multiplied out)."""
    if kit in seen:
        raise ConfigError(f"{_SECTION}.kits.{kit}", "kit contains itself")
    flat: dict[str, Decimal] = {}
    for component, per_kit in kits[kit].items():
        if component in kits:
            for inner, per_inner in _flatten_kit(component, kits, (*seen, kit)).items():
                flat[inner] = flat.get(inner, _ZERO) + per_kit * per_inner
        else:
            flat[component] = flat.get(component, _ZERO) + per_kit
    return flat


@attrs.frozen(kw_only=True)
class EffectiveRules:
    """The settings that applied to one order, after customer and order overrides."""

    oms: bool
    allow_partial: bool
    by_line: bool
    minimum_quantity: Decimal
    minimum_fraction: Decimal
    mode: BackorderMode
    overridden: bool = False


def apply_override(base: EffectiveRules, override: PolicyOverride) -> EffectiveRules:
    """``base`` with every setting ``override`` names replaced (``overridden`` is then true)."""
    mode = base.mode if override.mode is None else override.mode
    granularity_by_line = (
        base.by_line
        if override.partial_granularity is None
        else override.partial_granularity is PartialGranularity.LINE
    )
    return EffectiveRules(
        oms=mode is BackorderMode.MANAGE_IN_OMS,
        allow_partial=base.allow_partial
        if override.allow_partial is None
        else override.allow_partial,
        by_line=granularity_by_line,
        minimum_quantity=base.minimum_quantity
        if override.minimum_partial_quantity is None
        else override.minimum_partial_quantity,
        minimum_fraction=base.minimum_fraction
        if override.minimum_partial_fraction is None
        else override.minimum_partial_fraction,
        mode=mode,
        overridden=True,
    )


class LineTables(NamedTuple):
    """What the per-line pass of ``evaluate`` reads, unpacked in one go (a named tuple: as cheap
    to unpack as a bare one)."""

    factors: Mapping[str, Mapping[str, Decimal]]
    """SKU -> unit name -> primary units per unit."""
    default_factors: Mapping[str, Decimal]
    """Unit name -> primary units per unit, for every SKU."""
    kits: Mapping[str, tuple[tuple[str, Decimal], ...]]
    """Kit SKU -> (stocked component SKU, units per kit), nested kits multiplied out."""
    integral: bool
    """Whether primary units are whole (``integral_units``)."""
    fractional: frozenset[str]
    """SKUs exempt from ``integral``."""


class CompiledPolicy:
    """Lookup tables derived once from a policy (the policy is immutable)."""

    __slots__ = (
        "base",
        "buffers",
        "customer_rules",
        "default_buffer",
        "default_factors",
        "factors",
        "fractional",
        "integral",
        "kits",
        "lines",
        "order_overrides",
    )

    def __init__(self, policy: BackorderPolicy) -> None:
        self.base = EffectiveRules(
            oms=policy.mode is BackorderMode.MANAGE_IN_OMS,
            allow_partial=policy.allow_partial,
            by_line=policy.partial_granularity is PartialGranularity.LINE,
            minimum_quantity=policy.minimum_partial_quantity,
            minimum_fraction=policy.minimum_partial_fraction,
            mode=policy.mode,
        )
        self.customer_rules = {
            c: apply_override(self.base, o) for c, o in policy.customer_overrides.items()
        }
        self.order_overrides = dict(policy.order_overrides)
        self.buffers = dict(policy.safety_buffer)
        self.default_buffer = policy.default_safety_buffer
        self.factors = policy.unit_factors
        self.default_factors = policy.default_unit_factors
        self.integral = policy.integral_units
        self.fractional = frozenset(policy.fractional_skus)
        self.kits: dict[str, tuple[tuple[str, Decimal], ...]] = {
            kit: tuple(_flatten_kit(kit, policy.kits, ()).items()) for kit in policy.kits
        }
        self.lines = LineTables(
            factors=self.factors,
            default_factors=self.default_factors,
            kits=self.kits,
            integral=self.integral,
            fractional=self.fractional,
        )

    def rules_for(self, order_number: str, customer: str) -> EffectiveRules:
        rules = self.customer_rules.get(customer, self.base) if customer else self.base
        override = self.order_overrides.get(order_number)
        return rules if override is None else apply_override(rules, override)

    def usable(self, sku: str, stock: Mapping[str, Decimal]) -> Decimal:
        """Stock of ``sku`` that may be promised: available minus buffer, never below zero."""
        have = stock.get(sku, _ZERO) - self.buffers.get(sku, self.default_buffer)
        return have if have > 0 else _ZERO
