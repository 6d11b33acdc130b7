"""Collections: ``pgsiz``/``pgnum`` paging, ``rql`` filters, ``sort`` and the page links."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Request, Response

from . import _errors as err
from . import _rql as rql
from ._call import Args, Call
from ._render import collection, respond
from ._warehouse import Doc, copy_doc

__all__ = ["page_links", "page_of", "paging", "query", "select"]


def paging(args: Args, cap: int, default: int) -> tuple[int, int]:
    """``(pgsiz, pgnum)``; 400 NotParsable when either is not a positive integer or the size
    is over ``cap``."""

    def number(name: str, fallback: int) -> int:
        raw = args.get(name)
        if raw is None or raw == "":
            return fallback
        try:
            return int(raw)
        except ValueError:
            raise err.query_parameter("NotParsable", f"{name} must be an integer", [name]) from None

    size, page = number("pgsiz", default), number("pgnum", 1)
    if size < 1:
        raise err.query_parameter("NotParsable", "pgsiz must be positive", ["pgsiz"])
    if size > cap:
        raise err.query_parameter(
            "NotParsable", f"pgsiz limit is {cap}, specifying more is an error", ["pgsiz"]
        )
    if page < 1:
        raise err.query_parameter("NotParsable", "pgnum must be positive", ["pgnum"])
    return size, page


def page_links(request: Request, args: Args, size: int, page: int, total: int) -> dict[str, str]:
    """``self``, and ``next``/``prev`` where those pages exist (relative hrefs)."""

    def href(number: int) -> str:
        pairs = [(k, v) for k, v in args.pairs if k.lower() not in ("pgnum", "pgsiz")]
        pairs += [("pgsiz", str(size)), ("pgnum", str(number))]
        return request.path + "?" + urlencode(pairs, quote_via=quote, safe=",")

    links = {"self": href(page)}
    if page * size < total:
        links["next"] = href(page + 1)
    if page > 1:
        links["prev"] = href(page - 1)
    return links


def query(args: Args, known: set[str]) -> rql.Node | None:
    """The parsed ``rql`` filter; a property whose first segment is not in ``known`` is an
    :class:`~._rql.RqlError` (400 NotParsable)."""
    text = args.get("rql")
    if text is None or not text.strip():
        return None
    node = rql.parse(text)
    unknown = sorted({".".join(p) for p in rql.properties(node) if p[0] not in known})
    if unknown:
        raise rql.RqlError("Properties not supported: " + ",".join(unknown))
    return node


def select(
    docs: list[Doc],
    args: Args,
    known: set[str],
    cap: int,
    default_size: int,
    default_sort: tuple[str, ...],
) -> tuple[list[Doc], int, int, int]:
    """Filter, sort and cut one page: ``(page, total, pgsiz, pgnum)``."""
    node = query(args, known)
    if node is not None:
        docs = [d for d in docs if rql.evaluate(node, d)]
    sort = args.get("sort")
    keys = rql.parse_sort(sort) if sort else []
    docs = rql.sort_records(docs, keys or [(default_sort, False)])
    size, page = paging(args, cap, default_size)
    start = (page - 1) * size
    return docs[start : start + size], len(docs), size, page


def page_of(
    call: Call,
    rel: str,
    docs: list[Doc],
    known: set[str],
    cap: int,
    default_size: int,
    default_sort: tuple[str, ...],
    item_links: Callable[[Doc], dict[str, str]] | None = None,
) -> Response:
    """The 200 answer for one page of ``docs`` (see :func:`select`)."""
    page, total, size, number = select(docs, call.args, known, cap, default_size, default_sort)
    rows = copy_doc(page)
    body = collection(
        is_hal=call.is_hal,
        rel=rel,
        records=rows,
        total=total,
        links=page_links(call.request, call.args, size, number, total),
        item_links=[item_links(r) for r in rows] if item_links else None,
    )
    return respond(200, call.is_hal, body)
