"""Order lines resolved to the warehouse's stock before allocation (pure, no I/O).

Stock belongs to the warehouse: one number per warehouse SKU, in primary units. An order line
may name that stock in many ways: the host SKU, an alias (a UPC), a case variant (``w-6pk``),
a second host SKU mapped onto the same warehouse SKU, or a pack of ``pack_factor`` units. Each
such name becomes a one-component kit of its warehouse SKU, so the allocator

- takes stock in warehouse units (a pack of 6 takes 6),
- splits packs only whole (kits are split in whole kits),
- makes every name of one item compete for the same units.

Configured kits keep working: their components are host SKUs, which resolve the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from ..backorder import BackorderPolicy
from ..mapping import SkuMapping
from ..models import SalesOrder
from ._inventory import warehouse_key

__all__ = ["AllocationInputs", "allocation_inputs", "stock_key", "warehouse_skus"]

# Stock keys carry a prefix no host SKU has, so a host SKU never collides with a warehouse
# SKU of another item (host "A" -> warehouse "B" while host "B" -> warehouse "C").
_PREFIX = "\x1fwh:"


def stock_key(warehouse_sku: str) -> str:
    """The allocator's key for a warehouse SKU's stock."""
    return _PREFIX + warehouse_key(warehouse_sku)


@attrs.frozen(kw_only=True)
class AllocationInputs:
    """What ``backorder.allocate`` needs: stock per ``stock_key`` and the policy with one
    kit per SKU name the batch uses."""

    stock: dict[str, Decimal]
    policy: BackorderPolicy


def _names(orders: Iterable[SalesOrder], kits: Mapping[str, Mapping[str, Decimal]]) -> set[str]:
    """Every SKU name the batch uses, including configured kits' components."""
    pending = [line.sku for order in orders for line in order.lines]
    names: set[str] = set()
    while pending:
        name = pending.pop()
        if name in names:
            continue
        names.add(name)
        pending.extend(kits.get(name, ()))
    return names


def warehouse_skus(
    orders: Iterable[SalesOrder], policy: BackorderPolicy, skus: SkuMapping
) -> dict[str, str]:
    """Host SKU name (as typed) -> the warehouse SKU it takes stock from (configured kits are
    left out: their components are listed instead)."""
    return {
        name: skus.to_channel(name).sku
        for name in _names(orders, policy.kits)
        if name not in policy.kits
    }


def allocation_inputs(
    orders: Iterable[SalesOrder],
    available: Mapping[str, Decimal],
    policy: BackorderPolicy,
    skus: SkuMapping,
) -> AllocationInputs:
    """``available``: promisable stock per ``warehouse_key``, in primary units.

    Per-SKU safety buffers (host units) become buffers of the warehouse SKU in primary units
    (the largest when several names share one); the default buffer applies per warehouse SKU.
    """
    orders = tuple(orders)
    kits: dict[str, dict[str, Decimal]] = dict(policy.kits)
    buffers: dict[str, Decimal] = {}
    stock = {_PREFIX + key: amount for key, amount in available.items()}
    groups: dict[str, list[tuple[str, Decimal]]] = {}
    for name in _names(orders, policy.kits):
        if name not in policy.kits:
            resolved = skus.to_channel(name)
            groups.setdefault(warehouse_key(resolved.sku), []).append((name, resolved.pack_factor))
    for key, names in groups.items():
        if len(names) == 1 and names[0][1] == 1:
            # The only name of this item in the batch, unit for unit: its stock goes under the
            # name itself (the allocator's fast path; kits cost more per line).
            name = names[0][0]
            stock[name] = stock.pop(_PREFIX + key, Decimal(0))
            if name in policy.safety_buffer:
                buffers[name] = policy.safety_buffer[name]
            continue
        for name, factor in names:
            kits[name] = {_PREFIX + key: factor}
            buffer = policy.safety_buffer.get(name)
            if buffer is not None:
                held = buffers.get(_PREFIX + key, Decimal(0))
                buffers[_PREFIX + key] = max(held, buffer * factor)
    if kits == policy.kits and buffers == policy.safety_buffer:
        return AllocationInputs(stock=stock, policy=policy)  # keeps its compiled tables
    return AllocationInputs(
        stock=stock, policy=attrs.evolve(policy, kits=kits, safety_buffer=buffers)
    )
