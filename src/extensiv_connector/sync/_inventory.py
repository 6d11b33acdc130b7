"""Available-to-promise: pure arithmetic over a warehouse snapshot and what is in flight."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from ._results import LevelChange

__all__ = ["available_to_promise", "level_changes"]

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
