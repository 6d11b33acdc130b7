"""Canonical (camelCase, lines inline) documents → the two wire forms (HAL and plain JSON).

HAL (``application/hal+json``): camelCase, child lists under ``_embedded`` rel keys
``http://api.3plCentral.com/rels/...`` (capital C), ``_links`` keys ``http://api.3plcentral.com/
rels/...`` (lower c), collections with ``totalResults`` and relative ``next``/``prev`` hrefs.
Plain JSON: PascalCase, child lists inline (``OrderItems``), collections in ``ResourceList`` /
``TotalResults``. Stock summaries: ``summaries``/``Summaries`` at the top level. The response
helpers at the end build the werkzeug answers every handler returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Response

from . import _errors as err
from ._wh_model import StockRow, copy_doc

__all__ = [
    "EMBED_REL",
    "HAL_TYPE",
    "JSON_TYPE",
    "LINK_REL",
    "canonical_body",
    "collection",
    "dumps",
    "fault_response",
    "hal",
    "json_response",
    "pascal",
    "render_one",
    "respond",
    "summaries_body",
    "text_response",
]

HAL_TYPE = "application/hal+json; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"

EMBED_REL = "http://api.3plCentral.com/rels/"
LINK_REL = "http://api.3plcentral.com/rels/"

#: canonical child-list key → HAL rel
CHILD_RELS = {
    "orderItems": "orders/item",
    "receiveItems": "inventory/receiveritem",
}
_REL_TO_KEY = {
    "orders/item": "orderItems",
    "inventory/receiveritem": "receiveItems",
    "orders/packagecontent": "packageContents",
    "orders/package": "packages",
}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _dumps_pure(document: Any) -> bytes:
    return json.dumps(document, default=_json_default, separators=(",", ":")).encode("utf-8")


def _encoder() -> Callable[[Any], bytes]:
    """msgspec's encoder when the ``speed`` extra is installed: it writes a ``Decimal`` as its
    exact JSON number in C, where ``json`` calls a Python ``default`` hook for every quantity
    (three quarters of the sandbox's CPU on a stock-summary page). Else the standard library."""
    try:
        import msgspec
    except ImportError:
        return _dumps_pure
    encode: Callable[[Any], bytes] = msgspec.json.Encoder(decimal_format="number").encode
    return encode


#: The document as UTF-8 JSON bytes; quantities (``Decimal``) as JSON numbers.
dumps = _encoder()


def _pascal_key(key: str) -> str:
    if not key or key[0] in "_$":
        return key
    return key[0].upper() + key[1:]


def pascal(value: Any) -> Any:
    """camelCase → PascalCase keys, recursively (values untouched)."""
    if isinstance(value, dict):
        return {_pascal_key(k): pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return value


def _camel_key(key: str) -> str:
    known = _CAMEL_KEYS.get(key)
    if known is not None:
        return known
    if not key or key[0] in "_$":
        camel = key
    elif key.isupper():
        camel = key.lower()
    else:
        camel = key[0].lower() + key[1:]
    if len(_CAMEL_KEYS) >= 4096:  # request bodies may carry any names: bounded
        _CAMEL_KEYS.clear()
    _CAMEL_KEYS[key] = camel
    return camel


#: ``_camel_key`` of the names seen (the API's few hundred, request after request).
_CAMEL_KEYS: dict[str, str] = {}
#: Values a body holds that ``canonical_body`` keeps as they are, told apart without a call.
_SCALARS: frozenset[type[Any]] = frozenset({str, int, float, bool, type(None), Decimal})


def canonical_body(value: Any) -> Any:
    """A request body in either casing → canonical camelCase; HAL ``_embedded`` child lists
    (order items, receive items, package contents) become inline lists; ``_links`` dropped."""
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else canonical_body(v) for v in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    embedded: dict[str, Any] = {}
    for key, item in value.items():
        lowered = key.lower()
        if lowered == "_links":
            continue
        if lowered == "_embedded" and isinstance(item, dict):
            for rel, records in item.items():
                tail = rel.lower().split("/rels/")[-1]
                name = _REL_TO_KEY.get(tail)
                if name is not None:
                    embedded[name] = canonical_body(records)
            continue
        result[_camel_key(key)] = item if type(item) in _SCALARS else canonical_body(item)
    for name, records in embedded.items():
        result.setdefault(name, records)
    return result


def hal(doc: dict[str, Any], links: dict[str, str] | None = None) -> dict[str, Any]:
    """One canonical document → HAL (child lists moved under ``_embedded``)."""
    out: dict[str, Any] = {}
    embedded: dict[str, Any] = {}
    for key, value in doc.items():
        rel = CHILD_RELS.get(key)
        if rel is not None and isinstance(value, list):
            embedded[EMBED_REL + rel] = value
        else:
            out[key] = value
    if links:
        out["_links"] = {
            name if name in ("self", "edit") else LINK_REL + name: _link(href)
            for name, href in links.items()
        }
    if embedded:
        out["_embedded"] = embedded
    return out


def _link(href: str) -> dict[str, Any]:
    """A HAL link; an RFC 6570 template (``/orders/1{?detail}``) is marked ``templated``."""
    return {"href": href, "templated": True} if "{" in href else {"href": href}


def collection(
    *,
    is_hal: bool,
    rel: str,
    records: list[dict[str, Any]],
    total: int,
    links: dict[str, str],
    item_links: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A page in HAL (``_embedded`` under ``rel``; ``rel == "item"`` → bare ``item`` key) or
    plain-JSON (``ResourceList``) form."""
    if is_hal:
        body: dict[str, Any] = dict(extra or {})
        body["totalResults"] = total
        body["_links"] = {name: {"href": href} for name, href in links.items()}
        key = "item" if rel == "item" else EMBED_REL + rel
        rendered = [hal(r, item_links[i] if item_links else None) for i, r in enumerate(records)]
        body["_embedded"] = {key: rendered}
        return body
    body = {_pascal_key(k): pascal(v) for k, v in (extra or {}).items()}
    body["TotalResults"] = total
    body["ResourceList"] = [pascal(r) for r in records]
    return body


# ---------------------------------------------------------------------------- stock summaries

#: Value types a cached row may hold: immutable, so only the row's own methods change it.
_SCALARS = frozenset({str, int, float, bool, Decimal, type(None)})
_ONA = "orderedNotAllocated"
#: The keys whose PascalCase form is the page's ``OrderedNotAllocated`` (only these two).
_PAGE_KEYS = frozenset({_ONA, "OrderedNotAllocated"})
_ONA_KEYS = {True: b',"orderedNotAllocated":', False: b',"OrderedNotAllocated":'}
_NULL = dumps(None)
#: (HAL?, with ``"orderedNotAllocated":null}``?) -> key of that rendering in ``StockRow.cache``
_CACHE_KEYS = {(False, False): 0, (True, False): 1, (False, True): 2, (True, True): 3}


def _cacheable(row: StockRow) -> bool:
    """Whether ``row``'s rendering can be kept until it changes: every value an immutable
    scalar or a nested :class:`StockRow` it owns (whose changes drop ``row``'s cache), and no
    key the page adds (``orderedNotAllocated``, or the same in PascalCase)."""
    if not row or not _PAGE_KEYS.isdisjoint(row):
        return False
    for value in row.values():
        kind = type(value)
        if kind in _SCALARS:
            continue
        if (
            kind is StockRow
            and value.owner is row
            and _SCALARS.issuperset(map(type, value.values()))
        ):
            continue
        return False
    return True


def _row_bytes(row: dict[str, Any], is_hal: bool, closed: bool) -> bytes | None:
    """The row's JSON, cached on the row: without its closing brace (``closed`` False), or
    whole with ``"orderedNotAllocated":null`` appended (True). None if it can't be cached."""
    cache = row.cache if type(row) is StockRow else None
    key = _CACHE_KEYS[is_hal, closed]
    if cache is not None:
        found = cache.get(key)
        if found is not None:
            return found
    if type(row) is not StockRow or not _cacheable(row):
        return None
    text = dumps(row if is_hal else pascal(row))
    # An encoded non-empty object ends in "}": the page adds orderedNotAllocated before it.
    text = text[:-1] + _ONA_KEYS[is_hal] + _NULL + b"}" if closed else text[:-1]
    if cache is None:
        row.cache = cache = {}
    cache[key] = text
    return text


def _row_uncached(row: dict[str, Any], ona: Any, is_hal: bool) -> bytes:
    """A row as the page has always rendered it: a copy with ``orderedNotAllocated`` set."""
    copy = copy_doc(row)
    copy[_ONA] = ona
    return dumps(copy if is_hal else pascal(copy))


def summaries_body(
    *,
    is_hal: bool,
    rows: Sequence[dict[str, Any]],
    ona: Sequence[Any] | None,
    total: int,
    links: dict[str, str] | None,
) -> bytes:
    """A stock-summary page: the bytes :func:`dumps` gives for ``{"totalResults": total,
    "summaries": [row + orderedNotAllocated, ...], "_links": ...}`` (PascalCase keys in plain
    JSON; ``_links`` only in HAL, when given). ``ona`` holds each row's
    ``orderedNotAllocated`` (``None``: not asked for, ``null``). Each row's JSON is reused
    until the row changes. Call it under the warehouse lock: the rows are live."""
    parts: list[bytes] = []
    if ona is None:
        for row in rows:
            part = _row_bytes(row, is_hal, True)
            parts.append(part if part is not None else _row_uncached(row, None, is_hal))
    else:
        ona_key = _ONA_KEYS[is_hal]
        for row, value in zip(rows, ona, strict=True):
            head = _row_bytes(row, is_hal, False)
            if head is None:
                parts.append(_row_uncached(row, value, is_hal))
            else:
                parts.append(head + ona_key + dumps(value) + b"}")
    opening = b'{"totalResults":' if is_hal else b'{"TotalResults":'
    middle = b',"summaries":[' if is_hal else b',"Summaries":['
    closing = b"]}"
    if is_hal and links is not None:
        closing = b'],"_links":' + dumps({k: {"href": v} for k, v in links.items()}) + b"}"
    return opening + dumps(total) + middle + b",".join(parts) + closing


# ---------------------------------------------------------------------------- responses


def render_one(is_hal: bool, doc: dict[str, Any], links: dict[str, str] | None) -> Any:
    """One resource in the form the request asked for."""
    return hal(doc, links) if is_hal else pascal(doc)


def respond(
    status: int,
    is_hal: bool,
    document: Any,
    etag: str | None = None,
    location: str | None = None,
) -> Response:
    """A resource or page answer, with ``ETag``/``Location`` when given."""
    headers = {}
    if etag:
        headers["ETag"] = etag
    if location:
        headers["Location"] = location
    return Response(
        dumps(document),
        status=status,
        headers=headers,
        content_type=HAL_TYPE if is_hal else JSON_TYPE,
    )


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A plain JSON answer (token, bearer and fault bodies)."""
    return Response(dumps(body), status=status, headers=dict(headers or {}), content_type=JSON_TYPE)


def text_response(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    """A plain-text answer (500s, routing errors)."""
    return Response(
        text.encode("utf-8"),
        status=status,
        headers=dict(headers or {}),
        content_type="text/plain; charset=utf-8",
    )


def fault_response(fault: err.ApiFault) -> Response:
    """The answer an :class:`~._errors.ApiFault` describes (JSON body, else plain text)."""
    if fault.body is not None:
        return json_response(fault.status, fault.body, headers=fault.headers)
    return text_response(fault.status, fault.text or "", headers=fault.headers)
