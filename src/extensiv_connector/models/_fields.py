"""Field helpers shared by the model modules: wire-name overrides and tuple coercion."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "EMBEDDED_REL",
    "WIRE_NAME",
    "extra_field",
    "items",
    "optional_decimal",
    "personal",
    "to_decimal",
    "to_optional_decimal",
    "to_tuple",
    "wire",
]

#: attrs metadata key: the exact wire key when camelCase of the field name is not it.
WIRE_NAME = "extensiv.wire_name"
#: attrs metadata key: HAL rel (``orders/item``) under ``_embedded`` that may hold this list.
EMBEDDED_REL = "extensiv.embedded_rel"


def to_tuple(items: Iterable[Any] | None) -> tuple[Any, ...]:
    """Any iterable (or None) as a tuple: lets callers pass lists to frozen models."""
    return () if items is None else tuple(items)


def to_decimal(value: Decimal | int | str | float) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def to_optional_decimal(value: Decimal | int | str | float | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def _redacted(value: object) -> str:
    return "'***'" if value else repr(value)


def personal(default: str | None = "") -> Any:
    """A field holding personal data (or free text that may): masked in ``repr``, so orders
    and contacts can be logged and inspected without leaking names, addresses or phones."""
    return attrs.field(default=default, repr=_redacted)


def optional_decimal() -> Any:
    """An exact quantity that may be absent."""
    return attrs.field(default=None, converter=to_optional_decimal)


def extra_field() -> Any:
    """Unknown wire keys, kept so a read-modify-write never drops what we did not model."""
    return attrs.field(factory=dict, repr=False, kw_only=True)


def wire(name: str, **kwargs: Any) -> Any:
    """A field whose wire key is ``name`` rather than the camelCase of the attribute."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata[WIRE_NAME] = name
    return attrs.field(metadata=metadata, **kwargs)


def items(rel: str, **kwargs: Any) -> Any:
    """A tuple field that HAL may carry under ``_embedded[".../rels/{rel}"]``."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata[EMBEDDED_REL] = rel
    return attrs.field(factory=tuple, converter=to_tuple, metadata=metadata, **kwargs)
