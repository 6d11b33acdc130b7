"""Which JSON parser is available: msgspec when installed (the ``speed`` extra), else the
standard library. Both give the same values: objects as dicts, integers as ``int``, every other
number as an exact ``Decimal`` (never a float).

msgspec is 2–3× faster than ``json`` on the stock-summary pages (``bench/decode.py``) and hands
the literal text of each non-integer to ``float_hook``, so ``Decimal`` stays exact. orjson was
measured too and is not used: it parses numbers to ``float`` first, which loses digits past 17.

Nothing here is guarded: untrusted input goes through ``wire.loads`` (``_json_guard.parse``),
which uses :func:`accelerated` behind the same limits and errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["BACKEND", "accelerated", "decode", "decode_pure"]


def decode_pure(text: str | bytes) -> Any:
    """The standard-library parser (also the reference the accelerated one is tested against)."""
    return json.loads(text, parse_float=Decimal)


def accelerated(float_hook: Callable[[str], Any]) -> Callable[[bytes], Any] | None:
    """A msgspec decoder handing each non-integer literal to ``float_hook``; None without msgspec.

    Exceptions raised by ``float_hook`` propagate unchanged.
    """
    try:
        import msgspec
    except ImportError:
        return None
    decoder: Callable[[bytes], Any] = msgspec.json.Decoder(float_hook=float_hook).decode
    return decoder


_FAST = accelerated(Decimal)

#: ``"msgspec"`` or ``"json"``: which parser :func:`decode` (and ``wire.loads``) uses.
BACKEND = "json" if _FAST is None else "msgspec"


def decode(text: str | bytes) -> Any:
    """Parse trusted JSON (tests, benches) with the fastest parser; no hostile-input limits."""
    if _FAST is None:
        return decode_pure(text)
    return _FAST(text.encode() if isinstance(text, str) else text)
