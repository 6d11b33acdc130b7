from __future__ import annotations

from typing import Any

import pytest

from extensiv_connector import webhooks
from extensiv_connector.webhooks import WebhookAction, WebhookActionKind, parse_event, plan_action

from ._support import make_event


@pytest.mark.parametrize(
    ("event_type", "fields", "expected"),
    [
        (
            "OrderConfirm",
            {"data": '{"OrderId":"1"}'},
            WebhookAction(WebhookActionKind.SHIPMENTS, 1),
        ),
        (
            "OrderCancel",
            {"resource": {"href": "/orders/2"}},
            WebhookAction(WebhookActionKind.SHIPMENTS, 2),
        ),
        ("OrderUpdate", {"data": {"OrderId": 3}}, WebhookAction(WebhookActionKind.SHIPMENTS, 3)),
        (
            "ReceiverConfirm",
            {"data": {"ReceiverId": 4}},
            WebhookAction(WebhookActionKind.RECEIPTS, 4),
        ),
        (
            "ReceiptConfirm",
            {"data": {"ReceiverId": 5}},
            WebhookAction(WebhookActionKind.RECEIPTS, 5),
        ),
        (
            "InventorySummaryUpdate",
            {"resource": {"body": {"itemIdentifier": {"sku": "S-6"}}}},
            WebhookAction(WebhookActionKind.INVENTORY, "S-6"),
        ),
        (
            "ItemCreate",
            {"resource": {"body": {"sku": "S-7"}}},
            WebhookAction(WebhookActionKind.PRODUCTS, "S-7"),
        ),
        ("item.update", {"data": {"Sku": "S-8"}}, WebhookAction(WebhookActionKind.PRODUCTS, "S-8")),
        (
            "ItemUpdate",
            {"resource": {"href": "/customers/1/items/9"}},
            WebhookAction(WebhookActionKind.PRODUCTS, None),
        ),
    ],
)
def test_event_types_map_to_targeted_pulls(
    event_type: str, fields: dict[str, Any], expected: WebhookAction
) -> None:
    assert expected == plan_action(parse_event(make_event(event_type, 1, **fields)))


@pytest.mark.parametrize("event_type", ["OrderCreate", "OrderPickJobDone", "AdjustmentConfirm"])
def test_event_types_without_a_built_in_action_plan_nothing(event_type: str) -> None:
    assert None is plan_action(parse_event(make_event(event_type, 1, data={"OrderId": 1})))


def test_custom_action_table_overrides_the_default() -> None:
    event = parse_event(make_event("OrderUnconfirm", 1, data={"OrderId": 12}))
    assert WebhookAction(WebhookActionKind.SHIPMENTS, 12) == plan_action(
        event, {"orderunconfirm": WebhookActionKind.SHIPMENTS}
    )


@pytest.mark.parametrize(
    ("action", "key"),
    [
        (WebhookAction(WebhookActionKind.SHIPMENTS, 1), "webhook:order:1"),
        (WebhookAction(WebhookActionKind.RECEIPTS, 1), "webhook:receiver:1"),
        (WebhookAction(WebhookActionKind.INVENTORY, "A"), "webhook:stock:A"),
        (WebhookAction(WebhookActionKind.PRODUCTS, "A"), "webhook:item:A"),
        (WebhookAction(WebhookActionKind.PRODUCTS, None), None),
    ],
)
def test_resource_keys_separate_resource_kinds(action: WebhookAction, key: str | None) -> None:
    assert key == action.resource_key


@pytest.mark.parametrize(
    ("old", "new"), [("Action", WebhookAction), ("ActionKind", WebhookActionKind)]
)
def test_old_action_names_still_work_with_a_deprecation_warning(old: str, new: type) -> None:
    with pytest.warns(DeprecationWarning, match=f"webhooks.{old} is deprecated; use Webhook{old}"):
        alias = getattr(webhooks, old)

    assert new is alias


def test_unknown_names_are_still_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="NoSuchName"):
        webhooks.NoSuchName  # noqa: B018 - the attribute access is what is tested
