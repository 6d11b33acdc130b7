"""In-memory warehouse state behind the sandbox: customers, facilities, carriers, items, orders,
receivers and stock, with the semantics documented in docs/sandbox.md.

Stock is kept per *lot* (one per confirmed receive line, like ``/inventory/stockdetails`` rows)
and aggregated per SKU (``/inventory/stocksummaries`` rows):

- ``totalReceived``: everything ever received;
- ``onHand``: physically in the warehouse (received + adjustments − shipped);
- ``available``: sellable = on hand, not held, not allocated to an open order;
- ``allocated``: allocated to orders **including what has already been shipped** (as the API does);
- ``onHold``: held stock (not allocatable).

So ``onHand == available + onHold + (allocated − shipped)``. Every change stamps
``readOnly.lastModifiedDate`` (UTC, offset-less, strictly increasing) and gives the record a new
ETag. All public methods take one re-entrant lock, so the state is safe for a threaded server.
"""

from __future__ import annotations

from ._wh_catalog import Catalog
from ._wh_edits import Edits
from ._wh_model import EACH, Doc, Notification, StockRow, WarehouseOptions, copy_doc, dec
from ._wh_orders import OrderDesk
from ._wh_receiving import ReceivingDock
from ._wh_views import Views

__all__ = [
    "EACH",
    "Doc",
    "Notification",
    "StockRow",
    "Warehouse",
    "WarehouseOptions",
    "copy_doc",
    "dec",
]


class Warehouse(OrderDesk, ReceivingDock, Catalog, Edits, Views):
    """The state and every operation on it. REST handlers raise :class:`ApiFault`; driver
    methods (for tests and the CLI) raise :class:`SandboxError` when the warehouse can't comply."""
