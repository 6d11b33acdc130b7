"""Stock summaries -> host inventory levels; stock details -> lot-level levels."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from ..errors import ValidationError, Violation
from ..models import (
    InventoryLevel,
    StockDetail,
    StockSummary,
)
from ._common import (
    InventoryTranslation,
    TranslationConfig,
)

__all__ = [
    "stock_summaries_to_inventory",
    "stock_summary_to_inventory",
]


def _level(
    summary: StockSummary, sku: str, factor: Decimal, *, clamp: bool = True
) -> InventoryLevel:
    def q(value: Decimal | None) -> Decimal:
        return (value or Decimal(0)) / factor

    available = q(summary.available)
    return InventoryLevel(
        sku=sku,
        available=_whole_packs(max(Decimal(0), available), factor) if clamp else available,
        on_hand=q(summary.on_hand),
        allocated=q(summary.allocated),
        on_hold=q(summary.on_hold),
        facility_id=summary.facility_id,
    )


def _whole_packs(available: Decimal, factor: Decimal) -> Decimal:
    # A host unit of several warehouse units (a pack) is only sellable whole: 100 eaches are
    # 16 six-packs, not 16.67.
    return available if factor == 1 else available // 1


def stock_summary_to_inventory(summary: StockSummary, config: TranslationConfig) -> InventoryLevel:
    """One stock-summary row in host SKU and units; ``available`` never below zero.
    Raises :class:`ValidationError` for a channel SKU without a mapping (hold policy)."""
    sku = config.sku_mappings.to_host(summary.item_identifier.sku or "", "itemIdentifier.sku")
    if sku.held:
        raise ValidationError(sku.violations, "stock summary")
    return _level(summary, sku.sku, sku.pack_factor)


def stock_summaries_to_inventory(
    summaries: Iterable[StockSummary],
    config: TranslationConfig,
    *,
    qualifiers: Iterable[str] | None = None,
) -> InventoryTranslation:
    """Rows summed per host SKU and facility, ``available`` clamped at zero after summing.

    Rows of every qualifier add up unless ``qualifiers`` lists the ones to count (``""`` is
    the unqualified stock); channel SKUs sharing a host SKU add up too. Unmapped channel SKUs
    are skipped and reported as warnings.
    """
    wanted = None if qualifiers is None else {q.casefold() for q in qualifiers}
    totals: dict[tuple[str, int | None], InventoryLevel] = {}
    factors: dict[tuple[str, int | None], Decimal] = {}
    violations: list[Violation] = []
    for index, summary in enumerate(summaries):
        if wanted is not None and (summary.qualifier or "").casefold() not in wanted:
            continue
        sku = config.sku_mappings.to_host(
            summary.item_identifier.sku or "", f"summaries[{index}].itemIdentifier.sku"
        )
        if sku.held:
            violations.extend(
                attrs.evolve(v, severity="warning", message=v.message + " (skipped)")
                for v in sku.violations
            )
            continue
        level = _level(summary, sku.sku, sku.pack_factor, clamp=False)
        key = (level.sku, level.facility_id)
        factors[key] = sku.pack_factor
        if key in totals:
            prev = totals[key]
            level = attrs.evolve(
                prev,
                available=prev.available + level.available,
                on_hand=prev.on_hand + level.on_hand,
                allocated=prev.allocated + level.allocated,
                on_hold=prev.on_hold + level.on_hold,
            )
        totals[key] = level
    levels = tuple(
        attrs.evolve(v, available=_whole_packs(max(Decimal(0), v.available), factors[k]))
        for k, v in totals.items()
    )
    return InventoryTranslation(levels=levels, violations=tuple(violations))


def stock_details_to_lot_levels(
    details: Iterable[StockDetail], config: TranslationConfig
) -> InventoryTranslation:
    """Receive-item rows summed per host SKU, lot number and expiry date.

    ``available`` counts only sellable stock: rows that are held (``isOnHold``) or in
    quarantine (``quarantined``) add their unallocated quantity to ``on_hold`` instead.
    Unmapped channel SKUs are skipped with a warning, as for summaries.
    """
    totals: dict[tuple[str, str, datetime | None], InventoryLevel] = {}
    violations: list[Violation] = []
    for index, row in enumerate(details):
        sku = config.sku_mappings.to_host(
            row.item_identifier.sku or "", f"details[{index}].itemIdentifier.sku"
        )
        if sku.held:
            violations.extend(
                attrs.evolve(v, severity="warning", message=v.message + " (skipped)")
                for v in sku.violations
            )
            continue
        factor = sku.pack_factor
        free = (row.available or Decimal(0)) / factor
        held = bool(row.is_on_hold or row.quarantined)
        key = (sku.sku, row.lot_number or "", row.expiration_date)
        prev = totals.get(key)
        level = InventoryLevel(
            sku=sku.sku,
            available=Decimal(0) if held else free,
            on_hand=(row.on_hand or Decimal(0)) / factor,
            on_hold=free if held else Decimal(0),
            lot_number=row.lot_number or "",
            expiration_date=row.expiration_date,
        )
        if prev is not None:
            level = attrs.evolve(
                prev,
                available=prev.available + level.available,
                on_hand=prev.on_hand + level.on_hand,
                on_hold=prev.on_hold + level.on_hold,
            )
        totals[key] = level
    levels = tuple(attrs.evolve(v, available=max(Decimal(0), v.available)) for v in totals.values())
    return InventoryTranslation(levels=levels, violations=tuple(violations))
