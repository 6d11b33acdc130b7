"""Backorder decisions and stock allocation: a pure core with no I/O, clock or globals.

``decide`` answers for one order, ``allocate`` for a batch competing for one stock snapshot,
``reevaluate`` for backordered orders when stock rises. ``BackorderPolicy`` is the ``backorder``
section of a channel's configuration. See docs/backorders.md.
"""

from ..errors import UnitConversionError
from ._allocate import Allocation, allocate, reevaluate
from ._decide import Action, Decision, decide
from ._policy import (
    AllocationOrder,
    BackorderMode,
    BackorderPolicy,
    EffectiveRules,
    PartialGranularity,
    PolicyOverride,
)

__all__ = [
    "Action",
    "Allocation",
    "AllocationOrder",
    "BackorderMode",
    "BackorderPolicy",
    "Decision",
    "EffectiveRules",
    "PartialGranularity",
    "PolicyOverride",
    "UnitConversionError",
    "allocate",
    "decide",
    "reevaluate",
]
