"""Records and helpers shared by the sandbox warehouse's modules (see ``_warehouse.py``).

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

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from . import _errors as err

__all__ = ["EACH", "Doc", "Notification", "StockRow", "WarehouseOptions", "copy_doc", "dec"]

Doc = dict[str, Any]

#: ``WarehouseOptions.allocation`` values: when the simulated warehouse reserves stock.
ALLOCATION_TIMINGS = ("full", "immediate", "partial", "late", "none")
EACH = {"name": "Each", "id": 1}


@attrs.frozen(kw_only=True)
class WarehouseOptions:
    """[U] behaviours of the simulated warehouse, each set to the documented/most common choice.

    - ``allocation`` (when the warehouse reserves stock for an order): ``"full"`` (alias
      ``"immediate"``) allocates an order on create only if every line can be fully allocated
      (the usual setting), ``"partial"`` allocates what it can on create, ``"late"`` allocates
      nothing on create but fully allocates open orders when stock changes or on
      :meth:`Warehouse.allocate_open_orders`, ``"none"`` never allocates by itself (only
      :meth:`Warehouse.allocate_order` / ``allocate_open_orders``, or shipping, take stock).
    - ``reallocate_on_stock_change``: open orders are allocated again when stock rises.
    - ``canceled_is_closed``: canceled orders also carry ``readOnly.isClosed == true`` (unverified).
    - ``canceled_blocks_reference``: a canceled order still blocks its ``referenceNum`` (unsure).
    - ``require_ship_to``: order create needs ``shipTo`` (a documented required field; unverified).
    - ``record_expected_qty``: on receiver confirm, ``readOnly.expectedQty`` keeps the planned qty
      (so variance = qty − expectedQty; unverified).
    - ``receipt_event_prefix``: webhook names for receivers, ``"Receiver"`` → ``ReceiverConfirm``
      (or ``"Receipt"``; the wire name is unverified).
    - ``order_create_events``: also send ``OrderCreate`` notifications.
    - ``enforce_unique_references``: a second order or receiver with a customer's existing
      ``referenceNum`` is refused with ``Duplicate``; off models a 3PL that disabled the
      check (unverified), where only the client's ledger and lookups keep creates exactly-once.
    """

    allocation: str = "full"
    reallocate_on_stock_change: bool = True
    canceled_is_closed: bool = True
    canceled_blocks_reference: bool = True
    require_ship_to: bool = True
    record_expected_qty: bool = True
    receipt_event_prefix: str = "Receiver"
    order_create_events: bool = True
    enforce_unique_references: bool = True

    def __attrs_post_init__(self) -> None:
        if self.allocation not in ALLOCATION_TIMINGS:
            raise ValueError(f"allocation must be one of {', '.join(ALLOCATION_TIMINGS)}")

    @property
    def allocates_on_create(self) -> bool:
        return self.allocation in ("full", "immediate", "partial")


@attrs.frozen(kw_only=True)
class Notification:
    """A change worth a webhook: ``doc`` is a private canonical copy taken at change time."""

    event_type: str
    kind: str  # order | receiver | item | summary
    rel: str
    href: str
    doc: Doc
    data: dict[str, str]
    tags: str = ""


def dec(value: Any, field: str = "qty") -> Decimal:
    if isinstance(value, bool) or value is None:
        raise err.model_validation("Required", f"{field} must be a number", [(field, value)])
    try:
        result = Decimal(str(value))
    except ArithmeticError as exc:
        raise err.model_validation("ValueNotSupported", f"{field} is not a number") from exc
    if not result.is_finite():
        raise err.model_validation("ValueNotSupported", f"{field} is not a number")
    return result


#: Values ``copy_doc`` returns as they are (immutable), told apart without a call per value.
_SCALARS: frozenset[type[Any]] = frozenset({str, int, float, bool, type(None), Decimal})


def copy_doc(value: Any) -> Any:
    """Fast deep copy for JSON-like data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: v if type(v) in _SCALARS else copy_doc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else copy_doc(v) for v in value]
    return value


class StockRow(dict[str, Any]):
    """A stock summary row (or its ``itemIdentifier``) that keeps its rendered JSON until it
    changes: every mutating dict method drops :attr:`cache`, and a nested row's change drops its
    :attr:`owner`'s too. The rows are changed in place in many places (``row["available"] -=
    qty``); tying the cache to the mutation itself means none of them can leave it stale.

    Only changes through the methods are seen (``dict.__setitem__(row, ...)`` would bypass
    them; nothing does that); the renderer caches only rows whose values are immutable scalars
    or nested rows owned by them (``_render.summary_row_cacheable``).
    """

    __slots__ = ("cache", "owner")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the row's rendered forms (``_render.summaries_body``), until it changes
        self.cache: dict[int, bytes] | None = None
        self.owner: StockRow | None = None

    def changed(self) -> None:
        """Drop the rendered forms of this row and of the rows holding it."""
        row: StockRow | None = self
        while row is not None:
            row.cache = None
            # getattr: unpickling sets the items before the slots
            row = getattr(row, "owner", None)

    def __setitem__(self, key: str, value: Any) -> None:
        self.changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.changed()
        super().__delitem__(key)

    def __ior__(self, other: Any) -> StockRow:  # type: ignore[override,misc]
        self.changed()
        super().__ior__(other)
        return self

    def clear(self) -> None:
        self.changed()
        super().clear()

    def pop(self, *args: Any) -> Any:
        self.changed()
        return super().pop(*args)

    def popitem(self) -> tuple[str, Any]:
        self.changed()
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.changed()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.changed()
        super().update(*args, **kwargs)


def _ci_get(doc: Mapping[str, Any], key: str) -> Any:
    if key in doc:
        return doc[key]
    lowered = key.lower()
    for k, v in doc.items():
        if k.lower() == lowered:
            return v
    return None


class _Record:
    __slots__ = ("alloc", "doc", "etag")

    def __init__(self, doc: Doc, etag: str) -> None:
        self.doc = doc
        self.etag = etag
        # order lines: orderItemId -> [[lotId, qty], ...]
        self.alloc: dict[int, list[list[Any]]] = {}


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def line_doc(raw: Mapping[str, Any], item: Doc, qty: Decimal, read_only: Doc) -> Doc:
    """A stored order or receive line: the request line, resolved to the item, with its
    server-side ``readOnly`` block."""
    line = {k: copy_doc(v) for k, v in raw.items() if k != "readOnly"}
    line["itemIdentifier"] = {"sku": item["sku"], "id": item["itemId"]}
    line["qty"] = qty
    line.setdefault("qualifier", "")
    line["readOnly"] = read_only
    return line
