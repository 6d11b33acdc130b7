"""The JSON parser behind :func:`extensiv_connector.wire.loads`: msgspec when installed (the
``speed`` extra), else the standard library. Both give the same values: objects as dicts,
integers as ``int``, every other number as an exact ``Decimal`` (never a float).

msgspec is 2–3× faster than ``json`` on the stock-summary pages (``bench/decode.py``) and hands
the literal text of each non-integer to ``float_hook``, so ``Decimal`` stays exact. orjson was
measured too and is not used: it parses numbers to ``float`` first, which loses digits past 17.
The two refuse the same malformed documents with a ``ValueError``; msgspec also refuses the
non-standard ``NaN``/``Infinity`` literals and lone surrogate escapes that ``json`` lets through.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["BACKEND", "decode", "decode_pure"]


def decode_pure(text: str | bytes) -> Any:
    """The standard-library parser (also the reference the accelerated one is tested against)."""
    return json.loads(text, parse_float=Decimal)


def _accelerated() -> tuple[str, Callable[[str | bytes], Any]]:
    try:
        import msgspec
    except ImportError:
        return "json", decode_pure
    decoder = msgspec.json.Decoder(float_hook=Decimal)
    # msgspec.DecodeError is a ValueError: callers that catch ValueError keep working.
    return "msgspec", decoder.decode


#: ``"msgspec"`` or ``"json"``: which parser :func:`decode` is.
BACKEND, decode = _accelerated()
