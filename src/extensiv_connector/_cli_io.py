"""What the command line reads and writes: one snake_case JSON schema, aligned tables, a
progress line on stderr, and input files turned into models with errors that say where."""

from __future__ import annotations

import argparse
import contextlib
import enum
import json
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit

import attrs

from . import wire
from ._text import escape_unsafe
from .errors import ExtensivError, InputError, WireFormatError

__all__ = [
    "InputError",
    "Output",
    "Progress",
    "host_of",
    "jsonable",
    "note_host",
    "read_input",
    "read_levels",
]


def host_of(base_url: str) -> str:
    """The ``host[:port]`` of an API base URL, for error messages."""
    parts = urlsplit(base_url)
    return parts.netloc or base_url


def note_host(args: argparse.Namespace, base_url: str) -> None:
    """Remember the API host so a network error can name it."""
    args._host = host_of(base_url)


def jsonable(value: Any) -> Any:
    """Host models and results as plain JSON data with snake_case keys (the CLI's one schema).

    Decimals are JSON numbers, datetimes ISO 8601, enums their value; the ``extra`` dict of
    unknown wire fields is left out.
    """
    if attrs.has(type(value)):
        return {
            f.name.lstrip("_"): jsonable(getattr(value, f.name))
            for f in attrs.fields(type(value))
            if f.name != "extra"
        }
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


class Output:
    """stdout for data (JSON lines, or tables for people), stderr for summaries and progress.

    Every line is flushed before ``line`` returns: a pull acknowledges a record only after
    its line is out of the process. Inside :meth:`whole_lines`, Ctrl-C never cuts a line in
    half: it is raised once the line being written is complete.
    """

    def __init__(self, out: TextIO, err: TextIO, *, as_json: bool, quiet: bool) -> None:
        self.out, self.err, self.as_json, self.quiet = out, err, as_json, quiet
        self._writing = False
        self._interrupted = False

    @contextlib.contextmanager
    def whole_lines(self) -> Iterator[None]:
        """Defer SIGINT that arrives mid-line to the end of the line (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_sigint(signum: int, frame: FrameType | None) -> None:
            if self._writing:
                self._interrupted = True
                return
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def line(self, row: Any) -> None:
        text = wire.dumps(jsonable(row)) + "\n"
        self._writing = True
        try:
            self.out.write(text)
            self.out.flush()
        finally:
            self._writing = False
        if self._interrupted:
            self._interrupted = False
            raise KeyboardInterrupt

    def text(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """A human remark on stderr (suppressed by --quiet)."""
        if not self.quiet:
            self.err.write(text + "\n")
            self.err.flush()

    def rows(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        """JSON lines with --json, else an aligned table (a header and one row per item)."""
        if self.as_json:
            for row in rows:
                self.line(row)
            return
        self.text(table(rows, columns))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, Mapping):
        return " ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    # A host's data may hold control characters (an ANSI escape in a name would repaint the
    # operator's terminal): show them escaped, as every message does.
    return escape_unsafe(str(jsonable(value)).replace("\n", " "))


def table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """An aligned plain-text table; numbers right-aligned."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    numeric = [
        all(isinstance(row.get(c), (int, float, Decimal)) for row in rows if row.get(c) is not None)
        for c in columns
    ]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def fmt(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines = [fmt([c.upper() for c in columns]), *(fmt(r) for r in cells)]
    return "\n".join(lines) if cells else lines[0] + "\n(none)"


class Progress:
    """``done, total`` as one self-overwriting stderr line, at most ten times a second.

    Drawn only on a terminal and without --quiet; otherwise it costs one comparison a call.
    """

    def __init__(self, err: TextIO, label: str, *, enabled: bool) -> None:
        self._err, self._label, self._enabled = err, label, enabled
        self._t0 = self._last = time.monotonic()
        self._drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done != total:
            return
        self._last = now
        rate = done / max(now - self._t0, 1e-9)
        of = f"/{total:,}" if total is not None else ""
        self._err.write(f"\r{self._label}: {done:,}{of} records ({rate:,.0f}/s)\x1b[K")
        self._err.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._err.write("\r\x1b[K")
            self._err.flush()


def progress_enabled(err: TextIO, quiet: bool) -> bool:
    isatty = getattr(err, "isatty", None)
    return not quiet and bool(isatty and isatty())


# ---------------------------------------------------------------------------- input


def _load_json(path: Path | None, what: str) -> tuple[Any, str]:
    if path is None:
        raise InputError(f"{what} needs --input FILE (a JSON file, or '-' for standard input)")
    name = "standard input" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--input {name}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--input {name}: cannot read it ({exc})") from None
    try:
        # The guarded reader: a hostile file is refused like a hostile API answer.
        return wire.loads(text), name
    except WireFormatError as exc:
        raise InputError(f"--input {name}: {_json_problem(text, exc)}") from None


def _json_problem(text: str, exc: WireFormatError) -> str:
    """The syntax error with line and column when the text is not JSON at all, else the guard's
    reason (too deep, ``NaN``, an oversized number) with its JSON path."""
    try:
        json.loads(text)
    except json.JSONDecodeError as syntax:
        return f"not valid JSON at line {syntax.lineno}, column {syntax.colno}: {syntax.msg}"
    except (RecursionError, ValueError):
        pass
    return str(exc)


def read_input(path: Path | None, what: str, cls: type[Any]) -> list[Any]:
    """A JSON list of host records (``cls``), each structured with its position in errors."""
    data, name = _load_json(path, what)
    if not isinstance(data, list):
        raise InputError(f"--input {name}: expected a JSON list of records, got {_kind(data)}")
    converter = wire.make_converter()
    records = []
    for index, item in enumerate(data):
        try:
            records.append(converter.structure(item, cls))
        except (ExtensivError, ValueError, TypeError, KeyError) as exc:
            raise InputError(f"--input {name}: record [{index}]: {_reason(exc)}") from None
    return records


def read_levels(path: Path | None, what: str) -> dict[str, Decimal]:
    """``{"sku": level, ...}`` with every level a number."""
    data, name = _load_json(path, what)
    if not isinstance(data, dict):
        raise InputError(f'--input {name}: expected an object {{"SKU": level}}, got {_kind(data)}')
    levels: dict[str, Decimal] = {}
    for sku, raw in data.items():
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            levels[str(sku)] = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            raise InputError(f"--input {name}: level of {sku!r} is not a number: {raw!r}") from None
        if not levels[str(sku)].is_finite():
            raise InputError(f"--input {name}: level of {sku!r} is not a finite number: {raw!r}")
    return levels


def _kind(value: Any) -> str:
    kinds: dict[type[Any], str] = {dict: "an object", list: "a list", str: "a string"}
    return kinds.get(type(value), type(value).__name__)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    notes = getattr(exc, "exceptions", None)  # cattrs ClassValidationError groups the causes
    if notes:
        text = "; ".join(_reason(e) for e in notes)
    return text or type(exc).__name__
