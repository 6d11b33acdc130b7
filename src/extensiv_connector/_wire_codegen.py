"""Per-class structuring functions generated once, for the wire form as the API sends it.

The general reader in :mod:`extensiv_connector.wire` matches every key case-insensitively and
builds error paths; that is the right answer for any document and far too slow for 100,000 stock
summaries. For each model class this module writes (once) a straight-line function that reads
the fields by their exact wire keys, in one casing (camelCase or PascalCase, picked from the
first key), converts the common value types inline and sets the slots directly.

A generated function never raises and never guesses: anything it was not written for (an
unknown or differently-cased key, a string where a number belongs, a ``_embedded`` key it does
not know, a wrong shape) makes it return :data:`MISS`, and the caller hands the whole object to
the general reader, which gives the same answer or the ``WireFormatError`` with the JSON path.
Unknown keys are the one exception it handles itself: they go to ``extra`` exactly as the
general reader would put them there. Numbers the general reader refuses (integers of more than
``MAX_NUMBER_DIGITS`` digits, non-finite Decimals, exponents beyond ±``MAX_NUMBER_DIGITS``) are
declined too, so the refusal and its path come from one place.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ._draft import draft_lines, draft_of, fillable
from ._json_guard import MAX_NUMBER_DIGITS
from .models._fields import to_decimal, to_optional_decimal, to_tuple

__all__ = ["DECIMALS", "MISS", "FieldSpec", "Readers", "compile_reader", "decimal_of"]

#: "Not for me": the general reader must handle this object.
MISS: Any = type("_Miss", (), {"__repr__": lambda self: "MISS"})()

# Kind codes, shared with wire._kind_of (passed in, to keep one definition).
Kind = tuple[int, Any]

#: attrs converters that are the identity on what the generated code produces (Decimal, tuple).
_IDENTITY_CONVERTERS: frozenset[Any] = frozenset({to_decimal, to_optional_decimal, to_tuple})
ReaderFor = Callable[[type, bool], Callable[[Any], Any]]


#: ``DECIMALS[n] == Decimal(n)`` for the small integers met so far, shared by every generated
#: reader (``_wire_typed`` too). A plain dict on purpose: the generated code subscripts it in
#: a ``try`` (a hit is one specialised dict lookup, six per stock summary; a dict subclass
#: with ``__missing__`` costs a slower generic subscript on every hit) and calls
#: :func:`decimal_of` on a ``KeyError``. Decimals are immutable, so sharing is safe.
DECIMALS: dict[int, Decimal] = {}
_DECIMALS_LIMIT = 65_536
#: Only these are cached: any cached value is within every reader's integer bounds.
_DECIMALS_SPAN = 2**31


def decimal_of(value: int) -> Decimal:
    """``Decimal(value)``, remembered in :data:`DECIMALS` when small (bounded)."""
    found = Decimal(value)
    if -_DECIMALS_SPAN < value < _DECIMALS_SPAN and len(DECIMALS) < _DECIMALS_LIMIT:
        DECIMALS[value] = found
    return found


@attrs.frozen
class FieldSpec:
    name: str
    wire_name: str
    type: Any
    required: bool
    embedded_rel: str | None


class _Writer:
    """Collects source lines and the names they refer to."""

    def __init__(self, pascal: bool) -> None:
        self.pascal = pascal
        self.lines: list[str] = []
        self.env: dict[str, Any] = {
            "MISS": MISS, "type": type, "len": len, "dict": dict, "tuple": tuple,
            "str": str, "int": int, "bool": bool,
        }  # fmt: skip
        self.var = 0

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def bind(self, prefix: str, value: Any) -> str:
        for key, known in self.env.items():
            if known is value and key.startswith(prefix):
                return key
        name = f"{prefix}{len(self.env)}"
        self.env[name] = value
        return name

    def temp(self) -> str:
        self.var += 1
        return f"t{self.var}"


_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")

Readers = tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any]]


def compile_reader(
    cls: type,
    fields: tuple[FieldSpec, ...],
    has_extra: bool,
    kind_of: Callable[[Any], Kind],
    reader_for: ReaderFor,
    norm: Callable[[str], str],
    codes: dict[str, int],
    parse_timestamp: Callable[[str], datetime],
    embed_prefixes: tuple[str, ...],
) -> Readers:
    """The fast readers of ``cls``: ``(any casing, camelCase, PascalCase)``; each returns an
    instance of ``cls`` or :data:`MISS`. ``reader_for(cls, pascal)`` gives a nested class's."""

    def one(pascal: bool) -> Callable[[Any], Any]:
        return _compile_casing(
            cls, fields, has_extra, kind_of, reader_for, norm, codes, parse_timestamp,
            embed_prefixes, pascal=pascal,
        )  # fmt: skip

    camel, pascal = one(False), one(True)

    def reader(data: Any) -> Any:
        if type(data) is not dict:
            return MISS
        for key in data:
            # The first key that starts with a letter picks the casing of the whole document
            # (``$type``, ``_links`` say nothing); nested objects are read in the same casing,
            # and a mixed document ends in MISS.
            if type(key) is not str:
                break
            first = key[:1]
            if first in _UPPER:
                return pascal(data)
            if first in _LOWER:
                break
        return camel(data)

    return reader, camel, pascal


def _pascal(key: str) -> str:
    if not key or key[0] in "_$":
        return key
    return key[0].upper() + key[1:]


def _compile_casing(
    cls: type,
    fields: tuple[FieldSpec, ...],
    has_extra: bool,
    kind_of: Callable[[Any], Kind],
    reader_for: ReaderFor,
    norm: Callable[[str], str],
    codes: dict[str, int],
    parse_timestamp: Callable[[str], datetime],
    embed_prefixes: tuple[str, ...],
    *,
    pascal: bool,
) -> Callable[[Any], Any]:
    w = _Writer(pascal)
    w.env.update(
        Decimal=Decimal,
        datetime=datetime,
        DECIMALS=DECIMALS,
        decimal_of=decimal_of,
        INT_LIMIT=10**MAX_NUMBER_DIGITS,  # an int field: at most 40 digits
        DEC_INT_LIMIT=10 ** (MAX_NUMBER_DIGITS + 1),  # a quantity: exponent at most 40
        EXP_LIMIT=MAX_NUMBER_DIGITS + 1,
        parse_ts=_timestamp_or_miss(parse_timestamp),
        residual=_residual,
    )
    attr_fields = {f.name: f for f in attrs.fields(cls)}
    keys = [_pascal(f.wire_name) if pascal else f.wire_name for f in fields]
    embedded = [f for f in fields if f.embedded_rel is not None]
    body = _Writer(pascal)
    body.env = w.env
    b = body.emit
    b(1, "if type(data) is not dict:")
    b(2, "return MISS")
    b(1, "get = data.get")
    # ``absent`` counts the fields the document lacks (rare: the API writes every field), so
    # ``len(data) + absent == {fields}`` says that every key was read and none is unknown.
    b(1, "absent = 0")
    for index, (spec, key) in enumerate(zip(fields, keys, strict=True)):
        var = f"v{index}"
        b(1, f"{var} = get({key!r}, MISS)")
        b(1, f"if {var} is MISS:")
        b(2, "absent += 1")
        if spec.embedded_rel is not None:
            b(2, "pass  # maybe under _embedded, see below")
        elif spec.required:
            b(2, "return MISS")
        else:
            _emit_default(body, 2, var, attr_fields[spec.name])
        b(1, "else:")
        _emit_value(body, 2, var, spec.type, kind_of, reader_for, codes)
    if embedded:
        b(1, "emb = get('_embedded', MISS)")
        b(1, "if emb is not MISS:")
        b(2, "if type(emb) is not dict:")
        b(3, "return MISS")
        b(2, "absent -= 1")
        b(2, "m = 0")
        for spec in embedded:
            var = f"v{fields.index(spec)}"
            b(2, f"if {var} is MISS:")
            for prefix in embed_prefixes:
                b(3, f"if {var} is MISS:")
                b(4, f"{var} = emb.get({prefix + str(spec.embedded_rel)!r}, MISS)")
            b(3, f"if {var} is not MISS:")
            b(4, "m += 1")
            _emit_value(body, 4, var, spec.type, kind_of, reader_for, codes)
        # A rel not taken stays in extra['_embedded'] on the general path.
        b(2, "if m != len(emb):")
        b(3, "return MISS")
    for spec in embedded:
        var = f"v{fields.index(spec)}"
        b(1, f"if {var} is MISS:")
        if spec.required:
            b(2, "return MISS")
        else:
            _emit_default(body, 2, var, attr_fields[spec.name])
    if has_extra:
        known = frozenset(keys) | ({"_embedded"} if embedded else frozenset())
        names = {norm(f.wire_name) for f in fields} | {norm(f.name) for f in fields}
        w.env["KNOWN"] = known
        w.env["NAMES"] = frozenset(names)
        w.env["VERDICTS"] = {}
        w.env["norm"] = norm  # wire's one normaliser, passed in (wire imports this module)
        b(1, f"if len(data) + absent == {len(fields)}:")
        b(2, "extra = {}")
        b(1, "else:")
        b(2, "extra = residual(data, KNOWN, NAMES, VERDICTS, norm)")
        b(2, "if extra is MISS:")
        b(3, "return MISS")
    else:
        b(1, f"if len(data) + absent != {len(fields)}:")
        b(2, "return MISS")
    _emit_construct(body, cls, fields, attr_fields, has_extra)
    # Every name the body uses is a closure cell: no global lookups, and unlike default
    # arguments (which CPython fills in on every call) cells cost nothing per call.
    w.emit(0, f"def make({', '.join(w.env)}):")
    w.emit(1, "def read(data):")
    source = "\n".join(w.lines + ["    " + line for line in body.lines] + ["    return read"])
    namespace: dict[str, Any] = {}
    label = f"<extensiv reader {cls.__name__}{' pascal' if pascal else ''}>"
    code = compile(source, label, "exec")
    exec(code, {}, namespace)  # noqa: S102 - source built above from the model's fields
    reader: Callable[[Any], Any] = namespace["make"](**w.env)
    return reader


def _emit_default(w: _Writer, depth: int, var: str, field: attrs.Attribute[Any]) -> None:
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # attrs types it as a function
        if default.takes_self:  # not used by the models; the general reader handles it
            w.emit(depth, "return MISS")
        else:
            w.emit(depth, f"{var} = {w.bind('factory', default.factory)}()")
    else:
        # The attrs converter still applies to a default; precompute it once.
        value = default
        if field.converter is not None and field.converter not in _IDENTITY_CONVERTERS:
            w.emit(depth, "return MISS")
            return
        w.emit(depth, f"{var} = {w.bind('default', value)}")


def _emit_value(
    w: _Writer,
    depth: int,
    var: str,
    tp: Any,
    kind_of: Callable[[Any], Kind],
    reader_for: ReaderFor,
    codes: dict[str, int],
) -> None:
    """Code that converts ``var`` in place, or returns MISS for anything unusual."""
    code, arg = kind_of(tp)
    if code == codes["OPT"]:
        inner, _ = kind_of(arg)
        simple = {codes["STR"]: "str", codes["INT"]: "int", codes["BOOL"]: "bool"}
        if inner == codes["INT"]:
            w.emit(depth, f"if {var} is not None and not ({_int_ok(var)}):")
            w.emit(depth + 1, "return MISS")
        elif inner in simple:
            w.emit(depth, f"if type({var}) is not {simple[inner]} and {var} is not None:")
            w.emit(depth + 1, "return MISS")
        elif inner == codes["DEC"]:
            _emit_decimal(w, depth, var, optional=True)
        else:
            w.emit(depth, f"if {var} is not None:")
            _emit_value(w, depth + 1, var, arg, kind_of, reader_for, codes)
        return
    if code == codes["ANY"]:
        w.emit(depth, "pass")
        return
    if code == codes["TUPLE"]:
        w.emit(depth, f"if {var} is None:")
        w.emit(depth + 1, f"{var} = ()")
        w.emit(depth, f"elif type({var}) is list:")
        item_code, item_arg = kind_of(arg)
        if item_code == codes["ATTRS"]:
            fn = w.bind("read_", reader_for(item_arg, w.pascal))
            t = w.temp()
            w.emit(depth + 1, f"{t} = [{fn}(x) for x in {var}]")
            w.emit(depth + 1, f"if MISS in {t}:")
            w.emit(depth + 2, "return MISS")
            w.emit(depth + 1, f"{var} = tuple({t})")
        elif item_code in (codes["STR"], codes["INT"]):
            ok = "type(x) is str" if item_code == codes["STR"] else _int_ok("x")
            w.emit(depth + 1, f"for x in {var}:")
            w.emit(depth + 2, f"if not ({ok}):")
            w.emit(depth + 3, "return MISS")
            w.emit(depth + 1, f"{var} = tuple({var})")
        elif item_code == codes["DICT"]:
            w.emit(depth + 1, f"for x in {var}:")
            w.emit(depth + 2, "if type(x) is not dict:")
            w.emit(depth + 3, "return MISS")
            w.emit(depth + 1, f"{var} = tuple([dict(x) for x in {var}])")
        elif item_code == codes["ANY"]:
            w.emit(depth + 1, f"{var} = tuple({var})")
        else:
            w.emit(depth + 1, "return MISS")
        w.emit(depth, "else:")
        w.emit(depth + 1, "return MISS")
        return
    if code == codes["DICT"]:
        w.emit(depth, f"if {var} is None:")
        w.emit(depth + 1, f"{var} = {{}}")
        w.emit(depth, f"elif type({var}) is dict:")
        w.emit(depth + 1, f"{var} = dict({var})")
        w.emit(depth, "else:")
        w.emit(depth + 1, "return MISS")
        return
    # Every remaining kind refuses null (the general reader names the path).
    if code == codes["STR"]:
        w.emit(depth, f"if type({var}) is not str:")
        w.emit(depth + 1, "return MISS")
    elif code == codes["INT"]:
        w.emit(depth, f"if not ({_int_ok(var)}):")
        w.emit(depth + 1, "return MISS")
    elif code == codes["BOOL"]:
        w.emit(depth, f"if type({var}) is not bool:")
        w.emit(depth + 1, "return MISS")
    elif code == codes["DEC"]:
        _emit_decimal(w, depth, var, optional=False)
    elif code == codes["DT"]:
        w.emit(depth, f"if type({var}) is str:")
        w.emit(depth + 1, f"{var} = parse_ts({var})")
        w.emit(depth + 1, f"if {var} is MISS:")
        w.emit(depth + 2, "return MISS")
        w.emit(depth, f"elif type({var}) is not datetime:")
        w.emit(depth + 1, "return MISS")
    elif code == codes["ATTRS"]:
        fn = w.bind("read_", reader_for(arg, w.pascal))
        w.emit(depth, f"{var} = {fn}({var})")
        w.emit(depth, f"if {var} is MISS:")
        w.emit(depth + 1, "return MISS")
    elif code == codes["ENUM"]:
        table = w.bind("enum_", _enum_table(arg))
        w.emit(depth, f"{var} = {table}.get({var}, MISS) if type({var}) in (str, int) else MISS")
        w.emit(depth, f"if {var} is MISS:")
        w.emit(depth + 1, "return MISS")
    else:
        w.emit(depth, "return MISS")


def _int_ok(var: str) -> str:
    """An int (not a bool) of at most MAX_NUMBER_DIGITS digits, as the general reader accepts."""
    return f"type({var}) is int and -INT_LIMIT < {var} < INT_LIMIT"


def _emit_decimal(w: _Writer, depth: int, var: str, *, optional: bool) -> None:
    """An int or a finite Decimal within ``check_number``'s bounds becomes a Decimal."""
    w.emit(depth, f"if type({var}) is int:")
    w.emit(depth + 1, f"if not -DEC_INT_LIMIT < {var} < DEC_INT_LIMIT:")
    w.emit(depth + 2, "return MISS")
    w.emit(depth + 1, "try:")
    w.emit(depth + 2, f"{var} = DECIMALS[{var}]")
    w.emit(depth + 1, "except KeyError:")
    w.emit(depth + 2, f"{var} = decimal_of({var})")
    # Zero may carry any exponent (check_number accepts 0E+99999); others stay within ±40.
    bounded = f"(not {var} or -EXP_LIMIT < {var}.adjusted() < EXP_LIMIT)"
    ok = f"type({var}) is Decimal and {var}.is_finite() and {bounded}"
    w.emit(depth, f"elif {var} is not None and not ({ok}):" if optional else f"elif not ({ok}):")
    w.emit(depth + 1, "return MISS")


def _enum_table(tp: type[enum.Enum]) -> dict[Any, enum.Enum]:
    """Exact member values only; names and other spellings take the general path."""
    table: dict[Any, enum.Enum] = {}
    for member in tp:
        if type(member.value) in (str, int):
            table.setdefault(member.value, member)
    return table


def _emit_construct(
    w: _Writer,
    cls: type,
    fields: tuple[FieldSpec, ...],
    attr_fields: dict[str, attrs.Attribute[Any]],
    has_extra: bool,
) -> None:
    names = [f.name for f in fields] + (["extra"] if has_extra else [])
    values = [f"v{i}" for i in range(len(fields))] + (["extra"] if has_extra else [])
    direct = _slotted_without_hooks(cls, attr_fields)
    for index, spec in enumerate(fields):
        converter = attr_fields[spec.name].converter
        if converter is not None and converter not in _IDENTITY_CONVERTERS:
            w.emit(1, f"v{index} = {w.bind('conv', converter)}(v{index})")
    if not direct:
        args = ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
        w.emit(1, f"return {w.bind('cls', cls)}({args})")
        return
    # Slots set directly: what attrs' __init__ does, minus the converters proven identities.
    draft = draft_of(cls, names)
    if draft is None:
        w.emit(1, f"obj = {w.bind('new', object.__new__)}({w.bind('cls', cls)})")
        for name, value in zip(names, values, strict=True):
            setter = w.bind("set_", cls.__dict__[name].__set__)
            w.emit(1, f"{setter}(obj, {value})")
    else:
        stores = zip(names, values, strict=True)
        for line in draft_lines("obj", w.bind("draft", draft), w.bind("cls", cls), stores):
            w.emit(1, line)
    w.emit(1, "return obj")


def _slotted_without_hooks(cls: type, attr_fields: dict[str, attrs.Attribute[Any]]) -> bool:
    if getattr(cls, "__attrs_post_init__", None) or getattr(cls, "__attrs_pre_init__", None):
        return False
    if not fillable(cls):
        return False
    if any(f.validator is not None or not f.init for f in attr_fields.values()):
        return False
    slots = getattr(cls, "__slots__", None)
    if not slots:
        return False
    return all(hasattr(cls.__dict__.get(name), "__set__") for name in attr_fields)


def _timestamp_or_miss(parse: Callable[[str], datetime]) -> Callable[[str], Any]:
    def parse_ts(text: str) -> Any:
        try:
            return parse(text)
        except ValueError:
            return MISS

    return parse_ts


def _residual(
    data: dict[Any, Any],
    known: frozenset[str],
    names: frozenset[str],
    verdicts: dict[Any, bool],
    norm: Callable[[str], str],
) -> Any:
    """The keys the straight-line code did not read, as ``extra``; MISS if one of them is a
    field in another spelling (the general reader decides which one wins). ``verdicts``
    remembers, per class, which unknown keys are plain extras: the same few recur in every
    record of a page (``_links``, undocumented read-only fields)."""
    extra = {key: value for key, value in data.items() if key not in known}
    for key in extra:
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = type(key) is str and key != "_embedded" and norm(key) not in names
            if len(verdicts) < 1024:
                verdicts[key] = verdict
        if not verdict:
            return MISS
    return extra
