"""JSON <-> models, for both forms the Extensiv API speaks.

HAL (``Accept: application/hal+json``) is camelCase with collections under ``_embedded`` rel
keys; plain JSON is PascalCase with ``ResourceList``/``TotalResults``. Keys are matched
case-insensitively (and ignoring underscores), so one model reads both. Unknown keys are kept in
the model's ``extra`` and written back on unstructure, so a GET-modify-PUT never drops fields.
A wrong shape raises :class:`~extensiv_connector.errors.WireFormatError` naming the JSON path.

Output is always camelCase, the documented request form.
"""

from __future__ import annotations

import enum
import json
import re
import threading
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, Union, cast

import attrs
import cattrs

from . import _json_guard, _wire_codegen, _wire_typed
from ._json_copy import copy_json
from ._page_records import FailedPage, Reword, read_records
from ._wire_codegen import MISS, FieldSpec
from .errors import WireFormatError
from .models._fields import EMBEDDED_REL, WIRE_NAME

__all__ = [
    "Page",
    "camel_case",
    "dumps",
    "format_timestamp",
    "loads",
    "make_converter",
    "parse_collection",
    "parse_timestamp",
    "read_collection",
]

T = TypeVar("T")

# Integers sent as strings: bounded like JSON integers (see _json_guard.MAX_NUMBER_DIGITS).
_INT_TEXT = re.compile(rf"-?\d{{1,{_json_guard.MAX_NUMBER_DIGITS}}}")
_INT_LIMIT = 10**_json_guard.MAX_NUMBER_DIGITS

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(text: str) -> datetime:
    """Parse the API's timestamps: offset-less, up to 7 fractional digits (the 7th is dropped)."""
    if (
        21 <= len(text) <= 27
        and text[10] == "T"
        and text[19] == "."
        and text[4] + text[7] + text[13] + text[16] == "--::"
        and text[11:13] != "24"  # newer Pythons read 24:00 as midnight; datetime() does not
        and text[20:].isdigit()
    ):
        # The common form, YYYY-MM-DDTHH:MM:SS.f (1 to 7 digits): the C parser on the fraction
        # cut or padded to 6 digits, as below; any other text takes the general parser.
        try:
            return datetime.fromisoformat(text[:26].ljust(26, "0"))
        except ValueError:
            pass  # the general parser words the error
    return _parse_timestamp_general(text)


def _parse_timestamp_general(text: str) -> datetime:
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz: timezone | None = None
    if zone == "Z":
        tz = timezone.utc
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    )


def format_timestamp(value: datetime) -> str:
    """The request form: ISO 8601, no offset for naive values."""
    return value.isoformat()


def camel_case(name: str) -> str:
    """``order_items`` -> ``orderItems``: the wire name of a snake_case attribute."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _norm(key: str) -> str:
    return key.replace("_", "").lower()


_FieldPlan = FieldSpec

#: HAL ``_embedded`` rel prefixes as the API writes them (capital C), and in lower case.
_EMBED_PREFIXES = ("http://api.3plCentral.com/rels/", "http://api.3plcentral.com/rels/")


def _plan(cls: type) -> tuple[_FieldPlan, ...]:
    attrs.resolve_types(cls)
    plans = []
    for field in attrs.fields(cls):
        if field.name == "extra":
            continue
        plans.append(
            _FieldPlan(
                name=field.name,
                wire_name=field.metadata.get(WIRE_NAME, camel_case(field.name)),
                type=field.type,
                required=field.default is attrs.NOTHING,
                embedded_rel=field.metadata.get(EMBEDDED_REL),
            )
        )
    return tuple(plans)


def _embedded_lookup(embedded: Mapping[str, Any], rel: str) -> tuple[str, Any] | None:
    """Find ``.../rels/{rel}`` among ``_embedded`` keys, whatever their case."""
    wanted = rel.lower()
    for key, value in embedded.items():
        low = key.lower()
        if low == wanted or low.endswith("/rels/" + wanted):
            return key, value
    return None


class _Shape(Exception):  # noqa: N818 - internal signal, converted to WireFormatError
    """A wrong shape found deep inside a document; each level it passes adds its path segment,
    so the success path never formats a path string."""

    def __init__(self, message: str, segment: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.segments = [segment] if segment else []

    def under(self, segment: str) -> _Shape:
        self.segments.append(segment)
        return self

    def path(self) -> str:
        return "$" + "".join(reversed(self.segments))


# Dispatch codes for ``_Structurer.value``; a type's code is computed once (see ``_kind_of``).
_ANY, _OPT, _ATTRS, _TUPLE, _DICT, _STR, _BOOL, _INT, _DEC, _DT, _ENUM, _BAD = range(12)
_CODES = {
    "ANY": _ANY, "OPT": _OPT, "ATTRS": _ATTRS, "TUPLE": _TUPLE, "DICT": _DICT, "STR": _STR,
    "BOOL": _BOOL, "INT": _INT, "DEC": _DEC, "DT": _DT, "ENUM": _ENUM,
}  # fmt: skip


def _kind_of(tp: Any) -> tuple[int, Any]:
    if tp is Any:
        return _ANY, None
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _OPT, args[0] if len(args) == 1 else Any
    if attrs.has(tp):
        return _ATTRS, tp
    if origin is tuple:
        return _TUPLE, typing.get_args(tp)[0]
    if origin is dict:
        return _DICT, None
    simple = {str: _STR, bool: _BOOL, int: _INT, Decimal: _DEC, datetime: _DT}
    if tp in simple:
        return simple[tp], None
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _ENUM, tp
    return _BAD, tp


class _Structurer:
    """Recursive structuring with per-class field plans and per-type dispatch, both cached.
    One instance per converter.

    Each model class gets a generated reader (``_wire_codegen``) that takes the documents in
    the exact form the API sends; whatever it declines (``MISS``) comes here, to the general
    path that matches keys case-insensitively and names the JSON path of a wrong shape.
    ``compiled=False`` turns the generated readers off (tests compare the two).
    """

    def __init__(self, *, compiled: bool = True) -> None:
        self._plans: dict[type, tuple[tuple[_FieldPlan, ...], dict[str, _FieldPlan], bool]] = {}
        self._kinds: dict[Any, tuple[int, Any]] = {}
        self._norms: dict[str, str] = {}
        self._compiled = compiled
        self._fast: dict[type, _wire_codegen.Readers] = {}
        self._readers: dict[type, tuple[Any, Callable[..., Any]]] = {}
        self._lock = threading.RLock()
        self._building: set[type] = set()

    def compiled(self, cls: type) -> _wire_codegen.Readers:
        """The generated readers of ``cls`` (any casing, camelCase, PascalCase); built once.

        Built under a lock: readers are shared by the threads of a concurrent pull or push, and
        none may see a half-built one."""
        found = self._fast.get(cls)
        if found is not None:
            return found
        with self._lock:
            found = self._fast.get(cls)
            if found is not None:
                return found
            if not self._compiled:
                found = (_decline, _decline, _decline)
            elif cls in self._building:
                # A model that contains itself: look the reader up when called, by then built.
                fast = self._fast
                return (
                    lambda data: fast[cls][0](data),
                    lambda data: fast[cls][1](data),
                    lambda data: fast[cls][2](data),
                )
            else:
                self._building.add(cls)
                try:
                    plans, _, has_extra = self.plans(cls)
                    found = _wire_codegen.compile_reader(
                        cls,
                        plans,
                        has_extra,
                        kind_of=self.kind,
                        reader_for=lambda tp, pascal: self.compiled(tp)[2 if pascal else 1],
                        norm=_norm,
                        codes=_CODES,
                        parse_timestamp=parse_timestamp,
                        embed_prefixes=_EMBED_PREFIXES,
                    )
                finally:
                    self._building.discard(cls)
            self._fast[cls] = found
        return found

    def fast(self, cls: type) -> Callable[[Any], Any]:
        """The generated reader of ``cls``: an instance, or ``MISS`` for the general path."""
        return self.compiled(cls)[0]

    def reader(self, cls: type[T]) -> Callable[..., T]:
        """``reader(document)`` structures one ``cls`` (``reader(document, cls)`` too: it is
        the converter's structure hook itself, no wrapper frame per record). With msgspec,
        the typed reader first (the class's mirror Struct checked by ``msgspec.convert``);
        what it declines, the generated reader; what that declines, the general path (which
        raises ``WireFormatError`` with the JSON path)."""
        typed = _TYPED if self._compiled else None
        cached = self._readers.get(cls)
        # Keyed by the typed reader too: converters share this structurer, and a reader is
        # bound to the typed reader of when it was built (tests swap in a fresh one).
        found = cached[1] if cached is not None and cached[0] is typed else None
        if found is None:
            fast = self.fast(cls)
            general = self.general_instance

            def fallback(data: Any, _cls: Any = None) -> Any:
                result = fast(data)
                if result is not MISS:
                    return result
                try:
                    return general(data, cls)
                except _Shape as shape:
                    raise WireFormatError(shape.path(), shape.message) from None

            found = fallback if typed is None else typed.record_reader(cls, fallback)
            self._readers[cls] = (typed, found)
        return found

    def kind(self, tp: Any) -> tuple[int, Any]:
        kind = self._kinds.get(tp)
        if kind is None:
            kind = self._kinds[tp] = _kind_of(tp)
        return kind

    def plans(self, cls: type) -> tuple[tuple[_FieldPlan, ...], dict[str, _FieldPlan], bool]:
        cached = self._plans.get(cls)
        if cached is None:
            plans = _plan(cls)
            by_key = {}
            for plan in plans:
                by_key[_norm(plan.wire_name)] = plan
                by_key[_norm(plan.name)] = plan
            has_extra = any(f.name == "extra" for f in attrs.fields(cls))
            cached = (plans, by_key, has_extra)
            self._plans[cls] = cached
        return cached

    def structure(self, data: Any, tp: Any) -> Any:
        """Structure a whole document; a wrong shape raises ``WireFormatError`` with its path."""
        try:
            return self.value(data, tp)
        except _Shape as shape:
            raise WireFormatError(shape.path(), shape.message) from None

    def attrs_instance(self, data: Any, cls: type[T]) -> T:
        result = self.fast(cls)(data)
        if result is not MISS:
            return result  # type: ignore[no-any-return]
        return self.general_instance(data, cls)

    def general_instance(self, data: Any, cls: type[T]) -> T:
        if not isinstance(data, Mapping):
            raise _Shape(f"expected an object for {cls.__name__}, got {_kind(data)}")
        plans, by_key, has_extra = self.plans(cls)
        norms = self._norms
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        embedded: Mapping[str, Any] | None = None
        for key, value in data.items():
            if not isinstance(key, str):
                raise _Shape(f"non-string key {key!r}")
            if key == "_embedded" and isinstance(value, Mapping):
                embedded = value
                continue
            norm = norms.get(key)
            if norm is None:
                norm = norms[key] = _norm(key)
            plan = by_key.get(norm)
            if plan is None:
                extra[key] = value
                continue
            try:
                values[plan.name] = self.value(value, plan.type)
            except _Shape as shape:
                raise shape.under(f".{key}") from None
        leftover: dict[str, Any] = dict(embedded) if embedded else {}
        if embedded:
            for plan in plans:
                if plan.embedded_rel is None or plan.name in values:
                    continue
                found = _embedded_lookup(embedded, plan.embedded_rel)
                if found is not None:
                    key, value = found
                    leftover.pop(key, None)
                    try:
                        values[plan.name] = self.value(value, plan.type)
                    except _Shape as shape:
                        raise shape.under(f"._embedded[{key!r}]") from None
        if leftover:
            extra["_embedded"] = leftover
        for plan in plans:
            if plan.required and plan.name not in values:
                raise _Shape(f"missing required key {plan.wire_name!r}")
        if has_extra:
            values["extra"] = extra
        try:
            return cls(**values)
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise _Shape(f"invalid {cls.__name__}: {exc}") from exc

    def value(self, value: Any, tp: Any) -> Any:
        code, arg = self.kind(tp)
        if code == _OPT:
            if value is None:
                return None
            return self.value(value, arg)
        if value is None:
            if code == _TUPLE:
                return ()
            if code == _DICT:
                return {}
            if code != _ANY:
                raise _Shape(f"expected {_type_name(tp)}, got null")
        if code == _STR:
            if isinstance(value, str):
                return value
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                return str(value)
            raise _Shape(f"expected a string, got {_kind(value)}")
        if code == _ATTRS:
            return self.attrs_instance(value, arg)
        if code == _INT:
            if isinstance(value, int) and not isinstance(value, bool):
                if -_INT_LIMIT < value < _INT_LIMIT:
                    # An IntEnum (a host's value) as the int it stands for, as msgspec's
                    # typed path gives it: the same model with or without msgspec.
                    return value if type(value) is int else int(value)
                raise _Shape("integer out of range")
            if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
                return int(value)
            if isinstance(value, float | Decimal):
                # NaN, infinities and huge exponents first: int() on them raises or takes minutes
                problem = _json_guard.check_number(value)
                if problem:
                    raise _Shape(problem)
                if value == int(value):
                    return int(value)
            raise _Shape(f"expected an integer, got {_kind(value)}")
        if code == _DEC:
            return _decimal(value)
        if code == _BOOL:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise _Shape(f"expected a boolean, got {_kind(value)}")
        if code == _DT:
            if isinstance(value, datetime):
                return value
            if not isinstance(value, str):
                raise _Shape(f"expected a timestamp string, got {_kind(value)}")
            try:
                return parse_timestamp(value)
            except ValueError:
                raise _Shape(f"not a timestamp: {_described(value)}") from None
        if code == _TUPLE:
            if isinstance(value, str) and arg is str:
                return tuple(part.strip() for part in value.split(",") if part.strip())
            if not isinstance(value, list | tuple):
                raise _Shape(f"expected an array, got {_kind(value)}")
            items = []
            for i, item in enumerate(value):
                try:
                    items.append(self.value(item, arg))
                except _Shape as shape:
                    raise shape.under(f"[{i}]") from None
            return tuple(items)
        if code == _DICT:
            if isinstance(value, str):
                try:
                    value = _json_guard.parse(value) if value.strip() else {}
                except WireFormatError as exc:
                    raise _Shape(f"expected an object or a JSON string ({exc})") from None
            if not isinstance(value, Mapping):
                raise _Shape(f"expected an object, got {_kind(value)}")
            return dict(value)
        if code == _ENUM:
            return _enum(value, arg)
        if code == _ANY:
            return value
        raise _Shape(f"unsupported target type {_type_name(tp)}")


def _decline(data: Any) -> Any:
    return MISS


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Shape("expected a number, got a boolean")
    try:
        if isinstance(value, Decimal):
            result = value
        elif isinstance(value, float):
            result = Decimal(repr(value))
        elif isinstance(value, int | str):
            if isinstance(value, str) and len(value) > _json_guard.MAX_NUMBER_CHARS:
                raise _Shape(f"number text longer than {_json_guard.MAX_NUMBER_CHARS} characters")
            result = Decimal(value)
        else:
            raise _Shape(f"expected a number, got {_kind(value)}")
    except InvalidOperation:
        raise _Shape(f"not a number: {_described(value)}") from None
    problem = _json_guard.check_number(result)  # finite, and no exponent that costs CPU later
    if problem:
        raise _Shape(problem)
    return result


def _enum(value: Any, tp: type[enum.Enum]) -> enum.Enum:
    for member in tp:
        if member.value == value:
            return member
    if isinstance(value, str):
        for member in tp:
            if member.name.lower() == value.lower() or str(member.value).lower() == value.lower():
                return member
    allowed = ", ".join(str(m.value) for m in tp)
    raise _Shape(f"expected one of {allowed}, got {_described(value)}")


def _described(value: Any) -> str:
    """What a refused value is, never what it says: a value in the wrong field may be anyone's
    name or address, and messages reach logs and the journal."""
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return _kind(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _unstructure_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return _unstructure_attrs(value)
    if isinstance(value, list | tuple):
        return [_unstructure_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _unstructure_value(v) for k, v in value.items()}
    return value


_WIRE_KEYS: dict[type, tuple[tuple[str, str], ...]] = {}


def _wire_keys(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, wire key) of every modelled field; computed once per class (hot path).

    A plain dict cache: class metadata never changes, and a racing first fill is harmless."""
    keys = _WIRE_KEYS.get(cls)
    if keys is None:
        keys = tuple(
            (field.name, field.metadata.get(WIRE_NAME, camel_case(field.name)))
            for field in attrs.fields(cls)
            if field.name != "extra"
        )
        _WIRE_KEYS[cls] = keys
    return keys


#: Field values ``_unstructure_value`` gives back as they are, told apart without a call.
_AS_IS: frozenset[type] = frozenset({str, int, bool})


def _unstructure_attrs(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, key in _wire_keys(type(obj)):
        value = getattr(obj, name)
        if value is not None:
            out[key] = value if type(value) in _AS_IS else _unstructure_value(value)
    extra = getattr(obj, "extra", None)
    if extra:
        for key, value in extra.items():
            if key not in out:
                # A copy: whoever holds the document may change it; the model must not change.
                out[key] = copy_json(value)
    return out


class _Converter(cattrs.Converter):
    """cattrs' converter, finding structure hooks through a plain dict first.

    cattrs' own dispatch is an ``lru_cache`` over a bound method: about a tenth of the time it
    takes to read a stock summary, on every ``structure`` call. The dict keeps what that
    dispatch answered, and is emptied by every way of registering a structure hook (a later
    hook takes effect as it does in cattrs)."""

    __slots__ = ("_hooks",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._hooks: dict[Any, Callable[[Any, Any], Any]] = {}
        super().__init__(*args, **kwargs)

    def structure(self, obj: Any, cl: Any) -> Any:
        try:
            hook = self._hooks[cl]
        except KeyError:
            hook = self._hooks[cl] = self.get_structure_hook(cl)
        return hook(obj, cl)

    def register_structure_hook(self, *args: Any, **kwargs: Any) -> Any:
        self._hooks.clear()
        found = super().register_structure_hook(*args, **kwargs)
        self._hooks.clear()
        return found

    def register_structure_hook_func(self, *args: Any, **kwargs: Any) -> None:
        self._hooks.clear()
        super().register_structure_hook_func(*args, **kwargs)
        self._hooks.clear()

    def register_structure_hook_factory(self, predicate: Any, factory: Any = None) -> Any:
        if factory is None:  # the decorator form: cattrs' registers without coming back here

            def decorator(factory: Any) -> Any:
                self.register_structure_hook_factory(predicate, factory)
                return factory

            return decorator
        self._hooks.clear()
        found = super().register_structure_hook_factory(predicate, factory)
        self._hooks.clear()
        return found


def make_converter() -> cattrs.Converter:
    """A converter that structures wire JSON into models and back.

    ``converter.structure(data, Order)`` accepts HAL/camelCase and plain/PascalCase documents;
    ``converter.unstructure(order)`` emits camelCase with unknown fields restored.
    """
    converter = _Converter()
    # Every converter reads alike, so they share one structurer: its generated readers are
    # built once per process, not once per converter (every Connector and client makes one).
    structurer = _DEFAULT

    def structure_hook_factory(cls: type[Any]) -> Callable[[Any, type[Any]], Any]:
        return structurer.reader(cls)  # takes (data, cls): no wrapper frame per record

    converter.register_structure_hook_factory(attrs.has, structure_hook_factory)
    converter.register_unstructure_hook_factory(attrs.has, lambda _cls: _unstructure_attrs)
    converter.register_structure_hook(Decimal, lambda v, _: structurer.structure(v, Decimal))
    converter.register_unstructure_hook(Decimal, _unstructure_value)
    converter.register_structure_hook(datetime, lambda v, _: structurer.structure(v, datetime))
    converter.register_unstructure_hook(datetime, format_timestamp)
    return converter


@attrs.frozen
class Page:
    """One page of a collection, in either wire form.

    ``records`` are the documents (``parse_collection``) or the models (``read_collection``);
    ``has_links`` says that the page has a non-null ``_links`` (any case), which makes a
    missing ``next`` link mean "last page"."""

    records: list[Any]
    total_results: int | None
    next_href: str | None
    record_key: str
    has_links: bool = False


_LIST_KEYS = ("resourcelist", "summaries", "item", "items")


def parse_collection(body: Any, rel: str | None = None) -> Page:
    """Split a collection response into records, total and ``next`` link.

    HAL: ``_embedded[".../rels/{rel}"]`` (any case) or ``_embedded.item``; stock summaries:
    top-level ``summaries``; plain JSON: ``ResourceList``/``Summaries``.
    """
    if not isinstance(body, Mapping):
        raise WireFormatError("$", f"expected a collection object, got {_kind(body)}")
    lowered = {k.lower(): k for k in body}
    total_key = lowered.get("totalresults")
    total_raw = body.get(total_key) if total_key else None
    if total_raw is not None and (isinstance(total_raw, bool) or not isinstance(total_raw, int)):
        raise WireFormatError(f"$.{total_key}", f"expected an integer, got {_kind(total_raw)}")
    records: Any = None
    record_key = ""
    embedded_key = lowered.get("_embedded")
    if embedded_key is not None:
        embedded = body[embedded_key]
        if not isinstance(embedded, Mapping):
            raise WireFormatError("$._embedded", f"expected an object, got {_kind(embedded)}")
        found = _embedded_lookup(embedded, rel) if rel else None
        if found is None:
            found = next(((k, v) for k, v in embedded.items() if k.lower() == "item"), None)
        if found is None and len(embedded) == 1:
            found = next(iter(embedded.items()))
        if found is not None:
            record_key = f"$._embedded[{found[0]!r}]"
            records = found[1]
        else:
            records, record_key = [], "$._embedded"
    else:
        for candidate in _LIST_KEYS:
            if candidate in lowered:
                record_key = f"$.{lowered[candidate]}"
                records = body[lowered[candidate]]
                break
    if records is None:
        records = []
    if not isinstance(records, list):
        raise WireFormatError(record_key or "$", f"expected an array, got {_kind(records)}")
    next_href = None
    links_key = lowered.get("_links")
    if links_key is not None and isinstance(body[links_key], Mapping):
        links = {k.lower(): v for k, v in body[links_key].items()}
        nxt = links.get("next")
        if isinstance(nxt, Mapping) and isinstance(nxt.get("href"), str):
            next_href = nxt["href"]
        elif isinstance(nxt, str):
            next_href = nxt
    # The first key spelled "_links" in any case, as a case-insensitive lookup finds it.
    has_links = next((body[k] for k in body if k.lower() == "_links"), None) is not None
    return Page(
        records=records,
        total_results=total_raw,
        next_href=next_href,
        record_key=record_key,
        has_links=has_links,
    )


def _json_default(value: Any) -> Any:
    return _unstructure_value(value)


def dumps(document: Any) -> str:
    """Serialise an unstructured document (Decimals and datetimes allowed) to JSON."""
    return json.dumps(document, default=_json_default, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse untrusted JSON with exact numbers: non-integers become ``Decimal``, never float.

    Hostile documents (nesting deeper than 64, ``NaN``/``Infinity``, oversized numbers, bytes
    that are not UTF-8, invalid JSON) raise :class:`WireFormatError` naming the JSON path; see
    ``_json_guard``.
    """
    return _json_guard.parse(text)


# -- whole pages -----------------------------------------------------------------------------

_DEFAULT = _Structurer()
_RAW_OBJECT: Callable[[bytes], dict[str, Any]] | None = None
_TYPED: _wire_typed.TypedReader | None = None
if _json_guard._ACCELERATED is not None:
    import msgspec

    _RAW_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
    _TYPED = _wire_typed.TypedReader(
        plans=_DEFAULT.plans,
        kind=_DEFAULT.kind,
        codes=_CODES,
        parse_timestamp=parse_timestamp,
        embed_prefixes=_EMBED_PREFIXES,
        float_hook=_json_guard.checked_decimal,
    )


#: The layout of the last page read the typed way, per (class, rel).
_LAYOUTS: dict[tuple[type, str | None], _wire_typed.Layout] = {}


class _Unread(list):  # type: ignore[type-arg]
    """An array of the envelope left as raw bytes: a list (empty) to ``parse_collection``,
    decoded only if it holds the records."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self.raw = raw


def read_collection(
    body: str | bytes,
    cls: type[T],
    rel: str | None = None,
    *,
    parse: Callable[[str | bytes], Any] | None = None,
    read: Callable[[Any], T] | None = None,
) -> Page:
    """One collection response to models: a :class:`Page` whose ``records`` are ``cls``.

    The same answer as ``parse_collection(parse(body), rel)`` with ``read(record)`` for each
    record (defaults: :func:`loads` and ``make_converter().structure``), errors included (a
    record's error with its path from the page: ``$.summaries[37].available``, not the
    record's ``$.available``), and the fast way when msgspec is installed: a page in the exact
    form the API sends (HAL, camelCase) is decoded by msgspec straight into per-model Structs
    and the models are built from those, without a dict per object. Any page it is not sure of
    is read the general way.

    ``parse`` and ``read`` serve that general way only: ``read`` must structure as
    ``make_converter()`` does, since a page read the fast way never calls it.
    """
    return _read_collection(body, cls, rel, parse, read, defer=False)


def _read_collection(
    body: str | bytes,
    cls: type[T],
    rel: str | None,
    parse: Callable[[str | bytes], Any] | None,
    read: Callable[[Any], T] | None,
    *,
    defer: bool,
    reword: Reword | None = None,
) -> Page:
    """:func:`read_collection`; with ``defer``, a page read the typed way has its records as
    :class:`_wire_typed.DeferredModels` (built as they are iterated: the client's paged lists,
    whose callers mostly drop each model soon after getting it), not a list, and a page with a
    record the general reader refuses has them as a :class:`FailedPage` (the records before
    it, then its error) instead of raising. ``reword`` names the document (the client: its
    request) in every ``WireFormatError``, raised here or while iterating."""
    try:
        return _read_page(body, cls, rel, parse, read, defer, reword)
    except WireFormatError as exc:
        if reword is None:
            raise
        raise reword(exc) from None


def _read_page(
    body: str | bytes,
    cls: type[T],
    rel: str | None,
    parse: Callable[[str | bytes], Any] | None,
    read: Callable[[Any], T] | None,
    defer: bool,
    reword: Reword | None,
) -> Page:
    reader = read if read is not None else _DEFAULT.reader(cls)

    def general() -> Sequence[Any]:
        try:
            page = parse_collection((parse or loads)(body), rel)
        except WireFormatError as exc:  # the typed path read this page: never, in practice
            raise (exc if reword is None else reword(exc)) from None
        return read_records(page.records, reader, page.record_key, reword)

    # The typed path needs msgspec; turning the guard's accelerator off turns it off too.
    typed = _TYPED if _json_guard._ACCELERATED is not None else None
    learn = False
    if typed is not None:
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        if _json_guard.plain(raw):
            found = _typed_page(typed, raw, cls, rel, general if defer else None)
            if isinstance(found, Page):
                return found
            learn = found
    page = parse_collection((parse or loads)(body), rel)
    models = read_records(
        page.records, reader, page.record_key, reword if defer else None, keep=defer
    )
    if isinstance(models, FailedPage):
        if not defer:
            raise models.error  # reworded by _read_collection
        return attrs.evolve(page, records=_as_records(models))
    if learn and typed is not None:
        typed.learn(models)
    return attrs.evolve(page, records=models)


def _envelope(raw: bytes) -> dict[str, Any] | None:
    """The top-level object with its arrays (and those under ``_embedded``) left unread."""
    assert _RAW_OBJECT is not None
    try:
        top = _RAW_OBJECT(raw)
        doc: dict[str, Any] = {}
        for key, value in top.items():
            if key.lower() == "_embedded" and bytes(memoryview(value)[:1]) == b"{":
                inner = _RAW_OBJECT(value)
                doc[key] = {k: _unread_or_value(v) for k, v in inner.items()}
            else:
                doc[key] = _unread_or_value(value)
    except Exception:  # msgspec.DecodeError, the number hook: the general path words it
        return None
    return doc


def _unread_or_value(value: Any) -> Any:
    assert _json_guard._ACCELERATED is not None
    if bytes(memoryview(value)[:1]) == b"[":
        return _Unread(value)
    found = _json_guard._ACCELERATED(value)
    if not _wire_typed.bounded(found):  # the guard's depth and integer limits
        raise ValueError("not plain")
    return found


def _typed_page(
    typed: _wire_typed.TypedReader,
    raw: bytes,
    cls: type[Any],
    rel: str | None,
    general: Callable[[], Sequence[Any]] | None,
) -> Page | bool:
    """The page read the typed way, or whether the general way's models are worth learning.

    A page laid out as the last one of its kind is decoded in one pass; any other (or the first)
    has its envelope read with the arrays left unread, then the records array typed."""
    layout = _LAYOUTS.get((cls, rel))
    if layout is not None:
        found = typed.page(raw, cls, layout, general)
        if found is not None:
            try:
                page = parse_collection(found[0], rel)
            except WireFormatError:
                return False  # the general path raises it, with the caller's wording
            if page.records is _wire_typed.PLACEHOLDER:
                return attrs.evolve(page, records=_as_records(found[1]))
    doc = _envelope(raw)
    if doc is None:
        return False
    try:
        page = parse_collection(doc, rel)
    except WireFormatError:
        return False  # the general path raises it, with the caller's wording
    records = page.records
    models: Sequence[Any] | bool = []
    for unread in _unread_arrays(doc):
        if unread is records:
            models = typed.records(unread.raw, cls, general)
        else:  # an array only parse_collection saw: the guard's limits, or the general path
            found = _json_guard._accelerated(unread.raw)
            if found is _json_guard._REFUSED or not _wire_typed.bounded(found):
                return False
    if isinstance(models, bool):
        return models
    found_layout = _wire_typed.layout_of(doc, records)
    if found_layout is not None and len(_LAYOUTS) < 1024:
        _LAYOUTS[(cls, rel)] = found_layout  # a plain dict: a racing write is as good
    return attrs.evolve(page, records=_as_records(models))


def _as_records(models: Sequence[Any]) -> list[Any]:
    # A list, or DeferredModels or a FailedPage: those only with defer (from
    # _read_collection(defer=True), whose one caller, the client's paged lists, takes them as
    # the Sequence they are).
    return cast("list[Any]", models)


def _unread_arrays(doc: dict[str, Any]) -> list[_Unread]:
    found = [v for v in doc.values() if type(v) is _Unread]
    for value in doc.values():
        if type(value) is dict:
            found.extend(v for v in value.values() if type(v) is _Unread)
    return found
