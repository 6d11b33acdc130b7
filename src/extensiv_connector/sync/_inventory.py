"""Available-to-promise: pure arithmetic over a warehouse snapshot and what is in flight."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..models import Order, StockSummary
from ._results import LevelChange

__all__ = [
    "available_to_promise",
    "level_changes",
    "promisable",
    "unreserved_quantities",
    "warehouse_available",
    "warehouse_key",
]

_ZERO = Decimal(0)


def available_to_promise(
    warehouse_available: Mapping[str, Decimal],
    in_flight: Mapping[str, Decimal],
    buffers: Mapping[str, Decimal],
    default_buffer: Decimal = _ZERO,
) -> dict[str, Decimal]:
    """Per SKU: warehouse available − sent-but-unallocated − buffer, never below zero.

    ``in_flight`` holds quantities the connector sent that the warehouse has not allocated
    yet (they are still counted as available there, but are promised already).
    """
    result: dict[str, Decimal] = {}
    for sku, available in warehouse_available.items():
        atp = available - in_flight.get(sku, _ZERO) - buffers.get(sku, default_buffer)
        result[sku] = atp if atp > _ZERO else _ZERO
    return result


def level_changes(
    atp: Mapping[str, Decimal],
    host_levels: Mapping[str, Decimal],
    skus: Iterable[str] | None = None,
) -> tuple[LevelChange, ...]:
    """What to tell the host for each SKU: the absolute level and the delta against its own.

    A SKU the host tracks but the warehouse does not report is promised as zero.
    """
    keys = sorted(set(atp) | set(host_levels)) if skus is None else list(skus)
    changes = []
    for sku in keys:
        target = atp.get(sku, _ZERO)
        current = host_levels.get(sku)
        changes.append(
            LevelChange(
                sku=sku,
                available_to_promise=target,
                host_level=current,
                delta=target - (current if current is not None else _ZERO),
            )
        )
    return tuple(changes)


def warehouse_key(sku: str) -> str:
    """How warehouse SKUs are compared: the warehouse resolves SKUs case-insensitively."""
    return sku.strip().casefold()


def warehouse_available(summaries: Iterable[StockSummary]) -> dict[str, Decimal]:
    """Available stock per warehouse SKU (``warehouse_key``) in primary units, every facility
    and qualifier summed, not clamped (a negative row offsets a positive one)."""
    stock: dict[str, Decimal] = {}
    for summary in summaries:
        key = warehouse_key(summary.item_identifier.sku or "")
        stock[key] = stock.get(key, _ZERO) + (summary.available or _ZERO)
    return stock


def unreserved_quantities(
    orders: Iterable[Order], references: Container[str]
) -> dict[str, Decimal]:
    """Per warehouse SKU, primary units: what this channel's open orders (``references``) ask
    for that the warehouse has not allocated yet. The warehouse still counts that stock as
    available, but it is promised already.

    Line allocations come from ``itemdetail=Allocations`` (``readOnly.allocations``); a line
    marked fully allocated without them counts as reserved.
    """
    totals: dict[str, Decimal] = {}
    for order in orders:
        read_only = order.read_only
        if order.reference_num not in references or (read_only and read_only.is_closed):
            continue
        for item in order.order_items:
            if item.qty is None:
                continue
            line = item.read_only
            if line is not None and line.fully_allocated:
                continue
            missing = item.qty - _allocated(line.extra if line is not None else {})
            if missing > _ZERO:
                key = warehouse_key(item.item_identifier.sku or "")
                totals[key] = totals.get(key, _ZERO) + missing
    return totals


def _allocated(extra: Mapping[str, Any]) -> Decimal:
    rows = extra.get("allocations") or extra.get("Allocations") or ()
    total = _ZERO
    for row in rows if isinstance(rows, list) else ():
        qty = row.get("qty", row.get("Qty")) if isinstance(row, Mapping) else None
        if isinstance(qty, int | float | str | Decimal) and not isinstance(qty, bool):
            try:
                total += Decimal(str(qty))
            except ArithmeticError:
                continue  # a malformed allocation row reserves nothing we can count
    return total


def promisable(
    available: Mapping[str, Decimal], unreserved: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Per warehouse SKU: available − sent but unreserved, never below zero."""
    result: dict[str, Decimal] = {}
    for key, have in available.items():
        left = have - unreserved.get(key, _ZERO)
        result[key] = left if left > _ZERO else _ZERO
    return result
