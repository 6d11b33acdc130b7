"""HAL link templates (RFC 6570, the subset the API uses): ``/orders/1{?detail,itemdetail}``.

The API marks such links ``"templated": true``; a client must expand them before use. Simple
``{var}``, form-style query ``{?a,b}`` and continuation ``{&a,b}`` expressions are supported;
unset variables are dropped, values are percent-encoded, sequences are comma-joined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

__all__ = ["expand_link"]

_EXPRESSION = re.compile(r"\{([?&]?)([^}]*)\}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        return ",".join(str(v) for v in value)
    return str(value)


def expand_link(template: str, values: Mapping[str, Any] | None = None) -> str:
    """Expand ``template`` with ``values`` (names matched case-insensitively); a plain href
    comes back unchanged. ``expand_link("/orders/1{?detail}", {"detail": "All"})`` →
    ``"/orders/1?detail=All"``."""
    given = {k.lower(): _text(v) for k, v in (values or {}).items()}

    def replace(match: re.Match[str]) -> str:
        operator, names = match.group(1), [n.strip() for n in match.group(2).split(",")]
        pairs = [(n, given.get(n.lower())) for n in names if n]
        present = [(n, v) for n, v in pairs if v is not None]
        if not operator:
            return ",".join(quote(v, safe="") for _, v in present)
        if not present:
            return ""
        query = "&".join(f"{n}={quote(v, safe=',')}" for n, v in present)
        return ("?" if operator == "?" else "&") + query

    return _EXPRESSION.sub(replace, template)
