"""Units of measurement: dimensions and weights into the pairs Extensiv accepts.

Extensiv takes item measures only as cm with kg (``metric``) or in with lb (``imperial``);
every conversion here is exact (``Decimal``; 1 in = 2.54 cm, 1 lb = 0.45359237 kg) and
rounded to ``UnitSettings.decimal_places`` at the end.
"""

from __future__ import annotations

import enum
from decimal import ROUND_HALF_UP, Decimal

import attrs

from ..errors import ConfigError, ValidationError, Violation

__all__ = [
    "LENGTH_UNITS",
    "WEIGHT_UNITS",
    "MeasureSystem",
    "Measures",
    "UnitSettings",
    "convert_length",
    "convert_weight",
]

#: Length units in millimetres.
LENGTH_UNITS: dict[str, Decimal] = {
    "mm": Decimal(1),
    "cm": Decimal(10),
    "m": Decimal(1000),
    "in": Decimal("25.4"),
    "ft": Decimal("304.8"),
}
#: Weight units in grams.
WEIGHT_UNITS: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "oz": Decimal("28.349523125"),
    "lb": Decimal("453.59237"),
}
_ALIASES = {
    "millimeter": "mm", "millimetre": "mm", "centimeter": "cm", "centimetre": "cm",
    "meter": "m", "metre": "m", "inch": "in", "inches": "in", "\"": "in", "foot": "ft",
    "feet": "ft", "gram": "g", "grams": "g", "kilogram": "kg", "kilograms": "kg", "kgs": "kg",
    "ounce": "oz", "ounces": "oz", "pound": "lb", "pounds": "lb", "lbs": "lb",
}  # fmt: skip


class MeasureSystem(enum.Enum):
    """Which Extensiv pair to send: ``auto`` follows the host's dimension unit."""

    AUTO = "auto"
    METRIC = "metric"  # cm + kg
    IMPERIAL = "imperial"  # in + lb


def _unit(name: str, table: dict[str, Decimal], kind: str) -> str:
    key = name.strip().lower().rstrip(".")
    key = _ALIASES.get(key, key)
    if key not in table:
        raise ValidationError(
            [
                Violation(
                    kind,
                    f"unknown {kind} unit {name!r} (known: {', '.join(table)})",
                    rule="units.unknown",
                )
            ],
            "units",
        )
    return key


def convert_length(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Exact length conversion between mm, cm, m, in and ft."""
    source = _unit(from_unit, LENGTH_UNITS, "length")
    target = _unit(to_unit, LENGTH_UNITS, "length")
    return value * LENGTH_UNITS[source] / LENGTH_UNITS[target]


def convert_weight(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Exact weight conversion between g, kg, oz and lb."""
    source = _unit(from_unit, WEIGHT_UNITS, "weight")
    target = _unit(to_unit, WEIGHT_UNITS, "weight")
    return value * WEIGHT_UNITS[source] / WEIGHT_UNITS[target]


@attrs.frozen(kw_only=True)
class Measures:
    """Length/width/height and weight in one Extensiv system (``imperial`` or ``metric``)."""

    system: MeasureSystem
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    weight: Decimal | None = None

    @property
    def length_unit(self) -> str:
        return "in" if self.system is MeasureSystem.IMPERIAL else "cm"

    @property
    def weight_unit(self) -> str:
        return "lb" if self.system is MeasureSystem.IMPERIAL else "kg"


@attrs.frozen(kw_only=True)
class UnitSettings:
    """Config section ``[units]``.

    ``system``: Extensiv pair items are sent in. ``host_length_unit``/``host_weight_unit``:
    units products come back in ("" keeps Extensiv's). ``decimal_places``: rounding of
    converted measures. Order-line units (cases, packs) are converted with the backorder
    policy's ``unit_factors``/``default_unit_factors`` (one source for both), and SKU pack
    factors live in the SKU mapping.
    """

    system: MeasureSystem = MeasureSystem.AUTO
    host_length_unit: str = ""
    host_weight_unit: str = ""
    decimal_places: int = 4

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.decimal_places <= 10:
            raise ConfigError("units.decimal_places", "must be between 0 and 10")
        try:
            if self.host_length_unit:
                _unit(self.host_length_unit, LENGTH_UNITS, "length")
            if self.host_weight_unit:
                _unit(self.host_weight_unit, WEIGHT_UNITS, "weight")
        except ValidationError as exc:
            raise ConfigError("units", exc.violations[0].message) from None

    def round(self, value: Decimal) -> Decimal:
        quantum = Decimal(1).scaleb(-self.decimal_places)
        return value.quantize(quantum, rounding=ROUND_HALF_UP).normalize() + Decimal(0)

    def choose_system(self, length_unit: str) -> MeasureSystem:
        if self.system is not MeasureSystem.AUTO:
            return self.system
        unit = _unit(length_unit, LENGTH_UNITS, "length") if length_unit else "cm"
        return MeasureSystem.IMPERIAL if unit in ("in", "ft") else MeasureSystem.METRIC

    def to_extensiv(
        self,
        *,
        length: Decimal | None,
        width: Decimal | None,
        height: Decimal | None,
        weight: Decimal | None,
        length_unit: str,
        weight_unit: str,
    ) -> Measures:
        """Host measures -> one Extensiv pair (cm+kg or in+lb)."""
        system = self.choose_system(length_unit)
        target = Measures(system=system)

        def dim(value: Decimal | None) -> Decimal | None:
            if value is None:
                return None
            return self.round(convert_length(value, length_unit, target.length_unit))

        mass = None
        if weight is not None:
            mass = self.round(convert_weight(weight, weight_unit, target.weight_unit))
        return Measures(
            system=system, length=dim(length), width=dim(width), height=dim(height), weight=mass
        )

    def to_host(self, measures: Measures) -> tuple[Measures, str, str]:
        """Extensiv measures -> host units: (values, length unit, weight unit)."""
        length_unit = self.host_length_unit or measures.length_unit
        weight_unit = self.host_weight_unit or measures.weight_unit

        def dim(value: Decimal | None) -> Decimal | None:
            if value is None:
                return None
            return self.round(convert_length(value, measures.length_unit, length_unit))

        mass = None
        if measures.weight is not None:
            mass = self.round(convert_weight(measures.weight, measures.weight_unit, weight_unit))
        values = attrs.evolve(
            measures,
            length=dim(measures.length),
            width=dim(measures.width),
            height=dim(measures.height),
            weight=mass,
        )
        return (
            values,
            _unit(length_unit, LENGTH_UNITS, "length"),
            _unit(weight_unit, WEIGHT_UNITS, "weight"),
        )
