"""Strict structuring, owned by ``wire``: walk an attrs model, convert each field by its type and
name the path of any bad value.

``wire.make_converter()`` reads the API's documents: tolerant (the API is not ours), matched
case-insensitively and compiled per class for speed. Documents that are ours are read here,
strictly: field names exactly as declared, unknown keys refused, every problem an error naming
its dotted path (``channel.backorder.kits.KIT-1``, ``rules[2]``). A ``StrictForm`` says how one
kind of document words things and which error it raises; the configuration's form is declared in
``_settings_loader``.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union

import attrs

__all__ = ["StrictForm", "structure_strict"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class StrictForm:
    """How one kind of document is read strictly.

    ``error(path, message)`` is the exception raised for a bad value (one a model's own
    validation raises passes through unchanged). ``leaves`` converts values of plain
    types (``convert(value, path)``); ``absent(value, types)`` says whether a value of an
    optional field counts as not given. ``describe`` names a value's kind in messages, and
    ``mapping``, ``sequence`` and ``field`` are the document's words for an object, an array
    and one of its keys (``"a table"``, ``"an array"``, ``"setting"`` for TOML).
    """

    error: type[Exception]
    leaves: Mapping[Any, Callable[[Any, str], Any]]
    describe: Callable[[Any], str]
    absent: Callable[[Any, tuple[Any, ...]], bool] = lambda value, _types: value is None
    mapping: str = "an object"
    sequence: str = "an array"
    field: str = "field"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def structure_strict(data: Any, cls: type[T], path: str, form: StrictForm) -> T:
    """Build ``cls`` (an attrs class) from ``data``; every problem is ``form.error`` naming the
    dotted path of the value (``path`` is where ``data`` sits; ``""`` for the whole
    document). An instance of ``cls`` is returned as it is."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise form.error(path, f"expected {form.mapping}, got {form.describe(data)}")
    section: Any = cls
    attrs.resolve_types(section)
    fields = {f.name: f for f in attrs.fields(section)}
    unknown = sorted(str(key)[:100] for key in set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise form.error(_join(path, unknown[0]), f"unknown {form.field} (allowed: {allowed})")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in data:
            values[name] = _value(data[name], field.type, _join(path, name), form)
        elif field.default is attrs.NOTHING:
            raise form.error(_join(path, name), f"required {form.field} is missing")
    try:
        return cls(**values)
    except form.error:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:  # InvalidOperation, OverflowError
        raise form.error(path, f"invalid {cls.__name__}: {exc}") from exc


def _value(value: Any, tp: Any, path: str, form: StrictForm) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = tuple(a for a in typing.get_args(tp) if a is not type(None))
        if form.absent(value, args):
            return None
        return _value(value, args[0], path, form)
    if tp is Any:
        return value
    leaf = form.leaves.get(tp)
    if leaf is not None:
        return leaf(value, path)
    if attrs.has(tp):
        return structure_strict(value, tp, path, form)
    if origin is tuple:
        elem = typing.get_args(tp)[0]
        if not isinstance(value, list | tuple):
            raise form.error(path, f"expected {form.sequence}, got {form.describe(value)}")
        return tuple(_value(v, elem, f"{path}[{i}]", form) for i, v in enumerate(value))
    if origin is dict:
        _key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, Mapping):
            raise form.error(path, f"expected {form.mapping}, got {form.describe(value)}")
        return {str(k): _value(v, val_tp, f"{path}.{k}", form) for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum(value, tp, path, form)
    raise form.error(path, f"unsupported {form.field} type {tp!r}")


def _enum(value: Any, tp: type[enum.Enum], path: str, form: StrictForm) -> enum.Enum:
    """A member by value, or by value or name in any case."""
    for member in tp:
        if member.value == value or (
            isinstance(value, str)
            and value.lower() in (str(member.value).lower(), member.name.lower())
        ):
            return member
    allowed = ", ".join(str(m.value) for m in tp)
    raise form.error(path, f"expected one of {allowed}, got {str(value)[:40]!r}")
