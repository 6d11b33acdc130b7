"""RQL (FIQL) evaluator for the sandbox, as documented at Rels/rql (public API docs).

``;`` is AND, ``,`` is OR (AND binds tighter), parentheses group; operators ``==``, ``!=``,
``=gt=``, ``=ge=``, ``=lt=``, ``=le=``, ``=in=(a,b)``, ``=out=(a,b)``, ``=hv=true|false``;
wildcards ``x*``, ``*x``, ``*x*`` with ``==``/``!=``. Property names, operators and values are
case-insensitive. The real server URL-decodes twice, so after the framework's first decoding each
value token is decoded once more here; a ``*`` that arrives encoded is a literal, not a wildcard.
Dates parse leniently (``2013-07-30``, ``2013-07-30T16:43:00``, ``...Z``, fractions).

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

import attrs

from ..errors import SandboxError

__all__ = [
    "And",
    "Comparison",
    "Or",
    "RqlError",
    "equality_value",
    "evaluate",
    "lookup",
    "parse",
    "parse_sort",
    "sort_records",
]

_OPERATORS = {"==", "!=", "=gt=", "=ge=", "=lt=", "=le=", "=in=", "=out=", "=hv="}
_OP_RE = re.compile(r"(==|!=|=[a-zA-Z]+=)")
_DATE_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


class RqlError(SandboxError):
    """The query does not parse; ``hint`` is what the server puts in the error body.

    A :class:`~extensiv_connector.errors.SandboxError`, hence still a ``ValueError``.
    """

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


@attrs.frozen
class Comparison:
    path: tuple[str, ...]  # lower-cased segments
    op: str
    values: tuple[str, ...]  # raw (still encoded once) value tokens


@attrs.frozen
class And:
    terms: tuple[Node, ...]


@attrs.frozen
class Or:
    terms: tuple[Node, ...]


Node = Comparison | And | Or


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> Node:
        node = self._or()
        if self.pos != len(self.text):
            raise RqlError(f"Unexpected character at position {self.pos}: {self.text[self.pos]!r}")
        return node

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _or(self) -> Node:
        terms = [self._and()]
        while self._peek() == ",":
            self.pos += 1
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def _and(self) -> Node:
        terms = [self._primary()]
        while self._peek() == ";":
            self.pos += 1
            terms.append(self._primary())
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def _primary(self) -> Node:
        if self._peek() == "(":
            self.pos += 1
            node = self._or()
            if self._peek() != ")":
                raise RqlError(f"Missing ')' at position {self.pos}")
            self.pos += 1
            return node
        return self._comparison()

    def _comparison(self) -> Node:
        match = _OP_RE.search(self.text, self.pos)
        if not match:
            raise RqlError(f"No operator found at position {self.pos}")
        selector = self.text[self.pos : match.start()].strip()
        if not selector or any(c in selector for c in "(),;"):
            raise RqlError(f"Bad property name at position {self.pos}")
        op = match.group(1).lower()
        if op not in _OPERATORS:
            raise RqlError(f"Operator not supported: {op}")
        self.pos = match.end()
        if op in ("=in=", "=out="):
            if self._peek() != "(":
                raise RqlError(f"{op} needs a parenthesised list at position {self.pos}")
            end = self.text.find(")", self.pos)
            if end < 0:
                raise RqlError(f"Missing ')' at position {self.pos}")
            values = tuple(v.strip() for v in self.text[self.pos + 1 : end].split(","))
            self.pos = end + 1
        else:
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in ",;)":
                self.pos += 1
            values = (self.text[start : self.pos].strip(),)
        path = tuple(part.strip().lower() for part in selector.split("."))
        return Comparison(path=path, op=op, values=values)


def parse(text: str) -> Node:
    """Parse an RQL string (already URL-decoded once, as by the HTTP framework)."""
    if not text.strip():
        raise RqlError("Empty rql")
    if _nesting(text) > MAX_NESTING:  # the parser and the matcher recurse per level
        raise RqlError(f"Expression nested deeper than {MAX_NESTING} levels")
    return _Parser(text.strip()).parse()


#: Deepest parenthesis nesting an RQL filter may have (deeper is a 400, not a 500).
MAX_NESTING = 64


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(depth - 1, 0)
    return deepest


def lookup(record: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    """Follow a lower-cased dotted path case-insensitively; returns (found, value)."""
    current: Any = record
    for segment in path:
        if not isinstance(current, Mapping):
            return False, None
        if segment in current:
            current = current[segment]
            continue
        for key, value in current.items():
            if key.lower() == segment:
                current = value
                break
        else:
            return False, None
    return True, current


def parse_date(text: str) -> datetime | None:
    """Lenient date parsing, like .NET ``DateTime.Parse``; offsets are converted to UTC, naive."""
    match = _DATE_RE.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
    except ValueError:
        return None
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        value = (value - timedelta(minutes=offset)).replace(tzinfo=None)
    return value


def _coerce(field: Any, raw: str) -> Any:
    """Turn the query text into something comparable with the record's value."""
    text = unquote(raw)
    if isinstance(field, bool):
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise RqlError(f"Value not parsable as boolean: {text}")
    if isinstance(field, (int, float, Decimal)):
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise RqlError(f"Value not parsable as number: {text}") from exc
    if isinstance(field, datetime):
        parsed = parse_date(text)
        if parsed is None:
            raise RqlError(f"Value not parsable as date: {text}")
        return parsed
    if isinstance(field, str):
        field_date = parse_date(field) if field[:1].isdigit() else None
        if field_date is not None:
            query_date = parse_date(text)
            if query_date is not None:
                return query_date
        return text.lower()
    return text.lower()


def _normalise(field: Any, coerced: Any) -> Any:
    if isinstance(field, bool):
        return field
    if isinstance(field, (int, float)):
        return Decimal(str(field))
    if isinstance(field, datetime):
        return field.astimezone(timezone.utc).replace(tzinfo=None) if field.tzinfo else field
    if isinstance(field, str):
        if isinstance(coerced, datetime):
            return parse_date(field)
        return field.lower()
    return field


def _wildcard(raw: str) -> re.Pattern[str] | None:
    if "*" not in raw:
        return None
    parts = [re.escape(unquote(piece).lower()) for piece in raw.split("*")]
    return re.compile("^" + ".*".join(parts) + "$", re.DOTALL)


def _compare(record: Mapping[str, Any], node: Comparison) -> bool:
    found, field = lookup(record, node.path)
    if node.op == "=hv=":
        wanted = unquote(node.values[0]).lower() == "true"
        has = found and field is not None and field != ""
        return has == wanted
    if not found or field is None:
        # A missing value equals nothing; != and =out= hold for it.
        return node.op in ("!=", "=out=")
    if isinstance(field, (Mapping, list)):
        raise RqlError("Properties not supported: " + ".".join(node.path))
    if node.op in ("==", "!="):
        pattern = _wildcard(node.values[0]) if isinstance(field, str) else None
        if pattern is not None:
            hit = pattern.match(field.lower()) is not None
        else:
            coerced = _coerce(field, node.values[0])
            hit = _normalise(field, coerced) == coerced
        return hit if node.op == "==" else not hit
    if node.op in ("=in=", "=out="):
        hit = False
        for raw in node.values:
            coerced = _coerce(field, raw)
            if _normalise(field, coerced) == coerced:
                hit = True
                break
        return hit if node.op == "=in=" else not hit
    coerced = _coerce(field, node.values[0])
    value = _normalise(field, coerced)
    if value is None or type(value) is not type(coerced):
        return False
    if node.op == "=gt=":
        return bool(value > coerced)
    if node.op == "=ge=":
        return bool(value >= coerced)
    if node.op == "=lt=":
        return bool(value < coerced)
    return bool(value <= coerced)


def evaluate(node: Node, record: Mapping[str, Any]) -> bool:
    """True when ``record`` matches. Raises :class:`RqlError` for values that do not parse."""
    if isinstance(node, Comparison):
        return _compare(record, node)
    if isinstance(node, And):
        return all(evaluate(term, record) for term in node.terms)
    return any(evaluate(term, record) for term in node.terms)


def properties(node: Node) -> Iterable[tuple[str, ...]]:
    """Every property path the query names."""
    if isinstance(node, Comparison):
        yield node.path
    else:
        for term in node.terms:
            yield from properties(term)


def equality_value(node: Node, path: tuple[str, ...]) -> str | None:
    """The literal (non-wildcard) value of a top-level ``path==value`` conjunct, for index use."""
    terms = node.terms if isinstance(node, And) else (node,)
    for term in terms:
        if (
            isinstance(term, Comparison)
            and term.op == "=="
            and term.path == path
            and "*" not in term.values[0]
        ):
            return unquote(term.values[0])
    return None


def parse_sort(text: str) -> list[tuple[tuple[str, ...], bool]]:
    """``-a.b,c`` -> [(("a","b"), descending), (("c",), ascending)]."""
    keys: list[tuple[tuple[str, ...], bool]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        part = part.lstrip("+-").strip()
        keys.append((tuple(s.strip().lower() for s in part.split(".")), descending))
    return keys


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float, Decimal)):
        return (1, Decimal(str(value)))
    if isinstance(value, str):
        parsed = parse_date(value) if value[:1].isdigit() else None
        if parsed is not None:
            return (2, parsed)
        return (3, value.lower())
    return (4, str(value))


def sort_records(
    records: list[Any],
    keys: list[tuple[tuple[str, ...], bool]],
    view: Callable[[Any], Mapping[str, Any]] | None = None,
) -> list[Any]:
    """Stable multi-key sort; None sorts first ascending. Records not comparable keep order."""
    result = list(records)
    for path, descending in reversed(keys):

        def key(record: Any, path: tuple[str, ...] = path) -> tuple[int, Any]:
            return _sort_key(lookup(view(record) if view else record, path)[1])

        try:
            result.sort(key=key, reverse=descending)
        except TypeError:
            continue
    return result
