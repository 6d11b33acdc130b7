"""Strategies for every model, derived from the attrs field types.

Values stay inside what the wire can carry exactly: naive timestamps (the API's timestamps have
no offset), finite Decimals with at most four places, and ``extra`` dicts whose keys cannot
collide with a modelled field.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, Union

import attrs
from hypothesis import strategies as st

from ..models import oms, wms

__all__ = ["ALL_MODELS", "decimals", "json_values", "models", "timestamps", "wire_text"]

T = TypeVar("T")

ALL_MODELS: tuple[type[Any], ...] = tuple(
    getattr(module, name)
    for module in (oms, wms)
    for name in module.__all__
    if attrs.has(getattr(module, name))
)


def wire_text(max_size: int = 20) -> st.SearchStrategy[str]:
    """Printable text without surrogates (JSON must carry it)."""
    return st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], min_codepoint=32, max_codepoint=0x2FFF),
        max_size=max_size,
    )


def decimals(
    min_value: int = -1_000_000, max_value: int = 1_000_000, places: int = 4
) -> st.SearchStrategy[Decimal]:
    """Finite decimals in ``[min_value, max_value]`` with up to ``places`` decimal places."""
    return st.decimals(
        min_value=min_value,
        max_value=max_value,
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def timestamps() -> st.SearchStrategy[datetime]:
    """Naive datetimes between 1990 and 2100."""
    return st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))


def json_values(max_leaves: int = 5) -> st.SearchStrategy[Any]:
    """JSON-compatible values (scalars, lists, objects) with at most ``max_leaves`` leaves."""
    scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | wire_text(10)
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(wire_text(8), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def _extra() -> st.SearchStrategy[dict[str, Any]]:
    # The "x-" prefix never normalises to a modelled field name.
    keys = st.from_regex(r"x-[a-z]{1,8}", fullmatch=True)
    return st.dictionaries(keys, json_values(), max_size=2)


def _for_type(tp: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return st.none() | _for_type(args[0])
    if tp is Any:
        return json_values()
    if attrs.has(tp):
        return models(tp)
    if origin is tuple:
        return st.lists(_for_type(typing.get_args(tp)[0]), max_size=3).map(tuple)
    if origin is dict:
        _key, value = typing.get_args(tp)
        return st.dictionaries(wire_text(8), _for_type(value), max_size=3)
    if tp is str:
        return wire_text()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-(2**31), 2**31)
    if tp is Decimal:
        return decimals()
    if tp is datetime:
        return timestamps()
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    raise TypeError(f"no strategy for {tp!r}")


_tuple_of_str_fields = {"tags"}


def models(cls: type[T]) -> st.SearchStrategy[T]:
    """A strategy for any model class in :mod:`extensiv_connector.models`."""
    model: Any = cls
    attrs.resolve_types(model)
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(model):
        if field.name == "extra":
            kwargs["extra"] = _extra()
        elif field.name in _tuple_of_str_fields:
            # Comma-delimited on the wire when sent as one string; keep elements comma-free.
            kwargs[field.name] = st.lists(
                st.from_regex(r"[A-Za-z0-9 ]{1,10}", fullmatch=True).map(str.strip).filter(bool),
                max_size=3,
            ).map(tuple)
        else:
            kwargs[field.name] = _for_type(field.type)
    return st.builds(cls, **kwargs)
