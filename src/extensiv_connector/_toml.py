"""Read TOML (stdlib ``tomllib``, or ``tomli`` on 3.10) and write the subset configs use.

Writing is small enough to own: tables, arrays of tables, strings, numbers, booleans and
arrays of scalars. That saves a dependency for one quick action (Save).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["dumps", "loads"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def loads(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes for everything json emits.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping) and not _is_inline(value)


def _is_inline(value: Any) -> bool:
    # {env = "X"} references stay inline: they read as one value, not as a section.
    return isinstance(value, Mapping) and set(value) == {"env"}


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_table(v) for v in value)


def dumps(document: Mapping[str, Any]) -> str:
    lines: list[str] = []
    _write_table(document, [], lines)
    return "\n".join(lines).strip() + "\n"


def _write_table(table: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    simple = {k: v for k, v in table.items() if not _is_table(v) and not _is_table_array(v)}
    for key, value in simple.items():
        lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in table.items():
        if _is_table(value):
            sub = [*path, key]
            lines.append("")
            lines.append("[" + ".".join(_key(p) for p in sub) + "]")
            _write_table(value, sub, lines)
        elif _is_table_array(value):
            sub = [*path, key]
            for item in value:
                lines.append("")
                lines.append("[[" + ".".join(_key(p) for p in sub) + "]]")
                _write_table(item, sub, lines)
