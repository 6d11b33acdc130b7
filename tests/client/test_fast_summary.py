from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector import wire
from extensiv_connector.client.resources.inventory import fast_stock_summary
from extensiv_connector.models import StockSummary

numbers = st.one_of(
    st.none(), st.integers(-(10**9), 10**9), st.decimals(allow_nan=False, allow_infinity=False)
)
keys = {
    "totalReceived": numbers,
    "Allocated": numbers,
    "available": numbers,
    "onHold": numbers,
    "OnHand": numbers,
    "orderedNotAllocated": numbers,
    "qualifier": st.one_of(st.none(), st.text(max_size=4)),
    "facilityId": st.one_of(st.none(), st.integers(0, 10**6)),
    "itemIdentifier": st.fixed_dictionaries(
        {}, optional={"sku": st.text(max_size=6), "Id": st.integers(0, 10**6)}
    ),
    "unmodelled": st.text(max_size=3),
}
docs = st.fixed_dictionaries({}, optional=keys)  # type: ignore[arg-type]


@given(doc=docs)
def test_fast_path_equals_the_generic_converter(doc: dict[str, Any]) -> None:
    assert wire.make_converter().structure(doc, StockSummary) == fast_stock_summary(doc)


def test_unusual_shapes_fall_back_to_the_converter() -> None:
    assert (None, None, None) == (
        fast_stock_summary({"available": "12"}),
        fast_stock_summary({"itemIdentifier": "ABC"}),
        fast_stock_summary([1]),
    )


def test_documented_row() -> None:
    row = wire.loads(
        '{"itemIdentifier": {"sku": "A", "id": 1}, "qualifier": "", "totalReceived": 10,'
        ' "allocated": 4, "available": 5.5, "onHold": 0, "onHand": 6, "facilityId": 3}'
    )
    summary = fast_stock_summary(row)
    assert summary is not None
    assert ("A", Decimal("5.5"), 3) == (
        summary.item_identifier.sku,
        summary.available,
        summary.facility_id,
    )
