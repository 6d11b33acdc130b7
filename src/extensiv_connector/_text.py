"""Identifier text hygiene: refuse control characters in host identifiers, show them escaped.

Control characters (C0, DEL, C1), lone surrogates and the Unicode line/paragraph separators in
an order number, SKU or reference would reach the warehouse, logs and terminals as invisible or
line-breaking text (a NUL cuts C strings; a lone surrogate cannot even be encoded as UTF-8, so
a SQL store refuses it).
"""

from __future__ import annotations

import unicodedata

from .errors import Violation

__all__ = ["check_plain_text", "display_text", "escape_unsafe", "is_unsafe"]

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def is_unsafe(ch: str) -> bool:
    """True for a control character, lone surrogate or line/paragraph separator."""
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def check_plain_text(path: str, text: str, out: list[Violation]) -> None:
    """Add an error to ``out`` when identifier ``text`` holds an unsafe character. The message
    names the field and the code point, never the text itself, so it is safe to log."""
    if text.isprintable():  # no C* or Z* character but the space: none is unsafe (common case)
        return
    for index, ch in enumerate(text):
        if is_unsafe(ch):
            out.append(
                Violation(
                    path,
                    f"contains control character U+{ord(ch):04X} at position {index}",
                    rule="text.control",
                )
            )
            return


def escape_unsafe(text: str) -> str:
    """``text`` with every unsafe character escaped (``\\u001b``), whatever its length."""
    if text.isprintable():
        return text
    return "".join(f"\\u{ord(ch):04x}" if is_unsafe(ch) else ch for ch in text)


def display_text(text: str, limit: int = 80) -> str:
    """``text`` safe for a message: unsafe characters escaped (``\\u0000``); at most ``limit``
    characters, a longer result cut to end with "…"."""
    shown = escape_unsafe(text[:limit])
    if len(text) <= limit and len(shown) <= limit:
        return shown
    return shown[: limit - 1] + "…"
