"""Pure merging of a host product's item into the warehouse's copy, for a PUT."""

from __future__ import annotations

from typing import Any

import attrs

from ..models import Item, UnitOption

__all__ = ["merge_item"]

_HOST_FIELDS = ("description", "description2", "upc", "cost", "price")
_UNIT_OPTIONS = ("inventory_unit", "secondary_unit", "package_unit")
_UNIT_FIELDS = ("inventory_units_per_unit", "inventory_also", "upc", "imperial", "metric")


def merge_item(current: Item, desired: Item) -> Item:
    """``current`` with the fields the host manages taken from ``desired``; everything else
    (ids, read-only block, fields we do not model) is kept for the PUT."""
    changes: dict[str, Any] = {
        name: getattr(desired, name) for name in _HOST_FIELDS if getattr(desired, name) is not None
    }
    if desired.options is not None:
        options = current.options or desired.options
        units: dict[str, Any] = {
            name: _merge_unit(getattr(options, name), getattr(desired.options, name))
            for name in _UNIT_OPTIONS
            if getattr(desired.options, name) is not None
        }
        changes["options"] = attrs.evolve(options, **units)
    return attrs.evolve(current, **changes)


def _merge_unit(current: UnitOption | None, desired: UnitOption) -> UnitOption:
    """A unit option with the host's non-empty fields over the warehouse's. A unit named like
    the current one keeps the warehouse's unit id (the host only knows the name), so an
    unchanged product compares equal and is not rewritten."""
    if current is None:
        return desired
    unit = desired.unit_identifier
    have = current.unit_identifier
    if (
        unit is not None
        and have is not None
        and unit.id is None
        and (unit.name or "").casefold() == (have.name or "").casefold()
    ):
        unit = have
    changes: dict[str, Any] = {
        name: getattr(desired, name) for name in _UNIT_FIELDS if getattr(desired, name) is not None
    }
    if unit is not None:
        changes["unit_identifier"] = unit
    return attrs.evolve(current, **changes)
