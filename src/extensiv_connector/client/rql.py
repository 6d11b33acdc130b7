"""RQL (the API's FIQL dialect) builder and parser.

Build filters with :func:`field` and combine them with ``&`` (AND, ``;``) and ``|`` (OR, ``,``)::

    from extensiv_connector.client import rql

    q = (rql.field("readOnly.customerIdentifier.id") == 12) & (
        rql.field("readOnly.isClosed") == True  # noqa: E712 - builds RQL, not a comparison
    )
    str(q)  # 'readOnly.customerIdentifier.id==12;readOnly.isClosed==true'

Operators: ``==``, ``!=``, ``>`` (``=gt=``), ``>=`` (``=ge=``), ``<`` (``=lt=``), ``<=``
(``=le=``), :meth:`Field.in_` (``=in=``), :meth:`Field.not_in` (``=out=``),
:meth:`Field.has_value` (``=hv=``) and the wildcards :meth:`Field.starts_with`,
:meth:`Field.ends_with`, :meth:`Field.contains`. AND binds tighter than OR; an OR inside an AND
is parenthesised automatically.

Escaping (Rels/rql): the server URL-decodes the query string and then decodes each RQL value
once more. So every character of a value outside ``A-Z a-z 0-9 - _ . ~ :`` is percent-encoded in
the RQL text (``%`` itself becomes ``%25``); the HTTP layer then encodes the whole parameter as
usual. A literal ``*`` in a value is ``%2A``; only the wildcard methods emit a bare ``*``.

:func:`parse` reads RQL text back into the same expression objects (``parse(str(e)) == e``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Union
from urllib.parse import quote, unquote

import attrs

__all__ = [
    "OPERATORS",
    "And",
    "Comparison",
    "Expr",
    "Field",
    "Or",
    "Value",
    "and_",
    "escape_value",
    "field",
    "or_",
    "parse",
    "render",
    "sort_spec",
    "to_rql",
    "unescape_value",
]

OPERATORS = ("==", "!=", "=gt=", "=ge=", "=lt=", "=le=", "=in=", "=out=", "=hv=")
_LIST_OPERATORS = ("=in=", "=out=")
_SELECTOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_SAFE = "-_.~:"


def escape_value(text: str) -> str:
    """Percent-encode a value for RQL text (UTF-8; ``%`` becomes ``%25``)."""
    return quote(text, safe=_SAFE)


def unescape_value(text: str) -> str:
    """Inverse of :func:`escape_value`."""
    return unquote(text, errors="strict")


def _to_text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return _to_text(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot use a {type(value).__name__} as an RQL value")


@attrs.frozen
class Value:
    """One comparison value; ``text`` is the unescaped value, wildcards are flags."""

    text: str
    leading_wildcard: bool = False
    trailing_wildcard: bool = False

    def render(self) -> str:
        head = "*" if self.leading_wildcard else ""
        tail = "*" if self.trailing_wildcard else ""
        return f"{head}{escape_value(self.text)}{tail}"


class _Combinable:
    def __and__(self, other: Expr) -> And:
        return and_(self, other)  # type: ignore[arg-type]

    def __or__(self, other: Expr) -> Or:
        return or_(self, other)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return render(self)  # type: ignore[arg-type]


@attrs.frozen
class Comparison(_Combinable):
    """One RQL comparison: ``selector``, operator (``==``, ``=gt=``...) and its values."""

    selector: str
    op: str
    values: tuple[Value, ...]

    def __attrs_post_init__(self) -> None:
        if not _SELECTOR.fullmatch(self.selector):
            raise ValueError(f"not an RQL property name: {self.selector!r}")
        if self.op not in OPERATORS:
            raise ValueError(f"unknown RQL operator {self.op!r}")
        if not self.values:
            raise ValueError("an RQL comparison needs at least one value")
        if self.op not in _LIST_OPERATORS and len(self.values) != 1:
            raise ValueError(f"{self.op} takes exactly one value")

    __str__ = _Combinable.__str__


@attrs.frozen
class And(_Combinable):
    """Terms that must all hold (``;`` in RQL)."""

    terms: tuple[Expr, ...]

    __str__ = _Combinable.__str__


@attrs.frozen
class Or(_Combinable):
    """Terms of which one must hold (``,`` in RQL)."""

    terms: tuple[Expr, ...]

    __str__ = _Combinable.__str__


Expr = Union[Comparison, And, Or]  # noqa: UP007 - a runtime alias; | on classes needs 3.10 eval


def and_(*terms: Expr) -> And:
    """All of ``terms`` (nested ANDs are flattened)."""
    flat: list[Expr] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, And) else (term,))
    if not flat:
        raise ValueError("and_() needs at least one term")
    return And(tuple(flat))


def or_(*terms: Expr) -> Or:
    """Any of ``terms`` (nested ORs are flattened)."""
    flat: list[Expr] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, Or) else (term,))
    if not flat:
        raise ValueError("or_() needs at least one term")
    return Or(tuple(flat))


class Field:
    """A property path (``readOnly.customerIdentifier.id``) to compare against values."""

    __hash__ = None  # type: ignore[assignment]  # == builds a Comparison: not hashable

    def __init__(self, selector: str) -> None:
        if not _SELECTOR.fullmatch(selector):
            raise ValueError(f"not an RQL property name: {selector!r}")
        self.selector = selector

    def __repr__(self) -> str:
        return f"Field({self.selector!r})"

    def _cmp(self, op: str, value: Any) -> Comparison:
        return Comparison(self.selector, op, (Value(_to_text(value)),))

    def __eq__(self, value: Any) -> Comparison:  # type: ignore[override]
        return self._cmp("==", value)

    def __ne__(self, value: Any) -> Comparison:  # type: ignore[override]
        return self._cmp("!=", value)

    def __gt__(self, value: Any) -> Comparison:
        return self._cmp("=gt=", value)

    def __ge__(self, value: Any) -> Comparison:
        return self._cmp("=ge=", value)

    def __lt__(self, value: Any) -> Comparison:
        return self._cmp("=lt=", value)

    def __le__(self, value: Any) -> Comparison:
        return self._cmp("=le=", value)

    def in_(self, values: Iterable[Any]) -> Comparison:
        return Comparison(self.selector, "=in=", tuple(Value(_to_text(v)) for v in values))

    def not_in(self, values: Iterable[Any]) -> Comparison:
        return Comparison(self.selector, "=out=", tuple(Value(_to_text(v)) for v in values))

    def has_value(self, present: bool = True) -> Comparison:
        return self._cmp("=hv=", present)

    def _wild(self, text: str, leading: bool, trailing: bool) -> Comparison:
        if not text:
            raise ValueError("a wildcard comparison needs a non-empty text")
        return Comparison(self.selector, "==", (Value(text, leading, trailing),))

    def starts_with(self, text: str) -> Comparison:
        return self._wild(text, False, True)

    def ends_with(self, text: str) -> Comparison:
        return self._wild(text, True, False)

    def contains(self, text: str) -> Comparison:
        return self._wild(text, True, True)


def field(selector: str) -> Field:
    """Start a comparison on ``selector``."""
    return Field(selector)


def render(expr: Expr) -> str:
    """RQL text for ``expr``."""
    if isinstance(expr, Comparison):
        if expr.op in _LIST_OPERATORS:
            args = "(" + ",".join(v.render() for v in expr.values) + ")"
        else:
            args = expr.values[0].render()
        return f"{expr.selector}{expr.op}{args}"
    if isinstance(expr, And):
        return ";".join(f"({render(t)})" if isinstance(t, Or) else render(t) for t in expr.terms)
    return ",".join(render(t) for t in expr.terms)


def to_rql(value: str | Expr | None) -> str | None:
    """Accept raw RQL text or an expression."""
    if value is None or isinstance(value, str):
        return value
    return render(value)


def sort_spec(*keys: str) -> str:
    """``sort`` parameter text: ``sort_spec("-readOnly.creationDate", "readOnly.orderId")``."""
    out = []
    for key in keys:
        name = key[1:] if key[:1] in "+-" else key
        if not _SELECTOR.fullmatch(name):
            raise ValueError(f"not a sort key: {key!r}")
        out.append(("-" if key.startswith("-") else "") + name)
    return ",".join(out)


# --- parser ---------------------------------------------------------------------------------

_OP = re.compile(r"==|!=|=[A-Za-z]+=")
_VALUE_END = set(";,()")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> ValueError:
        return ValueError(f"RQL parse error at {self.pos}: {message}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Expr:
        expr = self.or_expr()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.peek()!r}")
        return expr

    def or_expr(self) -> Expr:
        terms = [self.and_expr()]
        while self.peek() == ",":
            self.pos += 1
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else or_(*terms)

    def and_expr(self) -> Expr:
        terms = [self.term()]
        while self.peek() == ";":
            self.pos += 1
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else and_(*terms)

    def term(self) -> Expr:
        if self.peek() == "(":
            self.pos += 1
            inner = self.or_expr()
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
            return inner
        match = _SELECTOR.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a property name")
        selector = match.group()
        self.pos = match.end()
        op_match = _OP.match(self.text, self.pos)
        if not op_match:
            raise self.fail("expected an operator")
        op = op_match.group().lower()
        self.pos = op_match.end()
        if op not in OPERATORS:
            raise self.fail(f"unknown operator {op!r}")
        if op in _LIST_OPERATORS:
            if self.peek() != "(":
                raise self.fail(f"{op} needs a parenthesised list")
            self.pos += 1
            values = [self.value()]
            while self.peek() == ",":
                self.pos += 1
                values.append(self.value())
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
        else:
            values = [self.value()]
        return Comparison(selector, op, tuple(values))

    def value(self) -> Value:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _VALUE_END:
            self.pos += 1
        raw = self.text[start : self.pos]
        leading = raw.startswith("*")
        if leading:
            raw = raw[1:]
        trailing = raw.endswith("*")
        if trailing:
            raw = raw[:-1]
        if "*" in raw:
            raise self.fail("a wildcard may only start or end a value")
        return Value(unescape_value(raw), leading, trailing)


def parse(text: str) -> Expr:
    """Parse RQL text into expression objects (operators lower-cased, values unescaped)."""
    return _Parser(text).parse()
