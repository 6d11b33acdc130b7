"""Parse untrusted JSON (API answers, error bodies, webhook bodies, stored state) safely.

``json.loads`` alone lets hostile bytes escape as non-library errors or burn CPU: deep nesting
raises ``RecursionError``, ``NaN``/``Infinity`` parse and later break ``int()``, a 55-byte
``1E+1000000`` costs minutes once something calls ``int()`` on it, and a lone ``\\ud800`` escape
parses but cannot be encoded again (SQLite, logs). :func:`parse` refuses all of these up front,
each as a :class:`~extensiv_connector.errors.WireFormatError` naming the JSON path.

The success path adds ``bytes.translate`` pre-scans to the C parser (``bench/json_guard.py``);
the integer hook runs only when the text has a long run of digits, the surrogate check only
when it has ``\\u`` escapes. Paths are found only once a document is refused. With msgspec,
bytes (and text) are first read the plain way (:func:`_plain_parse`): one pre-scan for both
limits, no decode/encode round trip; anything it is not sure of takes the full path, which
words every refusal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from . import _json_decode
from .errors import WireFormatError

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "MAX_NUMBER_DIGITS",
    "check_number",
    "checked_decimal",
    "parse",
    "plain",
]

#: Deepest nesting accepted. Extensiv documents are under 10 levels; 64 leaves room for host
#: data in ``extra`` while keeping every recursive walk far from Python's recursion limit.
MAX_DEPTH = 64
#: Longest number literal accepted, in characters (``0.000123`` style prices need ~20).
MAX_NUMBER_CHARS = 100
#: Largest magnitude accepted: integers of at most this many digits, and decimals whose
#: exponent stays within ±this (ids are 64-bit: 20 digits).
MAX_NUMBER_DIGITS = 40

# Both pre-scans work on bytes with one ``bytes.translate`` each (C speed; a regex over the
# whole text would cost as much as the parse itself).
# Depth: keep only brackets (one kind: the parser checks that they match) and quotes.
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b'[]{}"')
# Integers: every digit becomes "0"; a run of MAX_NUMBER_DIGITS + 1 zeros may be an integer
# too long to accept (or digits in a string: then merely the slower, checking decoder).
_DIGITS = bytes.maketrans(b"0123456789", b"0000000000")
# A high surrogate escape not followed by a low one, or a low one not preceded by a high one.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)

_LONE_SURROGATE_BYTES = re.compile(_LONE_SURROGATE.pattern.encode())


class _Refused(Exception):  # noqa: N818 - internal signal, becomes a WireFormatError with a path
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _int(text: str) -> int:
    digits = len(text) - (text[0] == "-")
    if digits > MAX_NUMBER_DIGITS:
        raise _Refused(f"integer with {digits} digits (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"number literal of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    try:
        value = Decimal(text)
    except InvalidOperation:  # an exponent beyond what Decimal can hold at all
        raise _Refused("number magnitude out of range (exponent beyond any decimal)") from None
    problem = check_number(value)
    if problem:
        raise _Refused(problem)
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def check_number(value: Decimal | float) -> str:
    """Why ``value`` is not an acceptable number ("" when it is): finite, bounded magnitude."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "expected a finite number"
        value = Decimal(repr(value))
    if not value.is_finite():
        return "expected a finite number"
    if value and abs(value.adjusted()) > MAX_NUMBER_DIGITS:
        return f"number magnitude out of range (exponent {value.adjusted()})"
    return ""


# Non-integers always go through the checking hook (they are few); integers only when the text
# could hold a long one, otherwise C-speed int parsing is kept.
_STRICT = json.JSONDecoder(parse_float=_decimal, parse_int=_int, parse_constant=_constant)
_FAST = json.JSONDecoder(parse_float=_decimal, parse_constant=_constant)
_LONG_RUN = b"0" * (MAX_NUMBER_DIGITS + 1)
# msgspec (the ``speed`` extra), same checking hook for non-integers. It only ever accepts: any
# refusal (its own, or the hook's) re-parses with the standard library, whose errors and paths
# are the contract. Documents with a long digit run skip it (it has no integer hook).
_ACCELERATED = _json_decode.accelerated(_decimal)
_REFUSED = object()


def _accelerated(raw: bytes) -> Any:
    """msgspec's parse, or ``_REFUSED`` for anything it (or the number hook) will not accept."""
    assert _ACCELERATED is not None
    try:
        return _ACCELERATED(raw)
    except Exception:  # msgspec.DecodeError, _Refused, ...: the stdlib path names the problem
        return _REFUSED


def _maybe_surrogate(text: str) -> bool:
    """A lone surrogate escape may be present (the regex also matches after an escaped
    backslash). A single-character search first: it is memchr, ``"\\u" in`` is not."""
    return "\\" in text and "\\u" in text and _LONE_SURROGATE.search(text) is not None


def _long_digit_run(raw: bytes) -> bool:
    return _LONG_RUN in raw.translate(_DIGITS)


def _unescaped(raw: bytes) -> bytes:
    """``raw`` without escaped backslashes, then escaped quotes: every quote left delimits."""
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    return raw


def _too_deep(raw: bytes, limit: int) -> bool:
    """True when brackets outside strings nest deeper than ``limit``; linear-time, no recursion."""
    return _marks_too_deep(_unescaped(raw).translate(_BRACKETS, _NOT_BRACKETS), limit)


# The plain way's one pre-scan keeps what both limits need: brackets (one kind), quotes,
# digits (all "0") and commas (which keep the digits of neighbouring numbers apart).
_MARKS_AND_DIGITS = bytes.maketrans(b"{}0123456789", b"[]0000000000")
_NOT_MARKS_OR_DIGITS = bytes(b for b in range(256) if b not in b'[]{}"0123456789,')


def _surely_within_limits(raw: bytes, limit: int) -> bool:
    """True only if ``raw`` (JSON the parser accepts) has no digit run longer than
    MAX_NUMBER_DIGITS and nests at most ``limit`` deep: then :func:`_long_digit_run` and
    :func:`_too_deep` are both false. One ``bytes.translate`` of the whole text, the rest on
    what it keeps. Dropping characters only joins digit runs, never splits one, so a text
    without a long run in what is kept has none (with one, the exact check decides)."""
    kept = _unescaped(raw).translate(_MARKS_AND_DIGITS, _NOT_MARKS_OR_DIGITS)
    if _LONG_RUN in kept:
        return False
    return not _marks_too_deep(kept.translate(None, b"0,"), limit)


def _marks_too_deep(brackets: bytes, limit: int) -> bool:
    """:func:`_too_deep` on the text's quotes and brackets (one kind), escapes removed."""
    if len(brackets) <= 2 * limit:  # quotes included: too few characters to nest that deep
        return False
    # A string without brackets is now '""'. When every run of quotes has an even length (so
    # removing the pairs '""' would leave no quote), no string holds a bracket: its opening
    # quote would end a run at an odd count. The quotes then just go (one translate and one count
    # are cheaper than removing thousands of pairs). Otherwise cut the strings out
    # exactly: removing adjacent quote pairs keeps every other quote's parity, so the strings
    # left are cut out of ``without`` (few quotes) rather than of ``brackets``.
    only = brackets.translate(None, b'"')
    if len(brackets) - len(only) == 2 * brackets.count(b'""'):
        brackets = only
    else:
        without = brackets.replace(b'""', b"")
        brackets = without if b'"' not in without else b"".join(without.split(b'"')[::2])
    for _ in range(limit):  # each pass peels exactly the innermost level
        inner = brackets.replace(b"[]", b"")
        if not inner or inner == brackets:
            return False  # balanced within the limit, or malformed: the parser says where
        brackets = inner
    return True


def parse(text: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON with exact numbers (non-integers as ``Decimal``); refuse hostile documents.

    Raises :class:`WireFormatError` for: bytes that are not UTF-8, invalid JSON (with line and
    column), nesting deeper than ``max_depth``, ``NaN``/``Infinity``, numbers too long or too
    large (see :data:`MAX_NUMBER_DIGITS`), and lone UTF-16 surrogate escapes.
    """
    if _ACCELERATED is not None:
        document = _plain_parse(text, max_depth)
        if document is not _REFUSED:
            return document
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WireFormatError("$", f"not UTF-8 text (byte {exc.start})") from None
    elif text.startswith("\ufeff"):
        text = text[1:]
    raw = text.encode("utf-8", "surrogatepass")
    if _too_deep(raw, max_depth):
        raise WireFormatError("$", f"nested deeper than {max_depth} levels")
    long_run = _long_digit_run(raw)
    if _ACCELERATED is not None and not long_run:
        document = _accelerated(raw)
        if document is not _REFUSED and not _maybe_surrogate(text):
            return document
    decoder = _STRICT if long_run else _FAST
    try:
        document = decoder.decode(text)
    except _Refused as refused:
        raise WireFormatError(_locate_number(text), refused.message) from None
    except json.JSONDecodeError as exc:
        raise WireFormatError(
            "$", f"not JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:  # only when the caller's own stack is already nearly exhausted
        raise WireFormatError("$", "nested too deeply for the current stack") from None
    if _maybe_surrogate(text):
        where = _find(document, _has_surrogate, "$")
        if where is not None:  # the regex also matches an escaped backslash before "u"
            raise WireFormatError(where, "lone UTF-16 surrogate escape in a string")
    return document


_BOM = b"\xef\xbb\xbf"


def _plain_parse(text: str | bytes | bytearray, max_depth: int) -> Any:
    """What :func:`parse` returns for a document it accepts, read the quick way (msgspec after
    one pre-scan, no decode/encode round trip for bytes), or ``_REFUSED``: not sure, take the
    full path, which also words every refusal. Refuses what the full path may refuse: a
    byte-order mark, bytes that are not UTF-8 (Python's decoder decides, as there), anything
    :func:`_surely_within_limits` is not sure of, anything msgspec or the number hook refuses,
    and a possible lone surrogate escape."""
    if type(text) is str:
        if text[:1] == "\ufeff":
            return _REFUSED
        raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate: not UTF-8, msgspec refuses
    elif type(text) is bytes or type(text) is bytearray:
        raw = bytes(text)
        if raw[:3] == _BOM:
            return _REFUSED
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return _REFUSED
    else:
        return _REFUSED  # not a documented argument type: the full path says what it says
    if not _surely_within_limits(raw, max_depth):
        return _REFUSED
    if b"\\" in raw and b"\\u" in raw and _LONE_SURROGATE_BYTES.search(raw):
        return _REFUSED
    return _accelerated(raw)


def plain(raw: bytes) -> bool:
    """No byte-order mark and no lone surrogate escape: what msgspec reads of ``raw`` is then
    what :func:`parse` reads, but for the limits a typed reader must check itself: depth,
    integer size (and non-integers, through :func:`checked_decimal`)."""
    if raw[:3] == b"\xef\xbb\xbf":
        return False
    return not (b"\\" in raw and b"\\u" in raw and _LONE_SURROGATE_BYTES.search(raw))


def checked_decimal(text: str) -> Decimal:
    """The number hook of :func:`parse`: a non-integer literal as an exact, bounded Decimal;
    raises (a non-library exception, to be turned into a re-parse) otherwise."""
    return _decimal(text)


# -- error path only: find where the refused value sits -------------------------------------


class _Marker:
    pass


_MARK = _Marker()


def _mark_number(text: str) -> Any:
    try:
        _decimal(text) if any(c in text for c in ".eE") else _int(text)
    except _Refused:
        return _MARK
    return 0


def _is_mark(value: Any) -> bool:
    return value is _MARK


def _has_surrogate(value: Any) -> bool:
    return isinstance(value, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def _locate_number(text: str) -> str:
    """The JSON path of the first refused number, re-parsing leniently (depth already checked)."""
    lenient = json.JSONDecoder(
        parse_float=_mark_number, parse_int=_mark_number, parse_constant=lambda _: _MARK
    )
    try:
        document = lenient.decode(text)
    except ValueError:  # the refused number came before a syntax error: no path to name
        return "$"
    found = _find(document, _is_mark, "$")
    return found if found is not None else "$"


_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]{0,39}$")


def _segment(key: str) -> str:
    """A path segment that is safe to print: hostile keys are clipped and escaped."""
    if _PLAIN_KEY.match(key):
        return f".{key}"
    return f"[{key[:40]!a}]"


def _find(value: Any, hit: Callable[[Any], bool], path: str) -> str | None:
    if hit(value):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            if hit(key):
                return f"{path}{_segment(key)}"
            found = _find(item, hit, path + _segment(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _find(item, hit, f"{path}[{i}]")
            if found is not None:
                return found
    return None
