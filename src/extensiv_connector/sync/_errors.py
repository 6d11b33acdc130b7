"""Errors of the state layer, defined in :mod:`extensiv_connector.errors` and re-exported here.

Kept so that ``from .._errors import StateStoreError`` inside ``sync`` keeps working.
"""

from __future__ import annotations

from ..errors import LeaseHeldError, LeaseLostError, StateStoreError

__all__ = ["LeaseHeldError", "LeaseLostError", "StateStoreError"]
