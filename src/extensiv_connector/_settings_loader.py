"""Strict structuring of configuration data into attrs sections, and back to plain data.

Unlike the wire converter (tolerant, because the API is not ours), configuration is ours:
unknown keys and wrong types are errors that name the setting's dotted path.
"""

from __future__ import annotations

import enum
import math
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, Union

import attrs

from . import _json_guard
from ._secret import Secret
from .errors import ConfigError

__all__ = ["dump_section", "load_section"]

T = TypeVar("T")

_INT_LIMIT = 2**63
_ENV_PREFIX = "env:"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def load_section(data: Any, cls: type[T], path: str, environ: Mapping[str, str]) -> T:
    """Build ``cls`` from ``data``; every problem is a ``ConfigError`` naming its path."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(path, f"expected a table, got {_describe(data)}")
    section: Any = cls
    attrs.resolve_types(section)
    fields = {f.name: f for f in attrs.fields(section)}
    unknown = sorted(str(key)[:100] for key in set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise ConfigError(_join(path, unknown[0]), f"unknown setting (allowed: {allowed})")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in data:
            values[name] = _load_value(data[name], field.type, _join(path, name), environ)
        elif field.default is attrs.NOTHING:
            raise ConfigError(_join(path, name), "required setting is missing")
    try:
        return cls(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:  # InvalidOperation, OverflowError
        raise ConfigError(path, f"invalid {cls.__name__}: {exc}") from exc


def _load_value(value: Any, tp: Any, path: str, environ: Mapping[str, str]) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None or (value == "" and Secret in args):
            return None
        return _load_value(value, args[0], path, environ)
    if tp is Any:
        return value
    if tp is Secret:
        return _load_secret(value, path, environ)
    if attrs.has(tp):
        return load_section(value, tp, path, environ)
    if origin is tuple:
        elem = typing.get_args(tp)[0]
        if not isinstance(value, list | tuple):
            raise ConfigError(path, f"expected an array, got {_describe(value)}")
        return tuple(_load_value(v, elem, f"{path}[{i}]", environ) for i, v in enumerate(value))
    if origin is dict:
        _key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, Mapping):
            raise ConfigError(path, f"expected a table, got {_describe(value)}")
        return {str(k): _load_value(v, val_tp, f"{path}.{k}", environ) for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(path, f"expected true or false, got {_describe(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            if not -_INT_LIMIT < value < _INT_LIMIT:  # TOML integers are 64-bit; so are ours
                raise ConfigError(path, "integer out of range")
            return value
        raise ConfigError(path, f"expected an integer, got {_describe(value)}")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # TOML has nan and inf; no setting means either, and both pass `<= 0` checks
            if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
                raise ConfigError(path, "number out of range")
            if not math.isfinite(value):
                raise ConfigError(path, "expected a finite number")
            return float(value)
        raise ConfigError(path, f"expected a number, got {_describe(value)}")
    if tp is Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ConfigError(path, f"expected a number, got {_describe(value)}")
        if isinstance(value, str) and len(value) > _json_guard.MAX_NUMBER_CHARS:
            raise ConfigError(path, "number text too long")
        if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
            raise ConfigError(path, "number out of range")
        try:
            result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise ConfigError(path, f"expected a number, got {str(value)[:30]!r}") from None
        problem = _json_guard.check_number(result)  # finite, no exponent that costs CPU later
        if problem:
            raise ConfigError(path, problem)
        return result
    if tp is str:
        if isinstance(value, str):
            if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
                raise ConfigError(path, "contains NUL or an invalid code point")
            return value
        raise ConfigError(path, f"expected a string, got {_describe(value)}")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        for member in tp:
            if member.value == value or (
                isinstance(value, str)
                and value.lower() in (str(member.value).lower(), member.name.lower())
            ):
                return member
        allowed = ", ".join(str(m.value) for m in tp)
        raise ConfigError(path, f"expected one of {allowed}, got {str(value)[:40]!r}")
    raise ConfigError(path, f"unsupported setting type {tp!r}")


def _load_secret(value: Any, path: str, environ: Mapping[str, str]) -> Secret:
    env: str | None = None
    if isinstance(value, Mapping):
        if set(value) != {"env"} or not isinstance(value["env"], str):
            raise ConfigError(path, 'expected a string or { env = "VARIABLE" }')
        env = value["env"]
    elif isinstance(value, str) and value.startswith(_ENV_PREFIX):
        env = value[len(_ENV_PREFIX) :]
    elif isinstance(value, str):
        return Secret(value)
    else:
        raise ConfigError(
            path, f'expected a string or {{ env = "VARIABLE" }}, got {_describe(value)}'
        )
    if not _ENV_NAME.match(env):
        raise ConfigError(path, f"not an environment variable name: {env!r}")
    if env not in environ:
        raise ConfigError(path, f"environment variable {env} is not set")
    return Secret(environ[env], env=env)


def dump_section(
    obj: Any, *, skip_defaults: bool = True, inline_secrets: bool = False
) -> dict[str, Any]:
    """The plain data ``load_section`` reads back to an equal object. An inline secret is a
    ``ValueError`` unless ``inline_secrets`` (then its value is written)."""
    out: dict[str, Any] = {}
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        if skip_defaults and field.default is not attrs.NOTHING:
            factory = field.default
            if isinstance(factory, attrs.Factory):  # type: ignore[arg-type]
                default = factory.factory(obj) if factory.takes_self else factory.factory()
            else:
                default = factory
            if value == default:
                continue
        if value is None:
            continue
        out[field.name] = _dump_value(value, skip_defaults, inline_secrets)
    return out


def _dump_value(value: Any, skip_defaults: bool, inline_secrets: bool = False) -> Any:
    if isinstance(value, Secret):
        if value.env is None:
            if inline_secrets:
                return value.reveal()
            raise ValueError("inline secret")
        return {"env": value.env}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if attrs.has(type(value)):
        return dump_section(value, skip_defaults=skip_defaults, inline_secrets=inline_secrets)
    if isinstance(value, tuple | list):
        return [_dump_value(v, skip_defaults, inline_secrets) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _dump_value(v, skip_defaults, inline_secrets) for k, v in value.items()}
    return value
