from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.client import PAGE_CAPS, FetchedPage, iterate_records, page_is_last
from extensiv_connector.client._pagination import page_size_for


def fake_collection(
    total: int, *, links: bool = True, report_total: bool = True
) -> tuple[list[tuple[int, int]], Callable[[int, int], FetchedPage[int]]]:
    calls: list[tuple[int, int]] = []
    lock = threading.Lock()

    def fetch(pgnum: int, pgsiz: int) -> FetchedPage[int]:
        with lock:
            calls.append((pgnum, pgsiz))
        start = (pgnum - 1) * pgsiz
        records = list(range(start, min(total, start + pgsiz)))
        more = start + pgsiz < total
        return FetchedPage(
            records=records,
            total_results=total if report_total else None,
            has_links=links,
            next_href=f"/x?pgnum={pgnum + 1}" if links and more else None,
        )

    return calls, fetch


def test_documented_page_caps() -> None:
    expected = {"orders": 1000, "stocksummaries": 500, "stockdetails": 500, "receivers": 500}
    assert expected == {k: PAGE_CAPS[k] for k in expected}
    assert (100, 100) == (PAGE_CAPS["items"], PAGE_CAPS["customers"])


def test_requested_page_size_never_exceeds_the_cap() -> None:
    assert (500, 100, 40) == (
        page_size_for("stocksummaries", 5000, {}),
        page_size_for("items", None, {"items": 250}),
        page_size_for("orders", None, {"orders": 40}),
    )


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (FetchedPage([], 10, True, "/n"), True),
        (FetchedPage([1], 10, True, "/n"), False),
        (FetchedPage([1], 2, True, "/n"), True),  # 2 * 1 >= 2 by totalResults
        (FetchedPage([1], 99, True, None), True),  # links without next
        (FetchedPage([1], 99, False, None), False),  # stock summaries: no links, total decides
        (FetchedPage([1], None, False, None), True),  # nothing known: short page ends it
        (FetchedPage([1, 2], None, False, None), False),
    ],
)
def test_stop_rule(page: FetchedPage[int], expected: bool) -> None:
    assert expected == page_is_last(1, 2, page)


@settings(deadline=None, max_examples=40)
@given(
    total=st.integers(0, 60),
    size=st.integers(1, 9),
    workers=st.integers(1, 4),
    links=st.booleans(),
    report_total=st.booleans(),
)
def test_every_record_once_in_order_whatever_the_mode(
    total: int, size: int, workers: int, links: bool, report_total: bool
) -> None:
    if not links and not report_total:
        report_total = True  # short-page rule alone cannot end an exact multiple
    calls, fetch = fake_collection(total, links=links, report_total=report_total)
    records = list(iterate_records(fetch, size, concurrency=workers))
    assert list(range(total)) == records
    assert max(1, -(-total // size)) == len(calls)


def test_concurrent_paging_keeps_at_most_window_pages_ahead() -> None:
    outstanding = 0
    peak = 0
    lock = threading.Lock()
    _, inner = fake_collection(1000)

    def fetch(pgnum: int, pgsiz: int) -> FetchedPage[int]:
        nonlocal outstanding, peak
        with lock:
            outstanding += 1
            peak = max(peak, outstanding)
        return inner(pgnum, pgsiz)

    consumed = 0
    for record in iterate_records(fetch, 10, concurrency=4, window=3):
        if record % 10 == 9:  # last record of a page: that page leaves memory
            with lock:
                outstanding -= 1
        consumed += 1
    assert (1000, True) == (consumed, peak <= 1 + 3)


def test_abandoning_the_iterator_stops_fetching() -> None:
    calls, fetch = fake_collection(10_000)
    iterator = iterate_records(fetch, 10, concurrency=2, window=2)
    first = [next(iterator) for _ in range(15)]
    # Typed as an Iterator; the test closes the generator behind it, as a dropped loop does.
    iterator.close()  # type: ignore[attr-defined]
    seen = len(calls)
    assert (list(range(15)), True) == (first, seen <= 1 + 2 + 2)
