from __future__ import annotations

from typing import Any

import pytest

from extensiv_connector.webhooks import Action, ActionKind, parse_event, plan_action

from ._support import make_event


@pytest.mark.parametrize(
    ("event_type", "fields", "expected"),
    [
        ("OrderConfirm", {"data": '{"OrderId":"1"}'}, Action(ActionKind.SHIPMENTS, 1)),
        ("OrderCancel", {"resource": {"href": "/orders/2"}}, Action(ActionKind.SHIPMENTS, 2)),
        ("OrderUpdate", {"data": {"OrderId": 3}}, Action(ActionKind.SHIPMENTS, 3)),
        ("ReceiverConfirm", {"data": {"ReceiverId": 4}}, Action(ActionKind.RECEIPTS, 4)),
        ("ReceiptConfirm", {"data": {"ReceiverId": 5}}, Action(ActionKind.RECEIPTS, 5)),
        (
            "InventorySummaryUpdate",
            {"resource": {"body": {"itemIdentifier": {"sku": "S-6"}}}},
            Action(ActionKind.INVENTORY, "S-6"),
        ),
        ("ItemCreate", {"resource": {"body": {"sku": "S-7"}}}, Action(ActionKind.PRODUCTS, "S-7")),
        ("item.update", {"data": {"Sku": "S-8"}}, Action(ActionKind.PRODUCTS, "S-8")),
        (
            "ItemUpdate",
            {"resource": {"href": "/customers/1/items/9"}},
            Action(ActionKind.PRODUCTS, None),
        ),
    ],
)
def test_event_types_map_to_targeted_pulls(
    event_type: str, fields: dict[str, Any], expected: Action
) -> None:
    assert expected == plan_action(parse_event(make_event(event_type, 1, **fields)))


@pytest.mark.parametrize("event_type", ["OrderCreate", "OrderPickJobDone", "AdjustmentConfirm"])
def test_event_types_without_a_built_in_action_plan_nothing(event_type: str) -> None:
    assert None is plan_action(parse_event(make_event(event_type, 1, data={"OrderId": 1})))


def test_custom_action_table_overrides_the_default() -> None:
    event = parse_event(make_event("OrderUnconfirm", 1, data={"OrderId": 12}))
    assert Action(ActionKind.SHIPMENTS, 12) == plan_action(
        event, {"orderunconfirm": ActionKind.SHIPMENTS}
    )


@pytest.mark.parametrize(
    ("action", "key"),
    [
        (Action(ActionKind.SHIPMENTS, 1), "webhook:order:1"),
        (Action(ActionKind.RECEIPTS, 1), "webhook:receiver:1"),
        (Action(ActionKind.INVENTORY, "A"), "webhook:stock:A"),
        (Action(ActionKind.PRODUCTS, "A"), "webhook:item:A"),
        (Action(ActionKind.PRODUCTS, None), None),
    ],
)
def test_resource_keys_separate_resource_kinds(action: Action, key: str | None) -> None:
    assert key == action.resource_key
