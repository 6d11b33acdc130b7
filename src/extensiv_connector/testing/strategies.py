"""Hypothesis strategies for host applications' own property tests.

Models: ``models(SalesOrder)`` builds any model class; ``ALL_MODELS`` lists them.
Backorder rules: ``sales_orders``, ``order_lines``, ``stock_snapshots``,
``backorder_policies``, ``policy_overrides`` and ``allocation_batches`` (a consistent
``(orders, stock, policy)`` triple); see docs/backorders.md.
"""

from __future__ import annotations

from ._backorder_strategies import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SKUS,
    allocation_batches,
    backorder_policies,
    order_lines,
    policy_overrides,
    sales_orders,
    stock_snapshots,
)
from ._model_strategies import ALL_MODELS, decimals, json_values, models, timestamps, wire_text

__all__ = [
    "ALL_MODELS",
    "DEFAULT_CUSTOMERS",
    "DEFAULT_SKUS",
    "allocation_batches",
    "backorder_policies",
    "decimals",
    "json_values",
    "models",
    "order_lines",
    "policy_overrides",
    "sales_orders",
    "stock_snapshots",
    "timestamps",
    "wire_text",
]
