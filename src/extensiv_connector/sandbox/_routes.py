"""The route table: every endpoint the sandbox answers, as (method, path pattern, handler).

To add an endpoint, write ``def handler(call: Call, **path_values) -> Response`` in the
``_api_*`` module of its resource and add one :class:`Route` here. Patterns are lower case
(paths are matched lower-cased, without a trailing slash) in werkzeug syntax (``<int:oid>``
becomes the handler's ``oid`` argument). A path that matches no pattern is a 404; a path that
matches only for other methods is a 405.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from . import _api_auth as auth
from . import _api_events as events
from . import _api_inventory as inventory
from . import _api_items as items
from . import _api_orders as orders
from . import _api_properties as properties
from . import _api_receivers as receivers

__all__ = ["ROUTES", "Route", "route_map"]

#: ``handler(call, **path_values)``; the values are the pattern's ``<int:...>`` parts.
Handler = Callable[..., Response]


@attrs.frozen
class Route:
    """One endpoint. ``public`` routes need no bearer token (the token and key endpoints)."""

    method: str
    pattern: str
    handler: Handler
    public: bool = False


ROUTES: tuple[Route, ...] = (
    Route("POST", "/authserver/api/token", auth.issue_token, public=True),
    Route("GET", "/events/webhook/key", events.webhook_key, public=True),
    Route("POST", "/events/webhook/key", events.webhook_key, public=True),
    # orders
    Route("GET", "/orders", orders.list_orders),
    Route("POST", "/orders", orders.create_order),
    Route("GET", "/orders/<int:oid>", orders.get_order),
    Route("PUT", "/orders/<int:oid>", orders.update_order),
    Route("POST", "/orders/<int:oid>/canceler", orders.cancel_order),
    Route("POST", "/orders/<int:oid>/confirmer", orders.confirm_order),
    Route("PUT", "/orders/<int:oid>/allocator", orders.allocate_order),
    Route("PUT", "/orders/<int:oid>/deallocator", orders.deallocate_order),
    Route("GET", "/orders/<int:oid>/items", orders.list_order_items),
    Route("GET", "/orders/<int:oid>/packages", orders.list_order_packages),
    Route("GET", "/orders/summaries", orders.list_order_summaries),
    Route("POST", "/orders/canceler", orders.cancel_orders),
    # inventory
    Route("GET", "/inventory", inventory.list_inventory),
    Route("GET", "/inventory/stocksummaries", inventory.stock_summaries),
    Route("GET", "/inventory/stockdetails", inventory.stock_details),
    Route("GET", "/inventory/stocksummariesfororder", inventory.stock_for_order),
    Route("GET", "/inventory/facilities/<int:fid>/locations", inventory.list_locations),
    Route("GET", "/properties/facilities/<int:fid>/locations", inventory.list_locations),
    # receivers
    Route("GET", "/inventory/receivers", receivers.list_receivers),
    Route("POST", "/inventory/receivers", receivers.create_receiver),
    Route("GET", "/inventory/receivers/<int:rid>", receivers.get_receiver),
    Route("PUT", "/inventory/receivers/<int:rid>", receivers.update_receiver),
    Route("POST", "/inventory/receivers/<int:rid>/confirmer", receivers.confirm_receiver),
    Route("POST", "/inventory/receivers/<int:rid>/canceler", receivers.cancel_receiver),
    Route("GET", "/inventory/receivers/<int:rid>/items", receivers.list_receiver_items),
    Route("GET", "/inventory/receiverdigests", receivers.list_receiver_digests),
    # customers, items, aliases
    Route("GET", "/customers", items.list_customers),
    Route("GET", "/customers/<int:cid>", items.get_customer),
    Route("GET", "/customers/<int:cid>/items", items.list_items),
    Route("POST", "/customers/<int:cid>/items", items.create_item),
    Route("GET", "/customers/<int:cid>/items/<int:iid>", items.get_item),
    Route("PUT", "/customers/<int:cid>/items/<int:iid>", items.update_item),
    Route("DELETE", "/customers/<int:cid>/items/<int:iid>", items.delete_item),
    Route("GET", "/customers/<int:cid>/itemaliases", items.list_item_aliases),
    # properties
    Route("GET", "/properties/facilities", properties.list_facilities),
    Route("GET", "/properties/carriers", properties.list_carriers),
    Route("GET", "/properties/unitofmeasuretypes", properties.list_units_of_measure),
)


def route_map(routes: Iterable[Route] = ROUTES) -> Map:
    """A werkzeug map whose endpoints are the :class:`Route` entries. Fresh rules per map:
    werkzeug binds a rule to one map."""
    return Map(
        [Rule(r.pattern, endpoint=r, methods=[r.method]) for r in routes],
        strict_slashes=False,
    )
