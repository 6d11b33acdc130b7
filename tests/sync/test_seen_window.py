"""``SeenWindow`` (the memory store's incremental key window) follows ``Cursor.advanced``."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.sync import Cursor, MemoryStore, SQLiteStore, StateStore
from extensiv_connector.sync.store._window import SeenWindow

T0 = datetime(2024, 3, 1, 8, 0)

batches = st.lists(
    st.dictionaries(
        st.sampled_from([f"k{i}" for i in range(15)]),
        st.integers(0, 120).map(lambda s: T0 + timedelta(seconds=s)),
        max_size=6,
    ),
    max_size=12,
)


@given(batches=batches, overlap=st.integers(0, 60), max_keys=st.integers(1, 10))
def test_seen_window_keeps_exactly_the_keys_cursor_advanced_keeps(
    batches: list[dict[str, datetime]], overlap: int, max_keys: int
) -> None:
    window = SeenWindow()
    cursor = Cursor(channel="c", action="a")
    for batch in batches:
        cursor = cursor.advanced(
            batch, overlap=timedelta(seconds=overlap), now=T0, max_keys=max_keys
        )
        mark = cursor.watermark
        floor = None if mark is None else mark - timedelta(seconds=overlap)
        window.add(batch, floor=floor, max_keys=max_keys)

        assert cursor.seen == window.times


@given(
    batches=batches,
    overlap=st.integers(0, 60),
    max_keys=st.integers(1, 10),
    sqlite=st.booleans(),
)
def test_store_cursor_commit_keeps_what_cursor_advanced_keeps(
    batches: list[dict[str, datetime]], overlap: int, max_keys: int, sqlite: bool
) -> None:
    store: StateStore = SQLiteStore(":memory:") if sqlite else MemoryStore()
    cursor = Cursor(channel="c", action="a")
    try:
        for batch in batches:
            cursor = cursor.advanced(
                batch, overlap=timedelta(seconds=overlap), now=T0, max_keys=max_keys
            )
            mark = store.cursor_commit(
                "c", "a", batch, overlap=timedelta(seconds=overlap), max_keys=max_keys
            )
            stored = store.cursor_get("c", "a")

            assert (cursor.watermark, cursor.watermark, cursor.seen) == (
                mark,
                stored.watermark,
                stored.seen,
            )
    finally:
        store.close()


def test_a_long_pull_remembers_only_the_keys_inside_the_overlap_window() -> None:
    from extensiv_connector.sync._pull import COMMIT_EVERY, _Handed

    handed = _Handed(timedelta(minutes=1))
    for i in range(20_000):
        handed.add(f"k{i}", T0 + timedelta(seconds=i))

    assert "k19999" in handed
    assert "k19940" in handed  # exactly at the floor: kept
    assert "k0" not in handed
    assert len(handed._times) <= 2 * 61 + COMMIT_EVERY
