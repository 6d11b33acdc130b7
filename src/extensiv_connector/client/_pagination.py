"""Lists as iterators of records, paged by ``pgnum``/``pgsiz`` behind the scenes.

Stop rule (all documented signals): an empty page; ``pgnum * pgsiz >= totalResults``; a page
that has ``_links`` but no ``next``; and, only when neither a total nor links are present, a
short page. Stock summaries may carry no links at all, so the total decides there.

Concurrent mode: once page 1 tells the total, pages 2..N are fetched by a small thread pool with
at most ``window`` pages requested-but-not-yet-yielded, and records are yielded in page order.
Memory is bounded by ``window`` pages whatever the collection size.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

import attrs

__all__ = ["PAGE_CAPS", "FetchedPage", "iterate_records", "page_is_last", "page_size_for"]

T = TypeVar("T")

#: Documented maximum ``pgsiz`` per collection; more is an error on the server.
#: ``facilities`` is not documented [U]; 100 is the conservative guess.
PAGE_CAPS: dict[str, int] = {
    "orders": 1000,
    "stocksummaries": 500,
    "stockdetails": 500,
    "receivers": 500,
    "items": 100,
    "customers": 100,
    "facilities": 100,
    "inventory": 1000,
    "orders/summaries": 1000,
    "receiverdigests": 1000,
    "itemaliases": 100,  # [U] not documented; the items cap
    "locations": 1000,  # [U] not documented
}


def page_size_for(resource: str, requested: int | None, overrides: dict[str, int]) -> int:
    """The page size to ask for: the request, else an override, else the cap; never above it."""
    cap = overrides.get(resource, PAGE_CAPS.get(resource, 100))
    cap = min(cap, PAGE_CAPS.get(resource, cap))
    size = cap if requested is None else requested
    if size < 1:
        raise ValueError(f"page size must be positive, got {size}")
    return min(size, cap)


@attrs.frozen
class FetchedPage(Generic[T]):
    records: Sequence[T]
    total_results: int | None
    has_links: bool
    next_href: str | None


def page_is_last(pgnum: int, pgsiz: int, page: FetchedPage[T]) -> bool:
    """Is ``page`` (number ``pgnum``, asked with ``pgsiz``) the last one? Pure."""
    if not page.records:
        return True
    if page.total_results is not None and pgnum * pgsiz >= page.total_results:
        return True
    if page.has_links and page.next_href is None:
        return True
    return page.total_results is None and not page.has_links and len(page.records) < pgsiz


def iterate_records(
    fetch: Callable[[int, int], FetchedPage[T]],
    page_size: int,
    *,
    concurrency: int = 1,
    window: int | None = None,
) -> Iterator[T]:
    """Yield every record of a collection, in order.

    ``fetch(pgnum, pgsiz)`` returns one page. With ``concurrency > 1`` pages after the first are
    fetched in parallel, at most ``window`` (default ``2 * concurrency``) at a time.
    """
    first = fetch(1, page_size)
    yield from first.records
    if page_is_last(1, page_size, first):
        return
    if concurrency <= 1 or first.total_results is None:
        yield from _sequential(fetch, page_size, start=2)
        return
    last_page = math.ceil(first.total_results / page_size)
    yield from _concurrent(fetch, page_size, last_page, concurrency, window or 2 * concurrency)


def _sequential(fetch: Callable[[int, int], FetchedPage[T]], size: int, start: int) -> Iterator[T]:
    pgnum = start
    while True:
        page = fetch(pgnum, size)
        yield from page.records
        if page_is_last(pgnum, size, page):
            return
        pgnum += 1


def _concurrent(
    fetch: Callable[[int, int], FetchedPage[T]],
    size: int,
    last_page: int,
    workers: int,
    window: int,
) -> Iterator[T]:
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="extensiv-page")
    pending: deque[tuple[int, Future[FetchedPage[T]]]] = deque()
    next_to_submit = 2
    try:
        while True:
            while next_to_submit <= last_page and len(pending) < max(1, window):
                pending.append((next_to_submit, executor.submit(fetch, next_to_submit, size)))
                next_to_submit += 1
            if not pending:
                return
            pgnum, future = pending.popleft()
            page = future.result()
            yield from page.records
            if page_is_last(pgnum, size, page):
                return
            if pgnum == last_page:
                # The total grew while we paged: carry on one page at a time.
                yield from _sequential(fetch, size, start=pgnum + 1)
                return
    finally:
        for _, future in pending:
            future.cancel()
        executor.shutdown(wait=False, cancel_futures=True)
