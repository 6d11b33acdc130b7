"""Event type -> action: which targeted pull an event triggers, and the host's own handlers.

Webhooks are hints: every action re-reads the resource through the connector (which applies
mappings, journals and cursors) instead of trusting the payload.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs

from ..errors import LeaseHeldError
from ..models import InventoryLevel, Product, Receipt, Shipment, WebhookEvent
from ._dedupe import EventStore
from ._events import order_id_of, receiver_id_of, sku_of

__all__ = [
    "DEFAULT_ACTIONS",
    "ConnectorLike",
    "Dispatcher",
    "EventHandler",
    "ResourceFetcher",
    "WebhookAction",
    "WebhookActionKind",
    "host_sku",
    "normalise_event_type",
    "plan_action",
]

#: A host handler for one event type: called with the parsed event after the built-in action.
EventHandler = Callable[[WebhookEvent], None]
#: GET a resource by the event's ``href`` and return its JSON object (used when no body came).
ResourceFetcher = Callable[[str], Mapping[str, Any]]

logger = logging.getLogger("extensiv_connector.webhooks")


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


class _SkuResolution(Protocol):
    @property
    def sku(self) -> str: ...


class _SkuMapping(Protocol):
    def to_host(self, channel_sku: str, path: str = ...) -> _SkuResolution: ...


def host_sku(config: Any, channel_sku: str) -> str:
    """The host SKU for a warehouse SKU named by an event (``config.sku_mappings``, if any).

    Events name the warehouse's SKU; the connector's targeted pulls take host SKUs. An unmapped
    SKU passes through unchanged (the pull then holds or reports it as it would when polling).
    """
    mapping: _SkuMapping | None = getattr(config, "sku_mappings", None)
    if mapping is None:
        return channel_sku
    return mapping.to_host(channel_sku, "sku").sku or channel_sku


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


class WebhookActionKind(enum.Enum):
    """The targeted pull an event triggers: shipments, receipts, inventory levels or products."""

    SHIPMENTS = "shipments"  # receive_shipments(order_ids=[id]); cancellations come this way too
    RECEIPTS = "receipts"  # receive_receipts(receiver_ids=[id])
    INVENTORY = "inventory"  # receive_inventory_levels(skus=[sku])
    PRODUCTS = "products"  # import_products(skus=[sku])


def normalise_event_type(event_type: str) -> str:
    """``OrderConfirm``, ``orderconfirm`` and ``Order.Confirm`` are the same event type."""
    return re.sub(r"[^a-z0-9*]", "", event_type.lower())


#: Built-in actions by normalised event type. Receipt and inventory wire names are uncertain
#: (an open question in the public documentation), so the plausible spellings are all listed.
DEFAULT_ACTIONS: Mapping[str, WebhookActionKind] = {
    "orderconfirm": WebhookActionKind.SHIPMENTS,
    "ordercancel": WebhookActionKind.SHIPMENTS,
    "orderupdate": WebhookActionKind.SHIPMENTS,
    "receiverconfirm": WebhookActionKind.RECEIPTS,
    "receiptconfirm": WebhookActionKind.RECEIPTS,
    "receivingconfirm": WebhookActionKind.RECEIPTS,
    "inventorysummaryupdate": WebhookActionKind.INVENTORY,
    "inventorysummary": WebhookActionKind.INVENTORY,
    "itemcreate": WebhookActionKind.PRODUCTS,
    "itemupdate": WebhookActionKind.PRODUCTS,
}

_KEY_PREFIX = {
    WebhookActionKind.SHIPMENTS: "order",
    WebhookActionKind.RECEIPTS: "receiver",
    WebhookActionKind.INVENTORY: "stock",
    WebhookActionKind.PRODUCTS: "item",
}


@attrs.frozen
class WebhookAction:
    """A targeted pull: what to call and for which resource (``target`` None = unresolved)."""

    kind: WebhookActionKind
    target: int | str | None

    @property
    def resource_key(self) -> str | None:
        """The store key ordering events of one resource, e.g. ``webhook:order:31004581``."""
        if self.target is None:
            return None
        return f"webhook:{_KEY_PREFIX[self.kind]}:{self.target}"


def _target(
    kind: WebhookActionKind, event: WebhookEvent, body: Mapping[str, Any] | None
) -> int | str | None:
    if kind is WebhookActionKind.SHIPMENTS:
        return order_id_of(event)
    if kind is WebhookActionKind.RECEIPTS:
        return receiver_id_of(event)
    return sku_of(event, body)


def plan_action(
    event: WebhookEvent,
    actions: Mapping[str, WebhookActionKind] = DEFAULT_ACTIONS,
    body: Mapping[str, Any] | None = None,
) -> WebhookAction | None:
    """The built-in action for ``event`` (None for event types without one). Pure."""
    kind = actions.get(normalise_event_type(event.event_type))
    if kind is None:
        return None
    return WebhookAction(kind=kind, target=_target(kind, event, body))


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
        actions: Mapping[str, WebhookActionKind] | None = None,
        fetch_resource: ResourceFetcher | None = None,
        on_shipment: Callable[[Shipment], None] | None = None,
        on_receipt: Callable[[Receipt], None] | None = None,
        on_inventory_level: Callable[[InventoryLevel], None] | None = None,
        on_product: Callable[[Product], None] | None = None,
        lease_wait_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connector = connector
        self._lease_wait_seconds = lease_wait_seconds
        self._sleep = sleep
        self.actions: Mapping[str, WebhookActionKind] = dict(
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

    def plan(self, event: WebhookEvent) -> WebhookAction | None:
        """The built-in action, fetching the resource by ``href`` when the target is unknown."""
        action = plan_action(event, self.actions)
        if action is None or action.target is not None:
            return action
        href = event.resource.href if event.resource is not None else None
        if href and self._fetch_resource is not None:
            body = self._fetch_resource(href)
            return plan_action(event, self.actions, body)
        return action

    def run(self, event: WebhookEvent, action: WebhookAction | None) -> bool:
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

    def _perform(self, action: WebhookAction) -> None:
        """Run the targeted pull; while a poll of the same action holds its lease, wait for it
        (up to ``lease_wait_seconds``) rather than drop the event."""
        waited, pause = 0.0, 0.05
        while True:
            try:
                result = self._pull(action)
                break
            except LeaseHeldError:
                if waited >= self._lease_wait_seconds:
                    raise
                pause = min(pause, self._lease_wait_seconds - waited)
                self._sleep(pause)
                waited += pause
                pause = min(pause * 2, 1.0)
        if isinstance(result, Iterator):
            for _ in result:  # a lazy pull does its work only when iterated
                pass
        errors = getattr(result, "errors", ())
        if errors:
            logger.warning(
                "webhook-triggered %s pull reported %d error(s); see the sync journal",
                action.kind.value,
                len(errors),
            )

    def _pull(self, action: WebhookAction) -> Any:
        c = self._connector
        target = action.target
        if action.kind is WebhookActionKind.SHIPMENTS:
            assert isinstance(target, int)
            return c.receive_shipments(order_ids=[target], handler=self._on_shipment)
        if action.kind is WebhookActionKind.RECEIPTS:
            assert isinstance(target, int)
            return c.receive_receipts(receiver_ids=[target], handler=self._on_receipt)
        assert isinstance(target, str)
        sku = host_sku(c.config, target)
        if action.kind is WebhookActionKind.INVENTORY:
            return c.receive_inventory_levels(skus=[sku], handler=self._on_inventory_level)
        return c.import_products(skus=[sku], handler=self._on_product)


class _Unresolved(Exception):  # noqa: N818 - internal signal, never escapes the receiver
    def __init__(self, kind: WebhookActionKind) -> None:
        self.kind = kind
        super().__init__(f"cannot tell which resource a {kind.value} event is about")
