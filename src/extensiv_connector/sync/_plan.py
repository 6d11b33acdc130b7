"""Dry runs: what a push would do (decisions and payloads), with nothing sent and nothing
recorded. Reads only: the ledger, the backorder queue and one stock snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from .. import translate, wire
from ..backorder import Action, BackorderMode, allocate
from ..client import ExtensivClient
from ..config import ChannelConfig
from ..errors import ValidationError
from ..models import Receipt, SalesOrder
from ._outcomes import order_key, reason_of
from ._records import LedgerKind, LedgerState
from ._snapshot import stock_snapshot
from ._stock import allocation_inputs
from .store import StateStore

__all__ = ["PlannedPush", "plan_orders", "plan_receipts"]


@attrs.frozen(kw_only=True)
class PlannedPush:
    """What a push would do with one order or receipt.

    ``action`` is ``send_full``, ``send_partial``, ``hold``, ``reject`` or ``already_present``;
    ``payload`` is the exact JSON body that would be sent (``None`` when nothing would be).
    It carries the ship-to, so it is left out of ``repr``.
    """

    order_number: str
    action: str
    reference: str = ""
    reason: str = ""
    line_quantities: tuple[Decimal, ...] = ()
    payload: dict[str, Any] | None = attrs.field(default=None, repr=False)


def _already(store: StateStore, channel: str, kind: LedgerKind, reference: str) -> bool:
    entry = store.ledger_get(channel, kind, reference)
    return entry is not None and entry.state in (LedgerState.SENT, LedgerState.CANCELED)


def plan_orders(
    orders: Sequence[SalesOrder],
    *,
    config: ChannelConfig,
    store: StateStore,
    client: ExtensivClient,
    include_backorders: bool = True,
) -> list[PlannedPush]:
    channel, converter = config.channel, wire.make_converter()
    planned: dict[str, PlannedPush] = {}
    candidates: list[SalesOrder] = []
    for order in orders:
        key = order_key(order)
        if key in planned or any(order_key(c) == key for c in candidates):
            continue
        try:
            translation = translate.sales_order_to_order(order, config, converter=converter)
        except ValidationError as exc:
            planned[key] = PlannedPush(
                order_number=order.order_number, action="reject", reason=reason_of(exc)
            )
            continue
        if _already(store, channel, LedgerKind.ORDER, translation.reference):
            planned[key] = PlannedPush(
                order_number=order.order_number,
                action="already_present",
                reference=translation.reference,
                reason="already sent or canceled under this reference",
            )
            continue
        candidates.append(order)
    if include_backorders:
        known = {order_key(o) for o in orders}
        candidates.extend(e.order for e in store.backorder_list(channel) if e.key not in known)
    policy = config.backorder
    needs_stock = policy.mode is BackorderMode.MANAGE_IN_OMS or any(
        o.mode is BackorderMode.MANAGE_IN_OMS
        for o in [*policy.customer_overrides.values(), *policy.order_overrides.values()]
    )
    # The same inputs a push uses: promisable stock per warehouse SKU, lines resolved to it.
    stock = stock_snapshot(client, config, store) if candidates and needs_stock else {}
    inputs = allocation_inputs(candidates, stock, policy, config.sku_mappings)
    allocation = allocate(candidates, inputs.stock, inputs.policy)
    for order, decision in zip(candidates, allocation.decisions, strict=True):
        key = order_key(order)
        if decision.action is Action.HOLD:
            planned[key] = PlannedPush(
                order_number=order.order_number, action="hold", reason=decision.reason
            )
            continue
        try:
            translation = translate.sales_order_to_order(
                order, config, decision, converter=converter
            )
        except ValidationError as exc:
            planned[key] = PlannedPush(
                order_number=order.order_number, action="reject", reason=reason_of(exc)
            )
            continue
        planned[key] = PlannedPush(
            order_number=order.order_number,
            action=decision.action.value,
            reference=translation.reference,
            reason=decision.reason,
            line_quantities=decision.line_quantities,
            payload=translation.payload,
        )
    first = [order_key(o) for o in orders]
    return [planned[k] for k in dict.fromkeys([*first, *planned]) if k in planned]


def plan_receipts(
    receipts: Sequence[Receipt], *, config: ChannelConfig, store: StateStore
) -> list[PlannedPush]:
    converter = wire.make_converter()
    planned: dict[str, PlannedPush] = {}
    for receipt in receipts:
        if receipt.reference in planned:
            continue
        try:
            translation = translate.receipt_to_receiver(receipt, config, converter=converter)
        except ValidationError as exc:
            planned[receipt.reference] = PlannedPush(
                order_number=receipt.reference, action="reject", reason=reason_of(exc)
            )
            continue
        sent = _already(store, config.channel, LedgerKind.RECEIPT, translation.reference)
        planned[receipt.reference] = PlannedPush(
            order_number=receipt.reference,
            action="already_present" if sent else "send_full",
            reference=translation.reference,
            line_quantities=tuple(line.expected_quantity for line in receipt.lines),
            payload=None if sent else translation.payload,
        )
    return list(planned.values())
