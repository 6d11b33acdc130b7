"""Reference mappings: host order and line references -> Extensiv fields, and back.

Outbound, each host reference (``SalesOrder.references`` / ``OrderLine.references``, keyed by
code) goes to the Extensiv field an entry names, or, without an entry, to a saved element (a
custom field) named after its code (``unmapped_as_saved_elements``). Inbound, only default
fields of entries marked ``inbound`` come back; saved elements (custom fields) never do.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from ..errors import ConfigError

__all__ = [
    "ReferenceLevel",
    "ReferenceMapping",
    "ReferenceMappingEntry",
    "ReferenceTarget",
    "RoutedReferences",
]


class ReferenceLevel(enum.Enum):
    """Whether a host reference belongs to the order or to each line."""

    ORDER = "order"
    LINE = "line"


class ReferenceTarget(enum.Enum):
    """Extensiv fields a host reference can go to (``saved_element`` = custom field)."""

    PO_NUM = "poNum"
    EXTERNAL_ID = "externalId"
    NOTES = "notes"
    SHIPPING_NOTES = "shippingNotes"
    DESCRIPTION = "description"
    QUALIFIER = "qualifier"
    LOT_NUMBER = "lotNumber"
    SERIAL_NUMBER = "serialNumber"
    SAVED_ELEMENT = "savedElement"


_ORDER_TARGETS = frozenset(
    {
        ReferenceTarget.PO_NUM,
        ReferenceTarget.EXTERNAL_ID,
        ReferenceTarget.NOTES,
        ReferenceTarget.SHIPPING_NOTES,
        ReferenceTarget.DESCRIPTION,
        ReferenceTarget.SAVED_ELEMENT,
    }
)
_LINE_TARGETS = frozenset(
    {
        ReferenceTarget.EXTERNAL_ID,
        ReferenceTarget.NOTES,
        ReferenceTarget.QUALIFIER,
        ReferenceTarget.LOT_NUMBER,
        ReferenceTarget.SERIAL_NUMBER,
        ReferenceTarget.SAVED_ELEMENT,
    }
)


@attrs.frozen(kw_only=True)
class ReferenceMappingEntry:
    """Host reference ``code`` at ``level`` -> Extensiv ``target`` (saved element ``name``)."""

    code: str = ""
    target: ReferenceTarget = ReferenceTarget.SAVED_ELEMENT
    level: ReferenceLevel = ReferenceLevel.ORDER
    name: str = ""  # saved-element name; defaults to the code
    inbound: bool = False  # bring this default field back on shipments (never custom fields)


@attrs.frozen(kw_only=True)
class RoutedReferences:
    """Host references sorted into Extensiv fields: ``fields`` by wire name (several values
    for one field are joined with a newline) and ``saved_elements`` as (name, value)."""

    fields: dict[str, str] = attrs.field(factory=dict)
    saved_elements: tuple[tuple[str, str], ...] = ()


@attrs.frozen(kw_only=True)
class ReferenceMapping:
    """Config section ``[reference_mappings]``."""

    entries: tuple[ReferenceMappingEntry, ...] = ()
    unmapped_as_saved_elements: bool = True

    def __attrs_post_init__(self) -> None:
        seen: set[tuple[ReferenceLevel, str]] = set()
        for i, entry in enumerate(self.entries):
            path = f"reference_mappings.entries[{i}]"
            if not entry.code.strip():
                raise ConfigError(f"{path}.code", "must not be empty")
            allowed = _ORDER_TARGETS if entry.level is ReferenceLevel.ORDER else _LINE_TARGETS
            if entry.target not in allowed:
                names = ", ".join(sorted(t.value for t in allowed))
                raise ConfigError(
                    f"{path}.target",
                    f"{entry.target.value} is not a {entry.level.value}-level field"
                    f" (allowed: {names})",
                )
            if entry.inbound and entry.target is ReferenceTarget.SAVED_ELEMENT:
                raise ConfigError(
                    f"{path}.inbound", "custom fields (saved elements) never come back"
                )
            key = (entry.level, entry.code.strip().casefold())
            if key in seen:
                raise ConfigError(f"{path}.code", f"reference {entry.code!r} is mapped twice")
            seen.add(key)

    def _entry(self, level: ReferenceLevel, code: str) -> ReferenceMappingEntry | None:
        key = code.strip().casefold()
        for entry in self.entries:
            if entry.level is level and entry.code.strip().casefold() == key:
                return entry
        return None

    def route(self, references: Mapping[str, str], level: ReferenceLevel) -> RoutedReferences:
        """Sort host references of one order (or one line) into Extensiv fields."""
        fields: dict[str, str] = {}
        saved: list[tuple[str, str]] = []
        for code, value in references.items():
            entry = self._entry(level, code)
            if entry is None:
                if self.unmapped_as_saved_elements:
                    saved.append((code, value))
                continue
            if entry.target is ReferenceTarget.SAVED_ELEMENT:
                saved.append((entry.name or code, value))
                continue
            wire_name = entry.target.value
            fields[wire_name] = f"{fields[wire_name]}\n{value}" if wire_name in fields else value
        return RoutedReferences(fields=fields, saved_elements=tuple(saved))

    def inbound(self, values: Mapping[str, str | None], level: ReferenceLevel) -> dict[str, str]:
        """Host references from the default Extensiv fields (wire name -> value) of a closed
        order or line: only entries marked ``inbound``; custom fields are never read."""
        out: dict[str, str] = {}
        for entry in self.entries:
            if entry.level is not level or not entry.inbound:
                continue
            value = values.get(entry.target.value)
            if value:
                out[entry.code] = value
        return out
