"""Stock details -> lot-level host inventory (``receive_inventory_levels(detail="lots")``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.models import InventoryLevel, ItemIdentifier, StockDetail
from extensiv_connector.translate import stock_details_to_lot_levels

from ._support import make_config

JAN = datetime(2027, 1, 31)


def _row(
    lot: str,
    available: int,
    on_hand: int,
    *,
    is_on_hold: bool | None = None,
    quarantined: bool | None = None,
) -> StockDetail:
    return StockDetail(
        item_identifier=ItemIdentifier(sku="LOT-SKU"),
        lot_number=lot,
        expiration_date=JAN if lot else None,
        available=Decimal(available),
        on_hand=Decimal(on_hand),
        is_on_hold=is_on_hold,
        quarantined=quarantined,
    )


def test_rows_of_one_lot_add_up_and_held_or_quarantined_stock_is_not_available() -> None:
    rows = [
        _row("A", 3, 5),
        _row("A", 2, 2),
        _row("B", 4, 4, is_on_hold=True),
        _row("C", 1, 1, quarantined=True),
    ]

    levels = stock_details_to_lot_levels(rows, make_config()).levels

    assert [
        InventoryLevel(sku="LOT-SKU", available=5, on_hand=7, lot_number="A", expiration_date=JAN),
        InventoryLevel(
            sku="LOT-SKU", available=0, on_hand=4, on_hold=4, lot_number="B", expiration_date=JAN
        ),
        InventoryLevel(
            sku="LOT-SKU", available=0, on_hand=1, on_hold=1, lot_number="C", expiration_date=JAN
        ),
    ] == list(levels)


_rows = st.lists(
    st.builds(
        _row,
        lot=st.sampled_from(["", "A", "B"]),
        available=st.integers(0, 50),
        on_hand=st.integers(0, 50),
        is_on_hold=st.booleans(),
        quarantined=st.booleans(),
    ),
    max_size=20,
)


@given(_rows)
def test_lot_levels_sum_to_the_sellable_and_held_totals(rows: list[StockDetail]) -> None:
    levels = stock_details_to_lot_levels(rows, make_config()).levels

    sellable = sum(
        (r.available or 0 for r in rows if not (r.is_on_hold or r.quarantined)), Decimal(0)
    )
    held = sum((r.available or 0 for r in rows if r.is_on_hold or r.quarantined), Decimal(0))
    assert (sellable, held) == (
        sum((lvl.available for lvl in levels), Decimal(0)),
        sum((lvl.on_hold for lvl in levels), Decimal(0)),
    )
    assert len({(lvl.sku, lvl.lot_number, lvl.expiration_date) for lvl in levels}) == len(levels)
