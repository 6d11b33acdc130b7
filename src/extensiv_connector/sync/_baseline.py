"""The ``sent:`` baseline: what inbound shipments and receipts are compared with, and no more.

The store keeps, per pushed reference, the part of the payload that change classification and
expected quantities need: the reference, the lines (item, quantities, line id) and the carrier
and service. Addresses, contacts, notes and anything else are left out: personal data stays
in the store only while an order is held (the backorder queue), never for the ledger's life.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["sent_baseline"]

_TOP = ("referenceNum", "externalId", "customerIdentifier", "facilityIdentifier")
_ROUTING = ("carrier", "mode", "scacCode")
_LINE = ("itemIdentifier", "qty", "secondaryQty", "externalId", "qualifier")
_LINES = ("orderItems", "receiveItems")


def _pick(document: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: document[k] for k in keys if k in document}


def sent_baseline(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The comparison-only subset of an order or receiver payload (a new dict)."""
    baseline = _pick(payload, _TOP)
    routing = payload.get("routingInfo")
    if isinstance(routing, Mapping):
        baseline["routingInfo"] = _pick(routing, _ROUTING)
    for name in _LINES:
        lines = payload.get(name)
        if isinstance(lines, list):
            baseline[name] = [_pick(line, _LINE) for line in lines if isinstance(line, Mapping)]
    return baseline
