"""Whole pages from bytes to models: msgspec checks the records against per-model mirror Structs
(exact camelCase keys, value types checked in C), then generated code builds the models.

The generated per-record readers in :mod:`._wire_codegen` start from dicts that a parser already
built; here the parser builds small Structs instead (no dict per object, no type checks in
Python), and the Python left is what only Python can do: setting the slots of the frozen attrs
models, ``int`` → ``Decimal`` for quantities, timestamps and enums.

A mirror accepts only what the general reader would read to the same values, and refuses the
rest: an unknown key (``forbid_unknown_fields``), another casing, a string where a number
belongs, a wrong shape. A refusal anywhere returns ``None`` and the caller reads the page the
general way, which gives the same models or the ``WireFormatError`` with its JSON path, so
nothing here words an error. Unknown keys that the general reader put in a model's ``extra``
(``_links`` on every HAL order) are learned: the next mirror of that class reads them too.

The guard's limits hold without its pre-scans of the whole page: integer fields are int64 (a
wider id takes the general path), every non-integer goes through the guard's checking hook
(``float_hook``), and a value kept as parsed (``extra``, ``dict`` and ``Any`` fields, integers
in quantity fields) is walked for its depth and integer size (:func:`bounded`). Mirrors nest at
most ``_MAX_STATIC_DEPTH`` deep, so a value within ``MAX_DEPTH - _MAX_STATIC_DEPTH`` levels
keeps the page within ``MAX_DEPTH``; deeper ones are declined, never accepted.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, overload

import attrs

from . import _json_guard
from ._draft import draft_lines, draft_of, fillable
from ._json_guard import MAX_DEPTH, MAX_NUMBER_DIGITS
from ._wire_codegen import DECIMALS, FieldSpec, decimal_of

__all__ = [
    "ABSENT",
    "BACK_OFF",
    "CHECKED",
    "PLACEHOLDER",
    "VALUE_DEPTH",
    "DeferredModels",
    "Layout",
    "TypedReader",
    "bounded",
    "layout_of",
]

Kind = tuple[int, Any]

#: Records read the general way, without trying the mirror, after a refusal that taught
#: nothing (:meth:`TypedReader.record_reader`).
BACK_OFF = 16
#: A learned-key cap per class: a page of ever-new keys must not recompile forever.
MAX_LEARNED_KEYS = 64
#: The longest key worth learning: API keys are short names; anything longer is noise.
MAX_LEARNED_KEY_LENGTH = 64


def _learnable(key: str) -> bool:
    """A key msgspec can read as a field name (no quote, backslash or control character) and
    that looks like one; ``_embedded`` is never learned (its rels are fields or refusals)."""
    return (
        key != "_embedded"
        and 0 < len(key) <= MAX_LEARNED_KEY_LENGTH
        and '"' not in key
        and "\\" not in key
        and all(ch >= " " for ch in key)
    )


#: Mirrors nest at most this deep (objects and arrays, the page envelope included) ...
_MAX_STATIC_DEPTH = 24
#: ... so that a kept value nested at most this deep keeps the page within MAX_DEPTH.
VALUE_DEPTH = MAX_DEPTH - _MAX_STATIC_DEPTH
_INT_LIMIT = 10**MAX_NUMBER_DIGITS


def bounded(value: Any, budget: int = VALUE_DEPTH) -> bool:
    """``value`` nests at most ``budget`` deep and holds no integer the guard refuses."""
    kind = type(value)
    if kind is int:
        return -_INT_LIMIT < value < _INT_LIMIT  # type: ignore[no-any-return]
    if kind is dict:
        items: Iterable[Any] = value.values()
    elif kind is list:
        items = value
    else:
        return True
    if budget <= 0:
        return False
    budget -= 1
    for item in items:
        kind = type(item)
        if kind is int:  # inline: most values kept are scalars
            if not -_INT_LIMIT < item < _INT_LIMIT:
                return False
        elif (kind is dict or kind is list) and not bounded(item, budget):
            return False
    return True


#: The types :func:`bounded` has to look into; anything else parsed is always within limits.
CHECKED = frozenset({dict, list, int})


def _within_limits_already(value: Any, budget: int = VALUE_DEPTH) -> bool:
    """:func:`bounded` in record builds: a parsed document's values are kept as they are."""
    return True


#: (page decoder, page build, mirror Struct, record build, record read source) of a model
#: class; the record read is ``record build(msgspec.convert(document, mirror))`` in one
#: generated function, made per record_reader from that source.
_Compiled = tuple[Callable[[Any], Any], Callable[[Any], Any], Any, Callable[[Any], Any], "_Source"]
#: record_readers remembered per class (each converter's structurer makes one per class).
_MAX_ENTRIES = 64


#: (the envelope's keys in order, the key holding the records, the key under it when that is
#: ``_embedded``): the shape of a collection response, see :func:`layout_of`.
Layout = tuple[tuple[str, ...], str, str | None]
_MAX_PAGE_LAYOUTS = 256


class _Placeholder(list):  # type: ignore[type-arg]
    """Where the records were: an (empty) list to ``parse_collection``, checked by identity."""


PLACEHOLDER = _Placeholder()


def layout_of(doc: dict[str, Any], records: Any) -> Layout | None:
    """The layout of ``doc`` if ``records`` is one of its values (or the one value of its
    ``_embedded``), and its keys differ in more than case: ``parse_collection`` then reads the
    same page whatever the order of the keys, so a typed envelope may rebuild it."""
    keys = tuple(doc)
    if len({k.lower() for k in keys}) != len(keys):
        return None
    for key, value in doc.items():
        if value is records:
            return keys, key, None
        if type(value) is dict and len(value) == 1:
            ((inner, only),) = value.items()
            if only is records:
                return keys, key, inner
    return None


class _Decline(Exception):  # noqa: N818 - internal signal: "read this page the general way"
    pass


_DECLINE = _Decline()


class DeferredModels(Sequence[Any]):
    """A page's records, decoded into their mirror Structs, each built into its model when the
    iteration reaches it.

    Whoever iterates a large collection (the client's paged lists) mostly drops each model soon
    after getting it. Built a page at a time, the models outlived several collections of the
    garbage collector's young generation and were promoted: its older generations then cost
    about a fifth of a 100,000-record pull's CPU. Built one at a time, most die young.

    A build that declines (a value only the general reader decides) hands over to
    ``general()``, the whole page read the general way (a list, or a page that yields the
    records before one it refuses, then raises its ``WireFormatError``): the iteration goes on
    with its models from that record on (the same models), up to that error if any. Indexing
    builds (and keeps) the whole list."""

    __slots__ = ("_build", "_general", "_models", "_structs")

    def __init__(
        self,
        structs: list[Any],
        build: Callable[[Any], Any],
        general: Callable[[], Sequence[Any]],
    ) -> None:
        self._structs = structs
        self._build = build
        self._general = general
        self._models: list[Any] | None = None

    def __len__(self) -> int:
        return len(self._structs)

    def __iter__(self) -> Iterator[Any]:
        if self._models is not None:
            yield from self._models
            return
        structs, build = self._structs, self._build
        for index in range(len(structs)):
            try:
                model = build(structs[index])
            except Exception:  # _Decline, a timestamp, an enum value, ...
                # Iterated, not sliced: a page the general reader refuses raises as it goes.
                yield from itertools.islice(self._general(), index, None)
                return
            yield model

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if self._models is None:
            self._models = list(self)
        return self._models[index]

    def __repr__(self) -> str:
        return f"<DeferredModels: {len(self)} records>"


class _Absent:
    """A mirror field's default: the key was not in the document."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class _Unsupported(Exception):  # noqa: N818 - a model the typed path does not read
    pass


class TypedReader:
    """Typed page reading for every model class, compiled on first use; thread-safe.

    ``plans(cls)`` gives the wire fields of a class, ``kind(tp)`` the dispatch code of a type
    (both from ``wire._Structurer``); ``codes`` names those codes.
    """

    def __init__(
        self,
        *,
        plans: Callable[[type], tuple[tuple[FieldSpec, ...], Any, bool]],
        kind: Callable[[Any], Kind],
        codes: dict[str, int],
        parse_timestamp: Callable[[str], datetime],
        embed_prefixes: tuple[str, ...],
        float_hook: Callable[[str], Any],
    ) -> None:
        import msgspec  # the caller checked that it is installed

        self._msgspec = msgspec
        # Wider integers (the general reader takes up to MAX_NUMBER_DIGITS digits) decline.
        self._int64: Any = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
        self._plans = plans
        self._kind = kind
        self._codes = codes
        self._parse_timestamp = parse_timestamp
        self._prefixes = embed_prefixes
        self._float_hook = float_hook
        self._lock = threading.Lock()
        self._learned: dict[type, tuple[str, ...]] = {}
        # (decode, build, mirror) per class; None = not read here. Filled and emptied (a key
        # learned) under the lock, read without it: a reader sees an entry or none (then
        # compiles), never a half-built one; each entry is immutable.
        self._compiled: dict[type, _Compiled | None] = {}
        # (mirror, build, nesting depth) per class, shared by the mirrors that nest it; a class
        # that learns a key is rebuilt, with every mirror that nests it (see learn).
        self._mirrors: dict[type, tuple[Any, Callable[[Any], Any], int]] = {}
        # The slot names of a flat class's model (see _mirror), or None; per class.
        self._flat: dict[type, tuple[str, ...] | None] = {}
        self._nesting: dict[type, frozenset[type]] = {}
        # Page decoders by (class, layout), with the compiled mirror they were made for: a new
        # mirror (a key learned) makes a new one.
        self._pages: dict[tuple[type, Layout], tuple[Any, Callable[[Any], Any]]] = {}
        # The record build and the record read's source (see _mirror) of each page build.
        self._record_builds: dict[Callable[[Any], Any], Callable[[Any], Any]] = {}
        self._record_sources: dict[Callable[[Any], Any], _Source] = {}
        # Per class, the (state, refresh) of each record_reader: learning a key sends those
        # of every class whose mirror it changes back to refresh (see learn).
        self._entries: dict[type, list[tuple[list[Callable[[Any], Any]], Callable[..., Any]]]] = {}

    # -- reading -------------------------------------------------------------------------------

    def records(
        self, raw: Any, cls: type, general: Callable[[], Sequence[Any]] | None = None
    ) -> Sequence[Any] | bool:
        """The models of ``raw`` (a JSON array of ``cls`` records), or ``False``: read the page
        the general way; ``True`` asks the caller to hand what that gave to :meth:`learn` (the
        mirror refused an unknown key, which the general reader keeps in ``extra``). Given
        ``general`` (the page's models read the general way), the models are
        :class:`DeferredModels`: built as they are iterated."""
        compiled = self._compiled.get(cls, ABSENT)
        if compiled is ABSENT:
            compiled = self._compile_top(cls)
        if compiled is None:
            return False
        decode, build = compiled[0], compiled[1]
        try:
            if general is not None:
                return DeferredModels(decode(raw), build, general)
            return [build(r) for r in decode(raw)]
        except self._msgspec.ValidationError as exc:
            return "unknown field" in str(exc)
        except Exception:  # DecodeError, the number hook, _Decline, a timestamp, ...
            return False

    def page(
        self,
        raw: Any,
        cls: type,
        layout: Layout,
        general: Callable[[], Sequence[Any]] | None = None,
    ) -> tuple[dict[str, Any], Sequence[Any]] | None:
        """A whole page in one pass, when it is laid out as ``layout`` (its keys, and where the
        records are; see :func:`layout_of`): (the envelope without the records, the models),
        or ``None`` (another layout, or declined: try the general ways). Given ``general``,
        the models are :class:`DeferredModels` (see :meth:`records`)."""
        compiled = self._compiled.get(cls, ABSENT)
        if compiled is ABSENT:
            compiled = self._compile_top(cls)
        if compiled is None:
            return None
        cached = self._pages.get((cls, layout))
        if cached is not None and cached[0] is compiled:
            decode = cached[1]
        else:
            decode = self._compile_page(cls, layout, compiled)
        build = compiled[1]
        keys, records_key, inner_key = layout
        try:
            values = self._msgspec.structs.astuple(decode(raw))
            doc: dict[str, Any] = {}
            models: Sequence[Any] = []
            for key, value in zip(keys, values, strict=True):
                if key == records_key:
                    records = value if inner_key is None else value.records
                    if general is not None:
                        models = DeferredModels(records, build, general)
                    else:
                        models = [build(r) for r in records]
                    doc[key] = PLACEHOLDER if inner_key is None else {inner_key: PLACEHOLDER}
                elif value is not ABSENT:
                    if type(value) in CHECKED and not bounded(value):
                        return None
                    doc[key] = value
        except Exception:  # another layout, the number hook, _Decline, ...
            return None
        return doc, models

    def record_reader(self, cls: type, fallback: Callable[[Any], Any]) -> Callable[..., Any]:
        """``read(document)`` (or ``read(document, cls)``: a cattrs structure hook): the model
        of one parsed ``cls`` record. ``msgspec.convert`` checks the document against the
        class's mirror in C (exact camelCase keys, value types), the mirror's build makes the
        model; anything either refuses goes to ``fallback(document)``, which reads it the
        general way. A refusal for an unknown key hands that model to :meth:`learn`. When a
        refusal taught nothing (PascalCase, a number as a string, ...), the next
        :data:`BACK_OFF` records go straight to ``fallback``: a stream of them costs one
        refused convert per that many records, not one each. Like pages, records are read the
        typed way only while the guard's msgspec parser is on (``_json_guard._ACCELERATED``:
        off is what an install without msgspec has).

        The function returned is generated (see :meth:`_entry`): the checks, the convert and
        the build in one frame, since a wrapper's call was a tenth of a record's time. Its
        state is ``go[0]``: itself while it reads records, else what reads them instead (the
        back-off, or a newer read once a key is learned); threads racing on it only move when
        the mirror is tried again.

        A parsed document did not come through the guard's number hook, so the build checks
        Decimals itself (it does for pages too) and copies ``dict`` fields, as the general
        reader does."""
        go: list[Callable[[Any], Any]] = []
        skip = [0]  # records left to hand straight to fallback
        made: list[Any] = [None, None]  # (the compiled mirror, the read generated for it)
        learn = self.learn

        def refresh(data: Any) -> Any:
            """Read with the newest mirror of ``cls`` (compiled now if a key learned since)."""
            read = self._entry(cls, go, fallback, refused, declined, made)
            go[0] = fallback if read is None else read
            return go[0](data)

        def back_off(data: Any) -> Any:
            skip[0] -= 1
            if skip[0] <= 0:
                go[0] = refresh
            return fallback(data)

        def refused(data: Any, exc: Exception) -> Any:
            result = fallback(data)
            if not ("unknown field" in str(exc) and learn((result,))):
                skip[0] = BACK_OFF
                go[0] = back_off
            return result  # a key learned: learn() pointed go[0] at refresh

        def declined(data: Any) -> Any:  # _Decline, a timestamp, an enum value, ...
            result = fallback(data)
            skip[0] = BACK_OFF
            go[0] = back_off
            return result

        go.append(refresh)
        with self._lock:
            entries = self._entries.setdefault(cls, [])
            if len(entries) >= _MAX_ENTRIES:  # a forgotten one just keeps its older mirror
                del entries[0]
            entries.append((go, refresh))
        read = self._entry(cls, go, fallback, refused, declined, made)
        if read is None:
            return lambda data, _cls=None: fallback(data)
        go[0] = read
        return read

    def _entry(
        self,
        cls: type,
        go: list[Callable[[Any], Any]],
        fallback: Callable[[Any], Any],
        refused: Callable[[Any, Exception], Any],
        declined: Callable[[Any], Any],
        made: list[Any],
    ) -> Callable[..., Any] | None:
        """The generated record read of ``cls`` for one :meth:`record_reader`, or ``None``
        (``cls`` is not read the typed way). ``made`` keeps the last one with the mirror it was
        generated for: the end of every back-off asks again, and only a new mirror (a key
        learned) is worth generating for."""
        compiled = self._compiled.get(cls, ABSENT)
        if compiled is ABSENT:
            compiled = self._compile_top(cls)
        if compiled is None:
            return None
        if made[0] is compiled:
            return made[1]  # type: ignore[no-any-return]
        source: _Source = compiled[4]
        env = {
            **source.env,
            "go": go,
            "guard": _json_guard,
            "fallback": fallback,
            "refused": refused,
            "declined": declined,
            "ValidationError": self._msgspec.ValidationError,
        }
        made[1] = source.compile_entry(f"<extensiv typed record read {cls.__name__}>", env)
        made[0] = compiled
        return made[1]  # type: ignore[no-any-return]

    def _compile_page(self, cls: type, layout: Layout, compiled: _Compiled) -> Callable[[Any], Any]:
        keys, records_key, inner_key = layout
        mirror = compiled[2]
        records: Any = list[mirror]  # type: ignore[valid-type]  # a Struct made at run time
        if inner_key is not None:
            records = self._msgspec.defstruct(
                "_PageEmbedded",
                [("records", records)],
                rename={"records": inner_key},
                forbid_unknown_fields=True,
                gc=False,
            )
        fields: list[tuple[Any, ...]] = []
        for index, key in enumerate(keys):
            fields.append(
                (f"k{index}", records) if key == records_key else (f"k{index}", Any, ABSENT)
            )
        page = self._msgspec.defstruct(
            "_Page",
            fields,
            kw_only=True,
            rename={f"k{index}": key for index, key in enumerate(keys)},
            forbid_unknown_fields=True,
            gc=False,
        )
        decode: Callable[[Any], Any] = self._msgspec.json.Decoder(
            page, float_hook=self._float_hook
        ).decode
        with self._lock:
            if len(self._pages) >= _MAX_PAGE_LAYOUTS:
                self._pages.clear()
            self._pages[(cls, layout)] = (compiled, decode)
        return decode

    def learn(self, models: Iterable[Any]) -> bool:
        """Add the ``extra`` keys of ``models`` (and of the models inside them) to their
        classes' mirrors; whether any was new. ``_embedded`` is never learned: its rels are
        fields or refusals."""
        found: dict[type, set[str]] = {}
        for model in models:
            _collect_extra_keys(model, found, 0)
        with self._lock:
            changed = False
            for cls, keys in found.items():
                known = self._learned.get(cls, ())
                new = [k for k in sorted(keys) if k not in known and _learnable(k)]
                room = MAX_LEARNED_KEYS - len(known)
                if new and room > 0:
                    self._learned[cls] = known + tuple(new[:room])
                    changed = True
            if changed:
                # Every mirror that nests a changed class is rebuilt (when next used); the
                # others are kept: rebuilding all of them costs ~0.2 s.
                touched = set(found)
                for key in [k for k in self._mirrors if self._classes_in(k) & touched]:
                    self._record_builds.pop(self._mirrors.pop(key)[1], None)
                for key in [k for k in self._compiled if self._classes_in(k) & touched]:
                    del self._compiled[key]
                for key, entries in self._entries.items():
                    if self._classes_in(key) & touched:
                        for go, refresh in entries:
                            go[0] = refresh
            return changed

    def _classes_in(self, cls: type) -> frozenset[type]:
        """``cls`` and every model class its mirror nests, however deep (under the lock)."""
        found = self._nesting.get(cls)
        if found is None:
            seen: set[type] = set()
            todo = [cls]
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                for spec in self._plans(current)[0]:
                    todo.extend(_model_classes(spec.type, self._kind, self._codes))
            found = self._nesting[cls] = frozenset(seen)
        return found

    # -- compiling -----------------------------------------------------------------------------

    def _compile_top(self, cls: type) -> _Compiled | None:
        with self._lock:
            found = self._compiled.get(cls, ABSENT)
            if found is not ABSENT:
                return found  # type: ignore[no-any-return]
            try:
                mirror, build, depth = self._mirror(cls, self._mirrors, ())
                if depth + 3 > _MAX_STATIC_DEPTH:  # + the envelope, _embedded, the array
                    raise _Unsupported(f"{cls.__name__} nests too deep")
                records: Any = list[mirror]  # type: ignore[valid-type]  # a Struct made at run time
                decoder = self._msgspec.json.Decoder(records, float_hook=self._float_hook)
                result: _Compiled | None = (
                    decoder.decode,
                    build,
                    mirror,
                    self._record_builds[build],
                    self._record_sources[build],
                )
            except _Unsupported:
                result = None
            self._compiled[cls] = result
            return result

    def _mirror(
        self,
        cls: type,
        mirrors: dict[type, tuple[Any, Callable[[Any], Any], int]],
        stack: tuple[type, ...],
    ) -> tuple[Any, Callable[[Any], Any], int]:
        """(mirror Struct, build function, nesting depth) of ``cls``."""
        if cls in mirrors:
            return mirrors[cls]
        if cls in stack:
            raise _Unsupported(f"{cls.__name__} contains itself")
        fields, _, has_extra = self._plans(cls)
        attr_fields = {f.name: f for f in attrs.fields(cls)}
        if not _plain_slotted(cls, attr_fields):
            raise _Unsupported(cls.__name__)
        w = _Source()
        w.env.update(
            ABSENT=ABSENT,
            DECLINE=_DECLINE,
            DECIMALS=DECIMALS,
            decimal_of=decimal_of,
            Decimal=Decimal,
            bounded=bounded,
            INT_LIMIT=_INT_LIMIT,
            EXP_LIMIT=MAX_NUMBER_DIGITS + 1,
            decline=_decline,
            int=int,
            str=str,
            dict=dict,
            tuple=tuple,
            type=type,
            parse_ts=self._parse_timestamp,
        )
        struct_fields: list[tuple[Any, ...]] = []
        rename: dict[str, str] = {}
        depth = 1
        embedded = [f for f in fields if f.embedded_rel is not None]
        later: list[tuple[int, Any, str, Callable[[str], list[str]]]] = []
        # Flat: every value is the mirror's own (no extra, no conversion, no code for an absent
        # key); a mirror that nests it then builds it inline, without a call.
        flat = not has_extra and not embedded
        for index, spec in enumerate(fields):
            name = f"f{index}"
            rename[name] = spec.wire_name
            tp, inner_depth, convert = self._value(spec.type, mirrors, (*stack, cls), w)
            depth = max(depth, 1 + inner_depth)
            default, absent = _default_of(attr_fields[spec.name], convert, w, index)
            flat = flat and not convert(f"v{index}") and default is not ABSENT
            w.line(1, f"v{index} = r.{name}")
            if spec.embedded_rel is not None:
                # The list may come from _embedded instead: merged, then converted, below.
                struct_fields.append((name, tp, ABSENT))
                if default is not ABSENT and default is not _REQUIRED:
                    absent = f"v{index} = {w.bind('default', default)}"
                later.append((index, tp, absent, convert))
                continue
            if default is _REQUIRED:
                struct_fields.append((name, tp))
            else:
                struct_fields.append((name, tp, default))
            _emit_convert(w, index, default, absent, convert)
        if embedded:
            emb_fields: list[tuple[str, Any, Any]] = []
            emb_rename: dict[str, str] = {}
            w.line(1, "emb = r.emb")
            w.line(1, "if emb is not ABSENT:")
            for index, tp, _, _ in later:
                spec = fields[index]
                for p, prefix in enumerate(self._prefixes):
                    name = f"e{index}_{p}"
                    emb_fields.append((name, tp, ABSENT))
                    emb_rename[name] = prefix + str(spec.embedded_rel)
                    # Two spellings of one rel, or the rel and the direct key: the general
                    # reader keeps the second in extra['_embedded']; not this one's job.
                    w.line(2, f"if emb.{name} is not ABSENT:")
                    w.line(3, f"if v{index} is not ABSENT:")
                    w.line(4, "raise DECLINE")
                    w.line(3, f"v{index} = emb.{name}")
            emb = self._msgspec.defstruct(
                f"_Embedded{cls.__name__}",
                emb_fields,
                kw_only=True,
                rename=emb_rename,
                forbid_unknown_fields=True,
                gc=False,
            )
            struct_fields.append(("emb", emb, ABSENT))
            rename["emb"] = "_embedded"
            depth = max(depth, 2)
        for index, _, absent, convert in later:
            _emit_convert(w, index, ABSENT, absent, convert)
        learned = self._learned.get(cls, ()) if has_extra else ()
        if has_extra:
            w.line(1, "extra = {}")
            for j, key in enumerate(learned):
                name = f"x{j}"
                struct_fields.append((name, Any, ABSENT))
                rename[name] = key
                w.line(1, f"x = r.{name}")
                w.line(1, "if x is not ABSENT:")
                for line in _kept_lines("x"):
                    w.line(2 + line.count("\t"), line.lstrip("\t"))
                w.line(2, f"extra[{key!r}] = x")
        # Slots set directly, as attrs' __init__ would, minus converters that are identities on
        # what the code above produced (checked by _default_of / _plain_slotted).
        stores = [(spec.name, f"v{index}") for index, spec in enumerate(fields)]
        if has_extra:
            stores.append(("extra", "extra"))
        draft = draft_of(cls, [name for name, _ in stores])
        if draft is None:
            w.line(1, f"obj = {w.bind('new', object.__new__)}({w.bind('cls', cls)})")
            for name, value in stores:
                w.line(1, f"{w.bind('set', cls.__dict__[name].__set__)}(obj, {value})")
        else:
            made, drafted = w.bind("cls", cls), w.bind("draft", draft)
            for line in draft_lines("obj", drafted, made, stores):
                w.line(1, line)
        w.line(1, "return obj")
        mirror = self._msgspec.defstruct(
            f"_Mirror{cls.__name__}",
            struct_fields,
            kw_only=True,
            rename=rename,
            forbid_unknown_fields=True,
            gc=False,
        )
        build = w.compile(f"<extensiv typed reader {cls.__name__}>")
        # The same code for parsed records: nested builds are their record builds, and values
        # kept as parsed are not walked (the general path keeps them as they are: a page's
        # limits were the guard's, and a parsed document has been through it or is the
        # caller's own).
        record_env = {
            name: self._record_builds.get(value, value) if name.startswith("build") else value
            for name, value in w.env.items()
        }
        record_env["bounded"] = _within_limits_already
        label = f"<extensiv typed record reader {cls.__name__}>"
        self._record_builds[build] = w.compile(label, record_env)
        # The same again, converting first, for record_reader (see _entry); names bound by
        # the source end in digits, so none is one of those.
        read_env = {**record_env, "convert": self._msgspec.convert, "MIRROR": mirror}
        self._record_sources[build] = w.with_env(read_env)
        self._flat[cls] = tuple(spec.name for spec in fields) if flat else None
        mirrors[cls] = (mirror, build, depth)
        return mirrors[cls]

    def _value(
        self,
        tp: Any,
        mirrors: dict[type, tuple[Any, Callable[[Any], Any], int]],
        stack: tuple[type, ...],
        w: _Source,
    ) -> tuple[Any, int, Callable[[str], list[str]]]:
        """(mirror type, nesting depth, convert) for a model type; ``convert(var)`` gives the
        lines (relative indentation by leading tabs) that turn ``var`` into the model value."""
        c = self._codes
        code, arg = self._kind(tp)
        if code == c["OPT"]:
            inner, depth, convert = self._value(arg, mirrors, stack, w)
            inner_code, _ = self._kind(arg)
            if inner_code == c["DEC"]:
                return Any, depth, lambda v: _decimal_lines(v, optional=True)
            mirror = inner if inner is Any else inner | None

            def optional(v: str) -> list[str]:
                lines = convert(v)
                if not lines:
                    return []
                return [f"if {v} is not None:", *("\t" + line for line in lines)]

            return mirror, depth, optional
        if code in (c["STR"], c["INT"], c["BOOL"]):
            simple = {c["STR"]: str, c["INT"]: self._int64, c["BOOL"]: bool}
            return simple[code], 0, lambda v: []
        if code == c["ANY"]:
            return Any, 0, _kept_lines
        if code == c["DEC"]:
            return Any, 0, lambda v: _decimal_lines(v, optional=False)
        if code == c["DT"]:
            return str, 0, lambda v: [f"{v} = parse_ts({v})"]
        if code == c["ENUM"]:
            table = w.bind("enum", _enum_table(arg))
            return (
                Any,
                0,
                lambda v: [
                    f"if type({v}) is not str and type({v}) is not int:",
                    "\traise DECLINE",
                    f"{v} = {table}[{v}]",
                ],
            )
        if code == c["DICT"]:
            return (
                Any,
                0,
                lambda v: [
                    f"if {v} is None:",
                    f"\t{v} = {{}}",
                    f"elif type({v}) is not dict or not bounded({v}):",
                    "\traise DECLINE",  # a JSON string: the general reader parses it
                    "else:",
                    f"\t{v} = dict({v})",  # a copy, as the general reader makes
                ],
            )
        if code == c["ATTRS"]:
            mirror, build, depth = self._mirror(arg, mirrors, stack)
            names = self._flat.get(arg)
            draft = None if names is None else draft_of(arg, names)
            if names is not None and draft is not None:
                # Built inline: the model's slots stored from the mirror's values.
                made, drafted = w.bind("cls", arg), w.bind("draft", draft)
                stores = [(name, f"t.f{i}") for i, name in enumerate(names)]
                return (
                    mirror,
                    depth,
                    lambda v: [f"t = {v}", *draft_lines(v, drafted, made, stores)],
                )
            fn = w.bind("build", build)
            return mirror, depth, lambda v: [f"{v} = {fn}({v})"]
        if code == c["TUPLE"]:
            item_code, item_arg = self._kind(arg)
            if item_code == c["ATTRS"]:
                mirror, build, depth = self._mirror(item_arg, mirrors, stack)
                fn = w.bind("build", build)
                items = f"tuple([{fn}(x) for x in {{v}}])"
                list_type: Any = list[mirror]  # type: ignore[valid-type]
            elif item_code in (c["STR"], c["INT"]):
                depth = 0
                items = "tuple({v})"
                list_type = list[str] if item_code == c["STR"] else list[self._int64]  # type: ignore[name-defined]
            elif item_code in (c["DICT"], c["ANY"]):
                depth = 0
                items = "tuple({v}) if bounded({v}) else decline()"
                list_type = list[dict[str, Any]] if item_code == c["DICT"] else list[Any]
            else:
                raise _Unsupported(f"tuple of {arg!r}")
            mirror_type: Any = list_type | None
            lines = ["if {v} is None:", "\t{v} = ()"]
            if item_code == c["STR"]:
                mirror_type = list_type | str | None
                lines += [
                    "elif type({v}) is str:",
                    "\t{v} = tuple([p.strip() for p in {v}.split(',') if p.strip()])",
                ]
            lines += ["else:", "\t{v} = " + items]
            return mirror_type, depth + 1, lambda v: [line.format(v=v) for line in lines]
        raise _Unsupported(f"type {tp!r}")


_REQUIRED: Any = object()


def _decline() -> Any:
    raise _DECLINE


def _default_of(
    attr: attrs.Attribute[Any], convert: Callable[[str], list[str]], w: _Source, index: int
) -> tuple[Any, str]:
    """(mirror default, code for an absent key). A plain default that needs no conversion is
    the mirror's own default (no code); anything else is ``ABSENT`` plus the code. attrs
    applies a field's converter to its default, so the code does too (identities here)."""
    default: Any = attr.default
    var = f"v{index}"
    if default is attrs.NOTHING:
        return _REQUIRED, "raise DECLINE"
    converter: Any = attr.converter
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # attrs types it as a function
        if default.takes_self:
            raise _Unsupported(attr.name)
        factory = default.factory
        make = factory if converter is None else (lambda: converter(factory()))
        return ABSENT, f"{var} = {w.bind('factory', make)}()"
    if converter is not None:
        default = converter(default)
    if default is None or not convert(var):
        return default, ""
    return ABSENT, f"{var} = {w.bind('default', default)}"


def _emit_convert(
    w: _Source, index: int, default: Any, absent: str, convert: Callable[[str], list[str]]
) -> None:
    var = f"v{index}"
    lines = convert(var)
    depth = 1
    if default is ABSENT:
        w.line(1, f"if {var} is ABSENT:")
        w.line(2, absent)
        if not lines:
            return
        w.line(1, "else:")
        depth = 2
    for line in lines:
        w.line(depth + line.count("\t"), line.lstrip("\t"))


def _kept_lines(v: str) -> list[str]:
    """A value kept as parsed: integers and containers within the guard's limits."""
    return [
        f"t = type({v})",
        "if t is int:",
        f"\tif not -INT_LIMIT < {v} < INT_LIMIT:",
        "\t\traise DECLINE",
        f"elif (t is dict or t is list) and not bounded({v}):",
        "\traise DECLINE",
    ]


def _decimal_lines(v: str, *, optional: bool) -> list[str]:
    # A cached integer is within bounds, a miss is checked; a Decimal from a page came through
    # the checking number hook, one in a parsed document may be anything: finite, exponent
    # within the guard's.
    lines = [
        f"if type({v}) is int:",
        "\ttry:",
        f"\t\t{v} = DECIMALS[{v}]",
        "\texcept KeyError:",
        f"\t\tif not -INT_LIMIT < {v} < INT_LIMIT:",
        "\t\t\traise DECLINE",
        f"\t\t{v} = decimal_of({v})",
        f"elif type({v}) is Decimal:",
        f"\tif not {v}.is_finite() or ({v} and not -EXP_LIMIT < {v}.adjusted() < EXP_LIMIT):",
        "\t\traise DECLINE",
    ]
    if optional:
        return [*lines, f"elif {v} is not None:", "\traise DECLINE"]
    return [*lines, "else:", "\traise DECLINE"]


def _enum_table(tp: type) -> dict[Any, Any]:
    """Exact member values only; names and other spellings take the general path."""
    table: dict[Any, Any] = {}
    for member in tp:  # type: ignore[attr-defined]
        if type(member.value) in (str, int):
            table.setdefault(member.value, member)
    return table


def _plain_slotted(cls: type, attr_fields: dict[str, attrs.Attribute[Any]]) -> bool:
    """Slots can be set directly: no hooks, validators, or converters that change values."""
    from ._wire_codegen import _IDENTITY_CONVERTERS

    if getattr(cls, "__attrs_post_init__", None) or getattr(cls, "__attrs_pre_init__", None):
        return False
    if not fillable(cls) or not getattr(cls, "__slots__", None):
        return False
    for name, field in attr_fields.items():
        if field.validator is not None or not field.init:
            return False
        if field.converter is not None and field.converter not in _IDENTITY_CONVERTERS:
            return False
        if not hasattr(cls.__dict__.get(name), "__set__"):
            return False
    return True


def _model_classes(tp: Any, kind: Callable[[Any], Kind], codes: dict[str, int]) -> list[type]:
    """The model classes a field of type ``tp`` holds (itself, optional, or a tuple of them)."""
    code, arg = kind(tp)
    if code == codes["OPT"] or code == codes["TUPLE"]:
        return _model_classes(arg, kind, codes)
    return [arg] if code == codes["ATTRS"] else []


def _collect_extra_keys(model: Any, found: dict[type, set[str]], depth: int) -> None:
    if depth > _MAX_STATIC_DEPTH or not attrs.has(type(model)):
        return
    cls = type(model)
    for field in attrs.fields(cls):
        value = getattr(model, field.name)
        if field.name == "extra":
            if value:
                found.setdefault(cls, set()).update(k for k in value if type(k) is str)
        elif attrs.has(type(value)):
            _collect_extra_keys(value, found, depth + 1)
        elif type(value) is tuple:
            for item in value:
                _collect_extra_keys(item, found, depth + 1)


class _Source:
    """Lines of one generated ``build(r)`` and the names they use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {}

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def bind(self, prefix: str, value: Any) -> str:
        for key, known in self.env.items():
            if known is value and key.startswith(prefix):
                return key
        name = f"{prefix}{len(self.env)}"
        self.env[name] = value
        return name

    def compile(self, label: str, env: dict[str, Any] | None = None) -> Callable[[Any], Any]:
        """The build function; ``env`` replaces the names' values (same names)."""
        # Every name is a closure cell: no global lookups, and unlike default arguments (which
        # CPython fills in on every call) cells cost nothing per call.
        env = self.env if env is None else env
        body = "\n".join("    " + line for line in self.lines)
        source = f"def make({', '.join(env)}):\n    def build(r):\n{body}\n    return build\n"
        return _made(source, label, env)

    def with_env(self, env: dict[str, Any]) -> _Source:
        """The same lines over ``env`` (the names' values replaced, more names added)."""
        other = _Source()
        other.lines = list(self.lines)
        other.env = env
        return other

    def compile_entry(self, label: str, env: dict[str, Any]) -> Callable[..., Any]:
        """``read(document, cls=None)``: ``convert(document, MIRROR)`` then the build, in one
        frame, taking ``go[0]`` instead while that is not this function, and ``fallback``
        while msgspec is off; a refusal goes to ``refused(document, exc)`` or
        ``declined(document)``. ``env`` holds those names too."""
        body = "\n".join("        " + line for line in self.lines)
        source = (
            f"def make({', '.join(env)}):\n"
            "    def read(r, _cls=None):\n"
            "        instead = go[0]\n"
            "        if instead is not read:\n"
            "            return instead(r)\n"
            "        if guard._ACCELERATED is None:\n"
            "            return fallback(r)\n"
            "        document = r\n"
            "        try:\n"
            "            r = convert(r, MIRROR)\n"
            f"{body}\n"
            "        except ValidationError as exc:\n"
            "            return refused(document, exc)\n"
            "        except Exception:\n"
            "            return declined(document)\n"
            "    return read\n"
        )
        return _made(source, label, env)


def _made(source: str, label: str, env: dict[str, Any]) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, label, "exec"), {}, namespace)  # noqa: S102 - generated from a model
    made: Callable[..., Any] = namespace["make"](**env)
    return made
