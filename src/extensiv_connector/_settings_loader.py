"""Configuration data into attrs sections, and back to plain data.

Reading is ``wire``'s strict structuring (``_structure``) in the settings form declared here:
snake_case keys exactly as the sections name them, unknown keys and wrong types refused, each a
``ConfigError`` naming the setting's dotted path; TOML's value types, and secrets given inline
or as ``{ env = "VARIABLE" }``.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs

from . import _json_guard
from ._secret import Secret
from ._structure import StrictForm, structure_strict
from .errors import ConfigError

__all__ = ["dump_section", "load_section"]

T = TypeVar("T")

_INT_LIMIT = 2**63
_ENV_PREFIX = "env:"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Names shown in messages: upper-case words joined by underscores (``EXTENSIV_TPL``).
_CONVENTIONAL_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


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
    return structure_strict(data, cls, path, _settings_form(environ))


def _settings_form(environ: Mapping[str, str]) -> StrictForm:
    """The configuration as a strict document: TOML's words, ``ConfigError``, and secrets read
    from ``environ``."""
    return StrictForm(
        error=ConfigError,
        leaves={
            Secret: lambda value, path: _load_secret(value, path, environ),
            bool: _load_bool,
            int: _load_int,
            float: _load_float,
            Decimal: _load_decimal,
            str: _load_str,
        },
        describe=_describe,
        # An empty string for an optional secret means "not set" (a blank line in a template).
        absent=lambda value, types: value is None or (value == "" and Secret in types),
        mapping="a table",
        sequence="an array",
        field="setting",
    )


def _load_bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(path, f"expected true or false, got {_describe(value)}")


def _load_int(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if not -_INT_LIMIT < value < _INT_LIMIT:  # TOML integers are 64-bit; so are ours
            raise ConfigError(path, "integer out of range")
        return value
    raise ConfigError(path, f"expected an integer, got {_describe(value)}")


def _load_float(value: Any, path: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # TOML has nan and inf; no setting means either, and both pass `<= 0` checks
        if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
            raise ConfigError(path, "number out of range")
        if not math.isfinite(value):
            raise ConfigError(path, "expected a finite number")
        return float(value)
    raise ConfigError(path, f"expected a number, got {_describe(value)}")


def _load_decimal(value: Any, path: str) -> Decimal:
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


def _load_str(value: Any, path: str) -> str:
    if isinstance(value, str):
        if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ConfigError(path, "contains NUL or an invalid code point")
        return value
    raise ConfigError(path, f"expected a string, got {_describe(value)}")


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
        # Not quoted: what was meant to name a variable may be the secret itself, pasted.
        raise ConfigError(
            path,
            f"not an environment variable name ({len(env)} characters; letters, digits and _ "
            "only, not starting with a digit)",
        )
    if env not in environ:
        if _CONVENTIONAL_NAME.match(env):
            raise ConfigError(path, f"environment variable {env} is not set")
        # A name unlike EXTENSIV_CLIENT_SECRET may be the secret itself, pasted: not quoted.
        raise ConfigError(
            path,
            f"the environment variable it names ({len(env)} characters, not an UPPER_CASE "
            "name, so not shown) is not set",
        )
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
