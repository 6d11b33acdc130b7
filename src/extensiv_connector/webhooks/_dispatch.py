"""Event type -> action: which targeted pull an event triggers, and the host's own handlers.

Webhooks are hints: every action re-reads the resource through the connector (which applies
mappings, journals and cursors) instead of trusting the payload.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs

from ..models import InventoryLevel, Product, Receipt, Shipment, WebhookEvent
from ._dedupe import EventStore
from ._events import order_id_of, receiver_id_of, sku_of

__all__ = [
    "DEFAULT_ACTIONS",
    "Action",
    "ActionKind",
    "ConnectorLike",
    "Dispatcher",
    "EventHandler",
    "ResourceFetcher",
    "normalise_event_type",
    "plan_action",
]

#: A host handler for one event type: called with the parsed event after the built-in action.
EventHandler = Callable[[WebhookEvent], None]
#: GET a resource by the event's ``href`` and return its JSON object (used when no body came).
ResourceFetcher = Callable[[str], Mapping[str, Any]]


class _General(Protocol):
    @property
    def connection_name(self) -> str: ...


class _Credentials(Protocol):
    @property
    def base_url(self) -> str: ...


class _Config(Protocol):
    @property
    def general(self) -> _General: ...

    @property
    def credentials(self) -> _Credentials: ...


class ConnectorLike(Protocol):
    """What the receiver needs from a :class:`~extensiv_connector.Connector`."""

    @property
    def config(self) -> _Config: ...

    @property
    def store(self) -> EventStore: ...

    def receive_shipments(
        self,
        order_ids: Sequence[int] | None = ...,
        handler: Callable[[Shipment], None] | None = ...,
    ) -> Any: ...

    def receive_receipts(
        self,
        receiver_ids: Sequence[int] | None = ...,
        handler: Callable[[Receipt], None] | None = ...,
    ) -> Any: ...

    def receive_inventory_levels(
        self,
        skus: Sequence[str] | None = ...,
        handler: Callable[[InventoryLevel], None] | None = ...,
    ) -> Any: ...

    def import_products(
        self,
        skus: Sequence[str] | None = ...,
        handler: Callable[[Product], None] | None = ...,
    ) -> Any: ...


class ActionKind(enum.Enum):
    SHIPMENTS = "shipments"  # receive_shipments(order_ids=[id]); cancellations come this way too
    RECEIPTS = "receipts"  # receive_receipts(receiver_ids=[id])
    INVENTORY = "inventory"  # receive_inventory_levels(skus=[sku])
    PRODUCTS = "products"  # import_products(skus=[sku])


def normalise_event_type(event_type: str) -> str:
    """``OrderConfirm``, ``orderconfirm`` and ``Order.Confirm`` are the same event type."""
    return re.sub(r"[^a-z0-9*]", "", event_type.lower())


#: Built-in actions by normalised event type. Receipt and inventory wire names are uncertain
#: (extensiv-api.md §10 item 8), so the plausible spellings are all listed.
DEFAULT_ACTIONS: Mapping[str, ActionKind] = {
    "orderconfirm": ActionKind.SHIPMENTS,
    "ordercancel": ActionKind.SHIPMENTS,
    "orderupdate": ActionKind.SHIPMENTS,
    "receiverconfirm": ActionKind.RECEIPTS,
    "receiptconfirm": ActionKind.RECEIPTS,
    "receivingconfirm": ActionKind.RECEIPTS,
    "inventorysummaryupdate": ActionKind.INVENTORY,
    "inventorysummary": ActionKind.INVENTORY,
    "itemcreate": ActionKind.PRODUCTS,
    "itemupdate": ActionKind.PRODUCTS,
}

_KEY_PREFIX = {
    ActionKind.SHIPMENTS: "order",
    ActionKind.RECEIPTS: "receiver",
    ActionKind.INVENTORY: "stock",
    ActionKind.PRODUCTS: "item",
}


@attrs.frozen
class Action:
    """A targeted pull: what to call and for which resource (``target`` None = unresolved)."""

    kind: ActionKind
    target: int | str | None

    @property
    def resource_key(self) -> str | None:
        """The store key ordering events of one resource, e.g. ``webhook:order:31004581``."""
        if self.target is None:
            return None
        return f"webhook:{_KEY_PREFIX[self.kind]}:{self.target}"


def _target(
    kind: ActionKind, event: WebhookEvent, body: Mapping[str, Any] | None
) -> int | str | None:
    if kind is ActionKind.SHIPMENTS:
        return order_id_of(event)
    if kind is ActionKind.RECEIPTS:
        return receiver_id_of(event)
    return sku_of(event, body)


def plan_action(
    event: WebhookEvent,
    actions: Mapping[str, ActionKind] = DEFAULT_ACTIONS,
    body: Mapping[str, Any] | None = None,
) -> Action | None:
    """The built-in action for ``event`` (None for event types without one). Pure."""
    kind = actions.get(normalise_event_type(event.event_type))
    if kind is None:
        return None
    return Action(kind=kind, target=_target(kind, event, body))


@attrs.define
class _Registration:
    handlers: list[EventHandler] = attrs.field(factory=list)
    replace_default: bool = False


class Dispatcher:
    """Runs the built-in action of an event, then the host handlers registered for its type."""

    def __init__(
        self,
        connector: ConnectorLike,
        *,
        actions: Mapping[str, ActionKind] | None = None,
        fetch_resource: ResourceFetcher | None = None,
        on_shipment: Callable[[Shipment], None] | None = None,
        on_receipt: Callable[[Receipt], None] | None = None,
        on_inventory_level: Callable[[InventoryLevel], None] | None = None,
        on_product: Callable[[Product], None] | None = None,
    ) -> None:
        self._connector = connector
        self.actions: Mapping[str, ActionKind] = dict(
            actions if actions is not None else DEFAULT_ACTIONS
        )
        self._fetch_resource = fetch_resource
        self._on_shipment = on_shipment
        self._on_receipt = on_receipt
        self._on_inventory_level = on_inventory_level
        self._on_product = on_product
        self._lock = threading.Lock()
        self._registry: dict[str, _Registration] = {}

    def register(
        self, event_type: str, handler: EventHandler, *, replace_default: bool = False
    ) -> None:
        """Call ``handler(event)`` for every new event of ``event_type`` (``"*"``: all types).

        With ``replace_default=True`` the built-in action for that type is not run.
        """
        key = normalise_event_type(event_type)
        if not key:
            raise ValueError("event_type must name an event type or be '*'")
        with self._lock:
            registration = self._registry.setdefault(key, _Registration())
            registration.handlers.append(handler)
            registration.replace_default = registration.replace_default or replace_default

    def handlers_for(self, event_type: str) -> tuple[list[EventHandler], bool]:
        key = normalise_event_type(event_type)
        with self._lock:
            own = self._registry.get(key, _Registration())
            wildcard = self._registry.get("*", _Registration())
            return [*own.handlers, *wildcard.handlers], own.replace_default

    def plan(self, event: WebhookEvent) -> Action | None:
        """The built-in action, fetching the resource by ``href`` when the target is unknown."""
        action = plan_action(event, self.actions)
        if action is None or action.target is not None:
            return action
        href = event.resource.href if event.resource is not None else None
        if href and self._fetch_resource is not None:
            body = self._fetch_resource(href)
            return plan_action(event, self.actions, body)
        return action

    def run(self, event: WebhookEvent, action: Action | None) -> bool:
        """Carry out ``action`` and the host handlers; False if nothing handled the event."""
        handlers, replace_default = self.handlers_for(event.event_type)
        handled = False
        if action is not None and not replace_default:
            if action.target is None:
                raise _Unresolved(action.kind)
            self._perform(action)
            handled = True
        for handler in handlers:
            handler(event)
            handled = True
        return handled

    def _perform(self, action: Action) -> None:
        c = self._connector
        target = action.target
        if action.kind is ActionKind.SHIPMENTS:
            assert isinstance(target, int)
            result = c.receive_shipments(order_ids=[target], handler=self._on_shipment)
        elif action.kind is ActionKind.RECEIPTS:
            assert isinstance(target, int)
            result = c.receive_receipts(receiver_ids=[target], handler=self._on_receipt)
        elif action.kind is ActionKind.INVENTORY:
            assert isinstance(target, str)
            result = c.receive_inventory_levels(skus=[target], handler=self._on_inventory_level)
        else:
            assert isinstance(target, str)
            result = c.import_products(skus=[target], handler=self._on_product)
        if isinstance(result, Iterator):
            for _ in result:  # a lazy pull does its work only when iterated
                pass


class _Unresolved(Exception):  # noqa: N818 - internal signal, never escapes the receiver
    def __init__(self, kind: ActionKind) -> None:
        self.kind = kind
        super().__init__(f"cannot tell which resource a {kind.value} event is about")
