"""The stock snapshot a push allocates from: the warehouse's available stock per warehouse SKU,
minus what this channel sent that the warehouse has not reserved yet (reads the API and the
ledger; the arithmetic is ``_inventory``'s)."""

from __future__ import annotations

from decimal import Decimal

from ..client import ExtensivClient
from ..client.rql import field
from ..config import ChannelConfig
from ._inventory import promisable, unreserved_quantities, warehouse_available
from ._records import LedgerKind, LedgerState
from .store import StateStore

__all__ = ["stock_snapshot", "unreserved_sent"]


def stock_snapshot(
    client: ExtensivClient, config: ChannelConfig, store: StateStore
) -> dict[str, Decimal]:
    """What pushes may promise, per warehouse SKU (``warehouse_key``) in primary units: the
    warehouse's available stock minus what this channel sent that it has not reserved yet."""
    available = warehouse_available(client.inventory.stock_summaries())
    return promisable(available, unreserved_sent(client, config, store))


def unreserved_sent(
    client: ExtensivClient, config: ChannelConfig, store: StateStore
) -> dict[str, Decimal]:
    """Per warehouse SKU: units in this channel's open orders not allocated yet (the ledger
    says which orders are ours; the warehouse says what it reserved)."""
    ours = {
        e.reference
        for e in store.ledger_list(
            config.channel, LedgerKind.ORDER, states=[LedgerState.SENT, LedgerState.PENDING]
        )
    }
    if not ours:
        return {}
    query = (
        (field("readOnly.customerIdentifier.id") == config.credentials.customer_id)
        & (field("readOnly.isClosed") == False)  # noqa: E712 - RQL, not a Python comparison
        & (field("readOnly.fullyAllocated") == False)  # noqa: E712
    )
    orders = client.orders.list(query, detail="OrderItems", itemdetail="Allocations")
    return unreserved_quantities(orders, ours)
