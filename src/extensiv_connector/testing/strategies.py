"""Hypothesis strategies for host applications' own property tests.

Models: ``models(SalesOrder)`` builds any model class; ``ALL_MODELS`` lists them.
Backorder rules: sales orders, stock snapshots and policies (see docs/backorders.md).
"""

from __future__ import annotations

from ._model_strategies import ALL_MODELS, decimals, json_values, models, timestamps, wire_text

__all__ = ["ALL_MODELS", "decimals", "json_values", "models", "timestamps", "wire_text"]
