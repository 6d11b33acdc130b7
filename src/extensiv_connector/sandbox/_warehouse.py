"""In-memory warehouse state behind the sandbox: customers, facilities, carriers, items, orders,
receivers and stock, with the semantics documented in docs/sandbox.md.

Stock is kept per *lot* (one per confirmed receive line, like ``/inventory/stockdetails`` rows)
and aggregated per SKU (``/inventory/stocksummaries`` rows):

- ``totalReceived``: everything ever received;
- ``onHand``: physically in the warehouse (received + adjustments − shipped);
- ``available``: sellable = on hand, not held, not allocated to an open order;
- ``allocated``: allocated to orders **including what has already been shipped** (reference §3.8);
- ``onHold``: held stock (not allocatable).

So ``onHand == available + onHold + (allocated − shipped)``. Every change stamps
``readOnly.lastModifiedDate`` (UTC, offset-less, strictly increasing) and gives the record a new
ETag. All public methods take one re-entrant lock, so the state is safe for a threaded server.
"""

from __future__ import annotations

import base64
import gc
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs

from . import _errors as err

__all__ = ["Notification", "Warehouse", "WarehouseOptions"]

Doc = dict[str, Any]
EACH = {"name": "Each", "id": 1}


@attrs.frozen(kw_only=True)
class WarehouseOptions:
    """[U] behaviours of the simulated warehouse, each set to the documented/most common choice.

    - ``allocation``: ``"full"`` allocates an order on create only if every line can be fully
      allocated (the usual warehouse setting), ``"partial"`` allocates what it can, ``"none"``
      leaves allocation to :meth:`Warehouse.allocate_order`.
    - ``reallocate_on_stock_change``: open orders are allocated again when stock rises.
    - ``canceled_is_closed``: canceled orders also carry ``readOnly.isClosed == true`` (§3.4, U).
    - ``canceled_blocks_reference``: a canceled order still blocks its ``referenceNum`` (§4, U).
    - ``require_ship_to``: order create needs ``shipTo`` (S's required list, U).
    - ``record_expected_qty``: on receiver confirm, ``readOnly.expectedQty`` keeps the planned qty
      (so variance = qty − expectedQty, §3.11 U).
    - ``receipt_event_prefix``: webhook names for receivers, ``"Receiver"`` → ``ReceiverConfirm``
      (or ``"Receipt"``; wire name U, §7).
    - ``order_create_events``: also send ``OrderCreate`` notifications.
    - ``enforce_unique_references``: a second order or receiver with a customer's existing
      ``referenceNum`` is refused with ``Duplicate`` (§4); off models a 3PL that disabled the
      check (U), where only the client's ledger and lookups keep creates exactly-once.
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
        if self.allocation not in ("full", "partial", "none"):
            raise ValueError("allocation must be 'full', 'partial' or 'none'")


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


def copy_doc(value: Any) -> Any:
    """Fast deep copy for JSON-like data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: copy_doc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_doc(v) for v in value]
    return value


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


class Warehouse:
    """The state and every operation on it. REST handlers raise :class:`ApiFault`; driver
    methods (for tests and the CLI) raise :class:`SandboxError` when the warehouse can't comply."""

    def __init__(
        self,
        *,
        customer_id: int,
        facility_id: int,
        options: WarehouseOptions | None = None,
        clock: Callable[[], datetime] | None = None,
        emit: Callable[[list[Notification]], None] | None = None,
    ) -> None:
        self.options = options or WarehouseOptions()
        self._clock = clock or (lambda: datetime.now(timezone.utc).replace(tzinfo=None))
        self._emit = emit
        self.lock = threading.RLock()
        self._rowversion = 0
        self._last_stamp = datetime.min
        self._next_id: dict[str, int] = {
            "order": 1000,
            "orderItem": 5000,
            "receiver": 300,
            "receiveItem": 70000,
            "item": 10000,
            "package": 900,
            "packageContent": 9000,
        }
        now = self._stamp()
        self.customer_id = customer_id
        self.facility_id = facility_id
        self.facility: Doc = {
            "facilityId": facility_id,
            "name": "Sandbox Warehouse",
            "code": "SBX",
            "deactivated": False,
            "usePredefinedLocations": False,
            "measurementSystemDefault": 0,
            "timeZoneName": "UTC",
            "shippingZip": "75201",
            "crossCustomerPickEnabled": False,
        }
        self.customer: Doc = {
            "readOnly": {"customerId": customer_id, "creationDate": now, "deactivated": False},
            "companyInfo": {"companyName": "Sandbox Customer"},
            "externalId": "SBX-CUST",
            "facilities": [{"name": "Sandbox Warehouse", "id": facility_id}],
            "primaryFacilityIdentifier": {"name": "Sandbox Warehouse", "id": facility_id},
            "options": {"receiving": {"receiveAgainstAsns": 0}, "shipping": {"orderQueue": False}},
        }
        self.customer_etag = self._etag()
        self.carriers: list[Doc] = []
        self.default_billing_codes: list[Doc] = []
        self.uom_types: list[Doc] = []
        self.items: dict[int, _Record] = {}
        self._sku_index: dict[str, int] = {}
        self._sku_index_ci: dict[str, int] = {}
        self.orders: dict[int, _Record] = {}
        self._order_refs: dict[str, int] = {}
        self.receivers: dict[int, _Record] = {}
        self._receiver_refs: dict[str, int] = {}
        self.lots: dict[int, Doc] = {}
        self._lots_by_item: dict[int, list[int]] = {}
        self.summaries: dict[int, Doc] = {}
        self.summary_order: list[int] = []
        # shared, never mutated in place (views are copied before rendering)
        self._location: Doc = {
            "nameKey": {"facilityIdentifier": self.facility_identifier, "name": "A-01-01"},
            "id": 1,
        }

    # ------------------------------------------------------------------ basics
    def _stamp(self) -> str:
        now = self._clock()
        if now <= self._last_stamp:
            now = self._last_stamp + timedelta(microseconds=1)
        self._last_stamp = now
        return now.strftime("%Y-%m-%dT%H:%M:%S.%f")

    def _etag(self) -> str:
        self._rowversion += 1
        return '"' + base64.b64encode(self._rowversion.to_bytes(8, "big")).decode() + '"'

    def _new_id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    def _touch(self, record: _Record, stamp: str | None = None) -> None:
        record.doc["readOnly"]["lastModifiedDate"] = stamp or self._stamp()
        record.etag = self._etag()

    def _notify(self, notes: list[Notification]) -> None:
        if notes and self._emit is not None:
            self._emit(notes)

    @property
    def customer_identifier(self) -> Doc:
        return {"externalId": "SBX-CUST", "name": "Sandbox Customer", "id": self.customer_id}

    @property
    def facility_identifier(self) -> Doc:
        return {"name": "Sandbox Warehouse", "id": self.facility_id}

    @staticmethod
    def check_if_match(record_etag: str, if_match: str | None) -> None:
        if if_match is None or not if_match.strip():
            raise err.precondition_required()

        def norm(tag: str) -> str:
            tag = tag.strip()
            tag = tag[2:] if tag.startswith("W/") else tag
            return tag.strip('"')

        if norm(if_match) != norm(record_etag):
            raise err.precondition_failed()

    # ------------------------------------------------------------------ identifiers
    def _resolve_customer(self, ident: Any, model: str) -> None:
        if not isinstance(ident, Mapping):
            raise err.model_validation(
                "Required", "CustomerIdentifier is required", [("CustomerIdentifier", None)], model
            )
        cid, name, ext = _ci_get(ident, "id"), _ci_get(ident, "name"), _ci_get(ident, "externalId")
        ok = (
            (cid is not None and str(cid) == str(self.customer_id))
            if cid not in (None, 0)
            else (
                (name is not None and str(name).lower() == "sandbox customer")
                or (ext is not None and str(ext) == "SBX-CUST")
            )
        )
        if not ok:
            raise err.model_validation(
                "DoesNotExist",
                "Customer does not exist",
                [("CustomerIdentifier", cid if cid is not None else name)],
                model,
            )

    def _resolve_facility(self, ident: Any, model: str) -> None:
        if not isinstance(ident, Mapping):
            raise err.model_validation(
                "Required", "FacilityIdentifier is required", [("FacilityIdentifier", None)], model
            )
        fid, name = _ci_get(ident, "id"), _ci_get(ident, "name")
        ok = (
            str(fid) == str(self.facility_id)
            if fid not in (None, 0)
            else (name is not None and str(name).lower() == "sandbox warehouse")
        )
        if not ok:
            raise err.model_validation(
                "DoesNotExist",
                "Facility does not exist",
                [("FacilityIdentifier", fid if fid is not None else name)],
                model,
            )

    def find_item_id(self, sku: str) -> int | None:
        with self.lock:
            found = self._sku_index.get(sku)
            return found if found is not None else self._sku_index_ci.get(sku.lower())

    def _resolve_item(self, ident: Any, where: str, model: str) -> _Record:
        if not isinstance(ident, Mapping):
            raise err.model_validation(
                "Required", f"{where}.ItemIdentifier is required", [(where, None)], model
            )
        iid, sku = _ci_get(ident, "id"), _ci_get(ident, "sku")
        record = None
        if iid not in (None, 0):
            try:
                record = self.items.get(int(iid))
            except (TypeError, ValueError):
                record = None
        elif sku is not None:
            found = self.find_item_id(str(sku))
            record = self.items.get(found) if found is not None else None
        if record is None:
            raise err.model_validation(
                "DoesNotExist",
                "Item does not exist",
                [(f"{where}.ItemIdentifier", iid if iid not in (None, 0) else sku)],
                model,
            )
        return record

    # ------------------------------------------------------------------ seeding
    def seed_reference_data(self) -> None:
        ups_services = [
            ("01", "Next Day Air"),
            ("02", "2nd Day Air"),
            ("03", "Ground"),
            ("12", "3 Day Select"),
        ]
        billing = [
            {"code": "Prepaid", "billingCodeType": 0},
            {"code": "BillThirdParty", "billingCodeType": 1},
            {"code": "FreightCollect", "billingCodeType": 2},
        ]
        specs = [
            ("UPS", "UPS", "UPSN", ups_services),
            (
                "FedEx",
                "FedEx",
                "FDEG",
                [("FEDEX_GROUND", "FedEx Ground"), ("FEDEX_2_DAY", "FedEx 2Day")],
            ),
            ("USPS", "USPS", "USPS", [("PRIORITY", "Priority Mail"), ("GROUND", "Ground Adv.")]),
            ("DHL eCommerce", "DHL eCommerce", "DHLC", [("349", "DHL Parcel Expedited")]),
        ]
        with self.lock:
            self.carriers = [
                {
                    "name": name,
                    "displayName": display,
                    "carrierCode": name.upper().replace(" ", ""),
                    "scacCode": scac,
                    "description": display,
                    "active": True,
                    "deactivated": False,
                    "shipmentServices": [
                        {"code": c, "description": d, "shipEngineId": None, "deactivated": False}
                        for c, d in services
                    ],
                    "billingCodes": copy_doc(billing),
                }
                for name, display, scac, services in specs
            ]
            self.default_billing_codes = copy_doc(billing)
            self.uom_types = [
                {"id": i, "name": n}
                for i, n in enumerate(["Each", "Case", "Pallet", "Box", "Pack", "Inner"], 1)
            ]

    def seed_catalog(self, size: int, stock: int, sku_format: str = "SKU-{:06d}") -> None:
        """``size`` items, each received once with ``stock`` units through closed seed receivers
        (1,000 lines per receiver), so stock details/summaries and receivers agree."""
        if size < 0 or stock < 0:
            raise ValueError("catalog size and stock must not be negative")
        was_enabled = gc.isenabled()
        gc.disable()  # ~400k small dicts: cyclic GC passes would dominate seeding time
        try:
            self._seed_catalog(size, stock, sku_format)
        finally:
            if was_enabled:
                gc.enable()

    def _seed_catalog(self, size: int, stock: int, sku_format: str) -> None:
        with self.lock:
            stamp = self._stamp()
            cust, fac = self.customer_identifier, self.facility_identifier
            new_items: list[int] = []
            for n in range(1, size + 1):
                sku = sku_format.format(n)
                item_id = self._new_id("item")
                doc = {
                    "itemId": item_id,
                    "sku": sku,
                    "upc": f"0{700000000000 + n}",
                    "description": f"Sandbox item {n}",
                    "options": {"inventoryUnit": {"unitIdentifier": EACH}},
                    "readOnly": {
                        "itemId": item_id,
                        "customerIdentifier": cust,
                        "creationDate": stamp,
                        "lastModifiedDate": stamp,
                        "deactivated": False,
                    },
                }
                self.items[item_id] = _Record(doc, self._etag())
                self._sku_index[sku] = item_id
                self._sku_index_ci[sku.lower()] = item_id
                new_items.append(item_id)
            if stock <= 0:
                return
            qty = Decimal(stock)
            for start in range(0, len(new_items), 1000):
                chunk = new_items[start : start + 1000]
                receiver_id = self._new_id("receiver")
                ref = f"SEED-{receiver_id}"
                lines = []
                for item_id in chunk:
                    line_id = self._new_id("receiveItem")
                    item_ident = {"sku": self.items[item_id].doc["sku"], "id": item_id}
                    lines.append(
                        {
                            "itemIdentifier": item_ident,
                            "qualifier": "",
                            "qty": qty,
                            "readOnly": {"receiveItemId": line_id, "unitIdentifier": EACH},
                        }
                    )
                    self._add_lot(line_id, item_ident, qty, receiver_id, ref, None, stamp, {})
                doc = {
                    "customerIdentifier": cust,
                    "facilityIdentifier": fac,
                    "referenceNum": ref,
                    "arrivalDate": stamp,
                    "receiveItems": lines,
                    "readOnly": {
                        "receiverId": receiver_id,
                        "receiverType": 1,
                        "status": 1,
                        "customerIdentifier": cust,
                        "facilityIdentifier": fac,
                        "creationDate": stamp,
                        "lastModifiedDate": stamp,
                        "warehouseTransactionSourceType": 7,
                        "transactionEntryType": 4,
                    },
                }
                self.receivers[receiver_id] = _Record(doc, self._etag())
                self._receiver_refs[ref.lower()] = receiver_id

    # ------------------------------------------------------------------ stock
    def _summary(self, item_id: int) -> Doc:
        row = self.summaries.get(item_id)
        if row is None:
            row = {
                "facilityId": self.facility_id,
                "itemIdentifier": {"sku": self.items[item_id].doc["sku"], "id": item_id},
                "qualifier": "",
                "totalReceived": Decimal(0),
                "allocated": Decimal(0),
                "available": Decimal(0),
                "onHold": Decimal(0),
                "onHand": Decimal(0),
            }
            self.summaries[item_id] = row
            self.summary_order.append(item_id)
        return row

    def _add_lot(
        self,
        lot_id: int,
        item_ident: Doc,
        qty: Decimal,
        receiver_id: int | None,
        ref: str | None,
        po_num: str | None,
        stamp: str,
        line: Mapping[str, Any],
    ) -> None:
        item_id = item_ident["id"]
        self.lots[lot_id] = {
            "receiveItemId": lot_id,
            "itemIdentifier": item_ident,
            "description": self.items[item_id].doc.get("description"),
            "qualifier": line.get("qualifier") or "",
            "received": qty,
            "available": qty,
            "onHand": qty,
            "isOnHold": False,
            "quarantined": False,
            "lotNumber": line.get("lotNumber"),
            "serialNumber": line.get("serialNumber"),
            "expirationDate": line.get("expirationDate"),
            "cost": line.get("cost"),
            "locationIdentifier": self._location,
            "receiverId": receiver_id,
            "receivedDate": stamp,
            "referenceNum": ref,
            "poNum": po_num,
        }
        self._lots_by_item.setdefault(item_id, []).append(lot_id)
        row = self._summary(item_id)
        row["totalReceived"] += qty
        row["onHand"] += qty
        row["available"] += qty

    def _take_available(self, item_id: int, qty: Decimal) -> list[list[Any]]:
        """Allocate ``qty`` FIFO from lots; caller checked availability."""
        taken: list[list[Any]] = []
        left = qty
        for lot_id in self._lots_by_item.get(item_id, ()):
            if left <= 0:
                break
            lot = self.lots[lot_id]
            if lot["isOnHold"] or lot["available"] <= 0:
                continue
            part = min(lot["available"], left)
            lot["available"] -= part
            left -= part
            taken.append([lot_id, part])
        row = self._summary(item_id)
        row["available"] -= qty
        row["allocated"] += qty
        return taken

    def _release(self, item_id: int, allocations: list[list[Any]], qty: Decimal) -> None:
        """Give back ``qty`` of the allocations (newest lots first)."""
        left = qty
        for entry in reversed(allocations):
            if left <= 0:
                break
            part = min(entry[1], left)
            entry[1] -= part
            self.lots[entry[0]]["available"] += part
            left -= part
        allocations[:] = [e for e in allocations if e[1] > 0]
        row = self._summary(item_id)
        row["available"] += qty
        row["allocated"] -= qty

    # ------------------------------------------------------------------ orders
    def _order_ref_key(self, ref: str) -> str:
        return ref.lower()

    def create_order(self, body: Mapping[str, Any]) -> tuple[Doc, str]:
        """POST /orders. Returns (canonical copy, etag)."""
        model = "OrderCreate"
        notes: list[Notification] = []
        with self.lock:
            self._resolve_customer(body.get("customerIdentifier"), model)
            self._resolve_facility(body.get("facilityIdentifier"), model)
            ref = body.get("referenceNum")
            if not isinstance(ref, str) or not ref.strip():
                raise err.model_validation(
                    "Required", "ReferenceNum is required", [("ReferenceNum", ref)], model
                )
            unique = self.options.enforce_unique_references
            if unique and self._order_ref_key(ref) in self._order_refs:
                raise err.model_validation(
                    "Duplicate",
                    f"Duplicate ReferenceNum for customer {self.customer_id}",
                    [("ReferenceNum", ref)],
                    model,
                )
            if self.options.require_ship_to and not isinstance(body.get("shipTo"), Mapping):
                raise err.model_validation(
                    "Required", "ShipTo is required", [("ShipTo", None)], model
                )
            raw_lines = body.get("orderItems")
            if not isinstance(raw_lines, list) or not raw_lines:
                raise err.model_validation(
                    "Required", "At least one order item is required", [("OrderItems", None)], model
                )
            stamp = self._stamp()
            lines = []
            for index, raw in enumerate(raw_lines):
                where = f"OrderItems[{index}]"
                if not isinstance(raw, Mapping):
                    raise err.model_validation("Required", f"{where} must be an object")
                item = self._resolve_item(raw.get("itemIdentifier"), where, model)
                qty_raw = raw.get("qty")
                if qty_raw is None:
                    raise err.model_validation(
                        "Required", f"{where}.Qty is required", [(f"{where}.Qty", None)], model
                    )
                qty = dec(qty_raw, f"{where}.Qty")
                if qty <= 0:
                    raise err.model_validation(
                        "ValueNotSupported",
                        f"{where}.Qty must be positive",
                        [(f"{where}.Qty", str(qty))],
                        model,
                    )
                line = {k: copy_doc(v) for k, v in raw.items() if k != "readOnly"}
                line["itemIdentifier"] = {"sku": item.doc["sku"], "id": item.doc["itemId"]}
                line["qty"] = qty
                line.setdefault("qualifier", "")
                line["readOnly"] = {
                    "orderItemId": self._new_id("orderItem"),
                    "fullyAllocated": False,
                    "unitIdentifier": EACH,
                    "originalPrimaryQty": qty,
                    "isOrderQtySecondary": False,
                }
                lines.append(line)
            doc = {k: copy_doc(v) for k, v in body.items() if k not in ("readOnly", "_links")}
            doc["customerIdentifier"] = self.customer_identifier
            doc["facilityIdentifier"] = self.facility_identifier
            doc["orderItems"] = lines
            order_id = self._new_id("order")
            doc["readOnly"] = {
                "orderId": order_id,
                "status": 0,
                "isClosed": False,
                "fullyAllocated": False,
                "deferNotification": bool(body.get("deferNotification") or False),
                "customerIdentifier": self.customer_identifier,
                "facilityIdentifier": self.facility_identifier,
                "warehouseTransactionSourceType": 7,
                "transactionEntryType": 4,
                "creationDate": stamp,
                "lastModifiedDate": stamp,
                "pickStarted": False,
                "packStarted": False,
                "loadedState": 0,
            }
            record = _Record(doc, self._etag())
            self.orders[order_id] = record
            self._order_refs[self._order_ref_key(ref)] = order_id
            if self.options.order_create_events:
                notes.append(self._order_note("OrderCreate", record))
            if self.options.allocation != "none":
                changed = self._allocate(record, partial=self.options.allocation == "partial")
                if changed:
                    self._touch(record)
                    notes.extend(self._summary_notes(changed))
            result = copy_doc(record.doc), record.etag
        self._notify(notes)
        return result

    def _allocate(self, record: _Record, *, partial: bool) -> set[int]:
        """Allocate what is missing; returns the item ids whose stock changed."""
        lines = record.doc["orderItems"]
        need: dict[int, Decimal] = {}
        for line in lines:
            line_id = line["readOnly"]["orderItemId"]
            have = sum((e[1] for e in record.alloc.get(line_id, ())), Decimal(0))
            missing = line["qty"] - have
            if missing > 0:
                item_id = line["itemIdentifier"]["id"]
                need[item_id] = need.get(item_id, Decimal(0)) + missing
        if not need:
            return set()
        if not partial and any(self._summary(i)["available"] < q for i, q in need.items()):
            return set()
        changed: set[int] = set()
        for line in lines:
            line_id = line["readOnly"]["orderItemId"]
            item_id = line["itemIdentifier"]["id"]
            allocations = record.alloc.setdefault(line_id, [])
            have = sum((e[1] for e in allocations), Decimal(0))
            missing = line["qty"] - have
            can = min(missing, max(self._summary(item_id)["available"], Decimal(0)))
            if can > 0:
                allocations.extend(self._take_available(item_id, can))
                changed.add(item_id)
            line["readOnly"]["fullyAllocated"] = have + max(can, Decimal(0)) >= line["qty"]
        record.doc["readOnly"]["fullyAllocated"] = all(
            line["readOnly"]["fullyAllocated"] for line in lines
        )
        return changed

    def _reallocate_open_orders(self) -> tuple[set[int], list[_Record]]:
        if self.options.allocation == "none" or not self.options.reallocate_on_stock_change:
            return set(), []
        changed: set[int] = set()
        touched: list[_Record] = []
        for record in self.orders.values():
            ro = record.doc["readOnly"]
            if ro["status"] != 0 or ro["fullyAllocated"]:
                continue
            items = self._allocate(record, partial=self.options.allocation == "partial")
            if items:
                changed |= items
                touched.append(record)
        return changed, touched

    def get_order(self, order_id: int, *, allocations: bool = False) -> tuple[Doc, str]:
        with self.lock:
            record = self.orders.get(order_id)
            if record is None:
                raise err.not_found(f"Order {order_id}")
            return self.order_view(record, allocations=allocations), record.etag

    def order_view(self, record: _Record, *, allocations: bool = False) -> Doc:
        """A copy of the order; with ``allocations`` each line gets
        ``readOnly.allocations [{receiveItemId, qty}]`` (itemdetail=Allocations)."""
        doc: Doc = copy_doc(record.doc)
        if allocations:
            for line in doc["orderItems"]:
                entries = record.alloc.get(line["readOnly"]["orderItemId"], [])
                line["readOnly"]["allocations"] = [
                    {"receiveItemId": lot_id, "qty": qty} for lot_id, qty in entries
                ]
        return doc

    def order_records(self) -> list[_Record]:
        """Live records (read-only use under :attr:`lock`)."""
        return list(self.orders.values())

    def _order_note(self, event_type: str, record: _Record, tags: str = "") -> Notification:
        order_id = record.doc["readOnly"]["orderId"]
        return Notification(
            event_type=event_type,
            kind="order",
            rel="orders/order",
            href=f"/orders/{order_id}?detail=OrderItems,Packages",
            doc=copy_doc(record.doc),
            data={"OrderId": str(order_id)},
            tags=tags,
        )

    def _summary_notes(self, item_ids: Iterable[int]) -> list[Notification]:
        notes = []
        for item_id in sorted(item_ids):
            row = self._summary(item_id)
            notes.append(
                Notification(
                    event_type="InventorySummaryUpdate",
                    kind="summary",
                    rel="inventory/stocksummary",
                    href=f"/inventory/stocksummaries?rql=itemIdentifier.id=={item_id}",
                    doc=copy_doc(row),
                    data={"ItemId": str(item_id), "Sku": row["itemIdentifier"]["sku"]},
                )
            )
        return notes

    def cancel_order(
        self, order_id: int, *, if_match: str | None = None, check_etag: bool = False
    ) -> None:
        notes: list[Notification] = []
        with self.lock:
            record = self.orders.get(order_id)
            if record is None:
                raise err.not_found(f"Order {order_id}")
            if check_etag:
                self.check_if_match(record.etag, if_match)
            ro = record.doc["readOnly"]
            if ro["status"] == 1:
                raise err.operation("OrderConfirmed", "Order is already confirmed", "Cancel")
            if ro["status"] == 2:
                raise err.operation("OrderCanceled", "Order is already canceled", "Cancel")
            changed: set[int] = set()
            for line in record.doc["orderItems"]:
                line_id = line["readOnly"]["orderItemId"]
                allocations = record.alloc.get(line_id, [])
                total = sum((e[1] for e in allocations), Decimal(0))
                if total > 0:
                    item_id = line["itemIdentifier"]["id"]
                    self._release(item_id, allocations, total)
                    changed.add(item_id)
                line["readOnly"]["fullyAllocated"] = False
            ro["status"] = 2
            ro["isClosed"] = self.options.canceled_is_closed
            ro["fullyAllocated"] = False
            if not self.options.canceled_blocks_reference:
                self._order_refs.pop(self._order_ref_key(record.doc["referenceNum"]), None)
            self._touch(record)
            notes.append(self._order_note("OrderCancel", record))
            notes.extend(self._summary_notes(changed))
            more, touched = self._reallocate_open_orders()
            for other in touched:
                self._touch(other)
                notes.append(self._order_note("OrderUpdate", other))
            notes.extend(self._summary_notes(more - changed))
        self._notify(notes)

    def allocate_order(self, order_id: int, *, partial: bool = False) -> bool:
        """Driver: allocate an open order now; returns whether it is fully allocated."""
        notes: list[Notification] = []
        with self.lock:
            record = self._open_order(order_id)
            changed = self._allocate(record, partial=partial)
            if changed:
                self._touch(record)
                notes.append(self._order_note("OrderUpdate", record))
                notes.extend(self._summary_notes(changed))
            result = bool(record.doc["readOnly"]["fullyAllocated"])
        self._notify(notes)
        return result

    def allocate_open_orders(self, *, partial: bool = False) -> list[int]:
        """Driver: try to allocate every open order (creation order); returns the fully
        allocated ones."""
        with self.lock:
            ids = [i for i, r in self.orders.items() if r.doc["readOnly"]["status"] == 0]
        return [i for i in ids if self.allocate_order(i, partial=partial)]

    def _open_order(self, order_id: int) -> _Record:
        record = self.orders.get(order_id)
        if record is None:
            raise err.SandboxError(f"order {order_id} does not exist")
        if record.doc["readOnly"]["status"] != 0:
            raise err.SandboxError(f"order {order_id} is not open")
        return record

    def _line_for(self, record: _Record, key: str | int) -> Doc:
        for line in record.doc["orderItems"]:
            if key == line["readOnly"]["orderItemId"] or (
                isinstance(key, str) and key.lower() == line["itemIdentifier"]["sku"].lower()
            ):
                found: Doc = line
                return found
        raise err.SandboxError(f"order has no line {key!r}")

    def ship_order(
        self,
        order_id: int,
        *,
        shipped: Mapping[str | int, Any] | None = None,
        packages: Sequence[Mapping[str, Any]] | None = None,
        tracking_number: str | None = None,
        carrier: str | None = None,
        mode: str | None = None,
        require_allocated: bool = False,
        if_match: str | None = None,
        check_etag: bool = False,
    ) -> Doc:
        """Close (confirm) an open order as shipped.

        ``shipped`` maps SKU or orderItemId → shipped qty (default: the ordered qty); a qty below
        the ordered one is a short shipment (line ``qty`` drops, ``readOnly.originalPrimaryQty``
        keeps the ordered qty). ``packages``: ``[{"trackingNumber": "1Z..", "contents": {sku: qty},
        "weight": 1.2}]``; default one package holding everything. Missing allocation is taken
        from available stock; not enough stock raises :class:`SandboxError`.
        """
        notes: list[Notification] = []
        with self.lock:
            if check_etag:
                record0 = self.orders.get(order_id)
                if record0 is None:
                    raise err.not_found(f"Order {order_id}")
                self.check_if_match(record0.etag, if_match)
                if record0.doc["readOnly"]["status"] == 1:
                    raise err.operation("OrderConfirmed", "Order is already confirmed", "Confirm")
                if record0.doc["readOnly"]["status"] == 2:
                    raise err.operation("OrderCanceled", "Order is canceled", "Confirm")
            record = self._open_order(order_id)
            if require_allocated and not record.doc["readOnly"]["fullyAllocated"]:
                raise err.operation("NotFullyAllocated", "Order is not fully allocated", "Confirm")
            lines = record.doc["orderItems"]
            ship_qty: dict[int, Decimal] = {
                line["readOnly"]["orderItemId"]: line["qty"] for line in lines
            }
            package_specs: list[tuple[Mapping[str, Any], dict[int, Decimal]]] = []
            from_packages: dict[int, Decimal] = {}
            if packages is not None:
                from_packages = dict.fromkeys(ship_qty, Decimal(0))
                for spec in packages:
                    contents: dict[int, Decimal] = {}
                    for key, qty in dict(spec.get("contents") or {}).items():
                        line = self._line_for(record, key)
                        line_id = line["readOnly"]["orderItemId"]
                        contents[line_id] = contents.get(line_id, Decimal(0)) + Decimal(str(qty))
                        from_packages[line_id] += Decimal(str(qty))
                    package_specs.append((spec, contents))
                if shipped is None:
                    ship_qty = from_packages
            if shipped is not None:
                ship_qty = dict.fromkeys(ship_qty, Decimal(0))
                for key, qty in shipped.items():
                    line = self._line_for(record, key)
                    ship_qty[line["readOnly"]["orderItemId"]] = Decimal(str(qty))
                if packages is not None and from_packages != ship_qty:
                    raise err.SandboxError("package contents do not add up to the shipped qty")
            # check quantities and stock before changing anything
            extra_need: dict[int, Decimal] = {}
            for line in lines:
                line_id = line["readOnly"]["orderItemId"]
                qty = ship_qty[line_id]
                if qty < 0 or qty > line["qty"]:
                    raise err.SandboxError(f"shipped qty {qty} out of range for line {line_id}")
                have = sum((e[1] for e in record.alloc.get(line_id, ())), Decimal(0))
                if qty > have:
                    item_id = line["itemIdentifier"]["id"]
                    extra_need[item_id] = extra_need.get(item_id, Decimal(0)) + qty - have
            for item_id, qty in extra_need.items():
                if self._summary(item_id)["available"] < qty:
                    sku = self.items[item_id].doc["sku"]
                    raise err.SandboxError(f"not enough available stock of {sku} to ship")
            stamp = self._stamp()
            changed: set[int] = set()
            line_lots: dict[int, list[list[Any]]] = {}
            for line in lines:
                line_id = line["readOnly"]["orderItemId"]
                item_id = line["itemIdentifier"]["id"]
                qty = ship_qty[line_id]
                allocations = record.alloc.setdefault(line_id, [])
                have = sum((e[1] for e in allocations), Decimal(0))
                if qty > have:
                    allocations.extend(self._take_available(item_id, qty - have))
                    have = qty
                if have > qty:
                    self._release(item_id, allocations, have - qty)
                for lot_id, part in allocations:
                    self.lots[lot_id]["onHand"] -= part
                self._summary(item_id)["onHand"] -= qty
                line_lots[line_id] = copy_doc(allocations)
                if qty or have:
                    changed.add(item_id)
                line["qty"] = qty
                line["readOnly"]["fullyAllocated"] = True
            if not package_specs:
                contents = {k: v for k, v in ship_qty.items() if v > 0}
                package_specs = (
                    [({"trackingNumber": tracking_number}, contents)] if contents else []
                )
            ro = record.doc["readOnly"]
            built = []
            for spec, contents in package_specs:
                package_id = self._new_id("package")
                tracking = _ci_get(spec, "trackingNumber") or self._tracking(package_id, record)
                package_contents = []
                for line_id, qty in contents.items():
                    lots = line_lots.get(line_id) or [[None, qty]]
                    package_contents.append(
                        {
                            "packageContentId": self._new_id("packageContent"),
                            "packageId": package_id,
                            "orderItemId": line_id,
                            "receiveItemId": lots[0][0],
                            "qty": qty,
                            "createDate": stamp,
                            "serialNumbers": [],
                        }
                    )
                built.append(
                    {
                        "packageId": package_id,
                        "packageTypeId": 2,
                        "length": _opt_dec(spec.get("length")),
                        "width": _opt_dec(spec.get("width")),
                        "height": _opt_dec(spec.get("height")),
                        "weight": _opt_dec(spec.get("weight")),
                        "trackingNumber": tracking,
                        "description": spec.get("description"),
                        "createDate": stamp,
                        "packageContents": package_contents,
                    }
                )
            ro["packages"] = built
            routing = record.doc.setdefault("routingInfo", {})
            if not isinstance(routing, dict):
                routing = record.doc["routingInfo"] = {}
            if carrier is not None:
                routing["carrier"] = carrier
            if mode is not None:
                routing["mode"] = mode
            first_tracking = built[0]["trackingNumber"] if built else tracking_number
            if first_tracking:
                routing["trackingNumber"] = first_tracking
            ro.update(
                status=1,
                isClosed=True,
                fullyAllocated=True,
                processDate=stamp,
                shipDate=stamp,
                pickStarted=True,
                packStarted=bool(built),
                packDoneDate=stamp if built else None,
            )
            self._touch(record, stamp)
            notes.append(self._order_note("OrderConfirm", record, tags="Shipped"))
            more, touched = self._reallocate_open_orders()
            for other in touched:
                self._touch(other)
                notes.append(self._order_note("OrderUpdate", other))
            notes.extend(self._summary_notes(changed | more))
            result: Doc = copy_doc(record.doc)
        self._notify(notes)
        return result

    def _tracking(self, package_id: int, record: _Record) -> str:
        routing = record.doc.get("routingInfo") or {}
        carrier = str(_ci_get(routing, "carrier") or "UPS").upper()
        if carrier.startswith("UPS"):
            return f"1ZSBX{package_id:011d}"
        if carrier.startswith("FEDEX"):
            return f"7{package_id:011d}"
        return f"9400{package_id:018d}"

    # ------------------------------------------------------------------ receivers
    def create_receiver(self, body: Mapping[str, Any]) -> tuple[Doc, str]:
        model = "ReceiverCreate"
        with self.lock:
            self._resolve_customer(body.get("customerIdentifier"), model)
            self._resolve_facility(body.get("facilityIdentifier"), model)
            ref = body.get("referenceNum")
            if not isinstance(ref, str) or not ref.strip():
                raise err.model_validation(
                    "Required", "ReferenceNum is required", [("ReferenceNum", ref)], model
                )
            if self.options.enforce_unique_references and ref.lower() in self._receiver_refs:
                raise err.model_validation(
                    "Duplicate",
                    f"Duplicate ReferenceNum for customer {self.customer_id}",
                    [("ReferenceNum", ref)],
                    model,
                )
            raw_lines = body.get("receiveItems")
            if not isinstance(raw_lines, list) or not raw_lines:
                raise err.model_validation(
                    "Required", "At least one receive item is required", [("ReceiveItems", None)]
                )
            lines = []
            for index, raw in enumerate(raw_lines):
                where = f"ReceiveItems[{index}]"
                if not isinstance(raw, Mapping):
                    raise err.model_validation("Required", f"{where} must be an object")
                item = self._resolve_item(raw.get("itemIdentifier"), where, model)
                if raw.get("qty") is None:
                    raise err.model_validation(
                        "Required", f"{where}.Qty is required", [(f"{where}.Qty", None)], model
                    )
                qty = dec(raw.get("qty"), f"{where}.Qty")
                if qty < 0:
                    raise err.model_validation(
                        "ValueNotSupported", f"{where}.Qty must not be negative", model_type=model
                    )
                line = {k: copy_doc(v) for k, v in raw.items() if k != "readOnly"}
                line["itemIdentifier"] = {"sku": item.doc["sku"], "id": item.doc["itemId"]}
                line["qty"] = qty
                line.setdefault("qualifier", "")
                line["readOnly"] = {
                    "receiveItemId": self._new_id("receiveItem"),
                    "unitIdentifier": EACH,
                    "expectedQty": None,
                }
                lines.append(line)
            stamp = self._stamp()
            receiver_id = self._new_id("receiver")
            doc = {k: copy_doc(v) for k, v in body.items() if k not in ("readOnly", "_links")}
            doc["customerIdentifier"] = self.customer_identifier
            doc["facilityIdentifier"] = self.facility_identifier
            doc["receiveItems"] = lines
            doc.setdefault("arrivalDate", stamp)
            doc["readOnly"] = {
                "receiverId": receiver_id,
                "receiverType": 1,
                "status": 0,
                "customerIdentifier": self.customer_identifier,
                "facilityIdentifier": self.facility_identifier,
                "warehouseTransactionSourceType": 7,
                "transactionEntryType": body.get("transactionEntryType", 4),
                "creationDate": stamp,
                "lastModifiedDate": stamp,
            }
            record = _Record(doc, self._etag())
            self.receivers[receiver_id] = record
            self._receiver_refs[ref.lower()] = receiver_id
            view: Doc = copy_doc(doc)
            return view, record.etag

    def get_receiver(self, receiver_id: int) -> tuple[Doc, str]:
        with self.lock:
            record = self.receivers.get(receiver_id)
            if record is None:
                raise err.not_found(f"Receiver {receiver_id}")
            return copy_doc(record.doc), record.etag

    def receiver_docs(self) -> list[Doc]:
        return [r.doc for r in self.receivers.values()]

    def confirm_receiver(
        self,
        receiver_id: int,
        *,
        received: Mapping[str | int, Any] | None = None,
        arrival_date: str | None = None,
        if_match: str | None = None,
        check_etag: bool = False,
    ) -> Doc:
        """Close a receiver; ``received`` maps SKU or receiveItemId → received qty (default: the
        planned qty). Received stock becomes available and open orders are allocated again."""
        notes: list[Notification] = []
        with self.lock:
            record = self.receivers.get(receiver_id)
            if record is None:
                if check_etag:
                    raise err.not_found(f"Receiver {receiver_id}")
                raise err.SandboxError(f"receiver {receiver_id} does not exist")
            if check_etag:
                self.check_if_match(record.etag, if_match)
            ro = record.doc["readOnly"]
            if ro["status"] != 0:
                if check_etag:
                    raise err.operation("AlreadyCompleted", "Receiver is not open", "Confirm")
                raise err.SandboxError(f"receiver {receiver_id} is not open")
            lines = record.doc["receiveItems"]
            qty_by_line = {line["readOnly"]["receiveItemId"]: line["qty"] for line in lines}
            if received is not None:
                qty_by_line = dict.fromkeys(qty_by_line, Decimal(0))
                for key, qty in received.items():
                    match = None
                    for line in lines:
                        if key == line["readOnly"]["receiveItemId"] or (
                            isinstance(key, str)
                            and key.lower() == line["itemIdentifier"]["sku"].lower()
                        ):
                            match = line
                            break
                    if match is None:
                        raise err.SandboxError(f"receiver has no line {key!r}")
                    value = Decimal(str(qty))
                    if value < 0:
                        raise err.SandboxError("received qty must not be negative")
                    qty_by_line[match["readOnly"]["receiveItemId"]] = value
            stamp = self._stamp()
            changed: set[int] = set()
            for line in lines:
                line_id = line["readOnly"]["receiveItemId"]
                qty = qty_by_line[line_id]
                if self.options.record_expected_qty:
                    line["readOnly"]["expectedQty"] = line["qty"]
                line["qty"] = qty
                if qty > 0:
                    self._add_lot(
                        line_id,
                        copy_doc(line["itemIdentifier"]),
                        qty,
                        receiver_id,
                        record.doc.get("referenceNum"),
                        record.doc.get("poNum"),
                        stamp,
                        line,
                    )
                    changed.add(line["itemIdentifier"]["id"])
            ro["status"] = 1
            record.doc["arrivalDate"] = arrival_date or stamp
            self._touch(record, stamp)
            notes.append(
                Notification(
                    event_type=f"{self.options.receipt_event_prefix}Confirm",
                    kind="receiver",
                    rel="inventory/receiver",
                    href=f"/inventory/receivers/{receiver_id}?detail=ReceiveItems",
                    doc=copy_doc(record.doc),
                    data={"ReceiverId": str(receiver_id)},
                )
            )
            more, touched = self._reallocate_open_orders()
            for other in touched:
                self._touch(other)
                notes.append(self._order_note("OrderUpdate", other))
            notes.extend(self._summary_notes(changed | more))
            result: Doc = copy_doc(record.doc)
        self._notify(notes)
        return result

    def receive(
        self,
        lines: Mapping[str, Any],
        *,
        reference_num: str | None = None,
        received: Mapping[str | int, Any] | None = None,
    ) -> int:
        """Driver: create a receiver for ``{sku: qty}`` and confirm it; returns its id."""
        with self.lock:
            ref = reference_num or f"SBX-RCV-{self._next_id['receiver'] + 1}"
            doc, _ = self.create_receiver(
                {
                    "customerIdentifier": {"id": self.customer_id},
                    "facilityIdentifier": {"id": self.facility_id},
                    "referenceNum": ref,
                    "receiveItems": [
                        {"itemIdentifier": {"sku": sku}, "qty": qty} for sku, qty in lines.items()
                    ],
                }
            )
        receiver_id = int(doc["readOnly"]["receiverId"])
        self.confirm_receiver(receiver_id, received=received)
        return receiver_id

    # ------------------------------------------------------------------ adjustments
    def adjust_stock(self, sku: str, delta: Any) -> Doc:
        """Driver: inventory adjustment of ``delta`` units (negative removes available stock)."""
        notes: list[Notification] = []
        with self.lock:
            item_id = self.find_item_id(sku)
            if item_id is None:
                raise err.SandboxError(f"unknown SKU {sku!r}")
            amount = Decimal(str(delta))
            row = self._summary(item_id)
            lot_ids = self._lots_by_item.get(item_id, [])
            stamp = self._stamp()
            if amount > 0:
                if lot_ids:
                    lot = self.lots[lot_ids[-1]]
                    lot["onHand"] += amount
                    lot["available"] += amount
                    row["onHand"] += amount
                    row["available"] += amount
                else:
                    ident = {"sku": self.items[item_id].doc["sku"], "id": item_id}
                    lot_id = self._new_id("receiveItem")
                    self._add_lot(lot_id, ident, amount, None, None, None, stamp, {})
                    row["totalReceived"] -= amount  # an adjustment is not a receipt
            elif amount < 0:
                if row["available"] < -amount:
                    raise err.SandboxError(f"not enough available stock of {sku} to remove")
                left = -amount
                for lot_id in lot_ids:
                    lot = self.lots[lot_id]
                    part = min(max(lot["available"], Decimal(0)), left)
                    lot["available"] -= part
                    lot["onHand"] -= part
                    left -= part
                    if left <= 0:
                        break
                row["onHand"] += amount
                row["available"] += amount
            notes.extend(self._summary_notes([item_id]))
            more, touched = self._reallocate_open_orders()
            for other in touched:
                self._touch(other)
                notes.append(self._order_note("OrderUpdate", other))
            notes.extend(self._summary_notes(more - {item_id}))
            result: Doc = copy_doc(row)
        self._notify(notes)
        return result

    def stock(self, sku: str) -> Doc:
        """Driver: the stock summary row of ``sku`` (a copy; zeros if never received)."""
        with self.lock:
            item_id = self.find_item_id(sku)
            if item_id is None:
                raise err.SandboxError(f"unknown SKU {sku!r}")
            row: Doc = copy_doc(self._summary(item_id))
            return row

    def ordered_not_allocated(self) -> dict[int, Decimal]:
        result: dict[int, Decimal] = {}
        for record in self.orders.values():
            if record.doc["readOnly"]["status"] != 0:
                continue
            for line in record.doc["orderItems"]:
                have = sum(
                    (e[1] for e in record.alloc.get(line["readOnly"]["orderItemId"], ())),
                    Decimal(0),
                )
                missing = line["qty"] - have
                if missing > 0:
                    item_id = line["itemIdentifier"]["id"]
                    result[item_id] = result.get(item_id, Decimal(0)) + missing
        return result

    # ------------------------------------------------------------------ items
    def item_record(self, item_id: int) -> _Record:
        record = self.items.get(item_id)
        if record is None:
            raise err.not_found(f"Item {item_id}")
        return record

    def item_for_sku(self, sku: str) -> list[_Record]:
        found = self.find_item_id(sku)
        return [self.items[found]] if found is not None else []

    def _validate_item_body(self, body: Mapping[str, Any], item_id: int | None) -> str:
        sku = body.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            raise err.model_validation("Required", "Sku is required", [("Sku", sku)], "Item")
        existing = self.find_item_id(sku)
        if existing is not None and existing != item_id:
            raise err.model_validation(
                "Duplicate", "Duplicate Sku for customer", [("Sku", sku)], "Item"
            )
        return sku

    def create_item(self, body: Mapping[str, Any]) -> tuple[Doc, str]:
        notes: list[Notification] = []
        with self.lock:
            sku = self._validate_item_body(body, None)
            stamp = self._stamp()
            item_id = self._new_id("item")
            doc = {k: copy_doc(v) for k, v in body.items() if k not in ("readOnly", "_links")}
            doc["itemId"] = item_id
            doc["sku"] = sku
            options = doc.setdefault("options", {})
            if isinstance(options, dict):
                options.setdefault("inventoryUnit", {"unitIdentifier": EACH})
            doc["readOnly"] = {
                "itemId": item_id,
                "customerIdentifier": self.customer_identifier,
                "creationDate": stamp,
                "lastModifiedDate": stamp,
                "deactivated": False,
            }
            record = _Record(doc, self._etag())
            self.items[item_id] = record
            self._sku_index[sku] = item_id
            self._sku_index_ci[sku.lower()] = item_id
            notes.append(self._item_note("ItemCreate", record))
            result = copy_doc(doc), record.etag
        self._notify(notes)
        return result

    def add_item(self, sku: str, description: str = "", **fields: Any) -> int:
        """Driver: add a catalog item; returns its itemId."""
        doc, _ = self.create_item({"sku": sku, "description": description, **fields})
        return int(doc["itemId"])

    def update_item(
        self, item_id: int, body: Mapping[str, Any], if_match: str | None
    ) -> tuple[Doc, str]:
        notes: list[Notification] = []
        with self.lock:
            record = self.item_record(item_id)
            self.check_if_match(record.etag, if_match)
            sku = self._validate_item_body(body, item_id)
            old_sku = record.doc["sku"]
            doc = {k: copy_doc(v) for k, v in body.items() if k not in ("readOnly", "_links")}
            doc["itemId"] = item_id
            doc["readOnly"] = record.doc["readOnly"]
            sent_ro = body.get("readOnly")
            if isinstance(sent_ro, Mapping) and "deactivated" in sent_ro:
                doc["readOnly"]["deactivated"] = bool(sent_ro["deactivated"])
            record.doc = doc
            if sku != old_sku:
                self._sku_index.pop(old_sku, None)
                self._sku_index_ci.pop(old_sku.lower(), None)
                self._sku_index[sku] = item_id
                self._sku_index_ci[sku.lower()] = item_id
            self._touch(record)
            notes.append(self._item_note("ItemUpdate", record))
            result = copy_doc(doc), record.etag
        self._notify(notes)
        return result

    def _item_note(self, event_type: str, record: _Record) -> Notification:
        item_id = record.doc["itemId"]
        return Notification(
            event_type=event_type,
            kind="item",
            rel="customers/item",
            href=f"/customers/{self.customer_id}/items/{item_id}",
            doc=copy_doc(record.doc),
            data={"ItemId": str(item_id)},
        )


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
