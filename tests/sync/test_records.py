"""Pure record rules: payload fingerprints, cursor advancing, lease and claim decisions."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.sync import Cursor, SQLiteStore, StateStoreError, payload_fingerprint

T = datetime(2024, 3, 1, 8, 0)


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    a = {"referenceNum": "SO-1", "orderItems": [{"qty": Decimal("2")}]}
    b = {"orderItems": [{"qty": Decimal("2")}], "referenceNum": "SO-1"}
    c = {"referenceNum": "SO-1", "orderItems": [{"qty": Decimal("3")}]}

    assert payload_fingerprint(a) == payload_fingerprint(b)
    assert payload_fingerprint(a) != payload_fingerprint(c)
    assert 64 == len(payload_fingerprint(a))


@settings(max_examples=50, deadline=None)
@given(
    batches=st.lists(
        st.dictionaries(st.text("abc", min_size=1, max_size=3), st.integers(0, 3600), max_size=6),
        max_size=6,
    ),
    overlap=st.integers(0, 600),
)
def test_advancing_never_lowers_the_watermark_and_keeps_only_the_window(
    batches: list[dict[str, int]], overlap: int
) -> None:
    cursor = Cursor(channel="main", action="a")
    for batch in batches:
        before = cursor.watermark
        cursor = cursor.advanced(
            {k: T + timedelta(seconds=s) for k, s in batch.items()},
            overlap=timedelta(seconds=overlap),
            now=T,
        )
        if before is not None:
            assert cursor.watermark is not None
            assert before <= cursor.watermark
        if cursor.watermark is not None:
            floor = cursor.watermark - timedelta(seconds=overlap)
            assert all(t >= floor for t in cursor.seen.values())
    every = [T + timedelta(seconds=s) for b in batches for s in b.values()]
    assert (max(every) if every else None) == cursor.watermark


def test_a_corrupt_file_is_a_state_store_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database" * 100)

    with pytest.raises(StateStoreError, match="cannot open"):
        SQLiteStore(path)
