"""The warehouse's state, its identifiers and stock lots: what every area of it shares."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from . import _errors as err
from ._wh_model import (
    Doc,
    Notification,
    StockRow,
    WarehouseOptions,
    _ci_get,
    _Record,
    copy_doc,
)

__all__ = ["WarehouseCore", "format_stamp"]

#: The document of a notification made while nobody listened (never emitted).
_NOT_KEPT: Doc = {}


def format_stamp(value: datetime) -> str:
    """``2024-05-01T10:00:00.47``: offset-less, up to 2 fractional digits, zeros trimmed."""
    if value.year >= 1000:  # what strftime gives, without its cost (two stamps per write)
        text = (
            f"{value.year}-{value.month:02d}-{value.day:02d}"
            f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        )
    else:  # strftime's own rendering of a short year, whatever the platform's is
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
    hundredths = value.microsecond // 10_000
    return text + (f".{hundredths:02d}".rstrip("0") if hundredths else "")


class WarehouseCore:
    """State, clock, ids, ETags and the stock-lot primitives the order, receiving and catalog
    areas build on. All public methods of the areas take ``lock`` (re-entrant)."""

    def __init__(
        self,
        *,
        customer_id: int,
        facility_id: int,
        options: WarehouseOptions | None = None,
        clock: Callable[[], datetime] | None = None,
        emit: Callable[[list[Notification]], None] | None = None,
        listening: Callable[[], bool] | None = None,
    ) -> None:
        self.options = options or WarehouseOptions()
        self._clock = clock or (lambda: datetime.now(timezone.utc).replace(tzinfo=None))
        self._emit = emit
        # Whether notifications are wanted now (the sandbox: a webhook destination is set);
        # when not, a change skips copying its documents for them.
        self._listening = listening
        self.lock = threading.RLock()
        self._rowversion = 0
        # Bumped by every write (each write mints an ETag); read views cache on it.
        self.generation = 0
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
        self.summaries: dict[int, StockRow] = {}
        self.summary_order: list[int] = []
        self.aliases: dict[int, Doc] = {}  # aliasId -> item alias document
        # shared, never mutated in place (views are copied before rendering)
        self._location: Doc = {
            "nameKey": {"facilityIdentifier": self.facility_identifier, "name": "A-01-01"},
            "id": 1,
        }

    # ------------------------------------------------------------------ basics
    def _stamp(self) -> str:
        # The real API stamps with centisecond precision and trims trailing zeros
        # ("…:27.47", "…:27.4", "…:27"); stamps stay strictly increasing, one tick apart.
        now = self._clock()
        now = now.replace(microsecond=now.microsecond // 10_000 * 10_000)
        if now <= self._last_stamp:
            now = self._last_stamp + timedelta(microseconds=10_000)
        self._last_stamp = now
        return format_stamp(now)

    def _etag(self) -> str:
        self._rowversion += 1
        self.generation += 1
        return '"' + base64.b64encode(self._rowversion.to_bytes(8, "big")).decode() + '"'

    def _new_id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    def _touch(self, record: _Record, stamp: str | None = None) -> None:
        record.doc["readOnly"]["lastModifiedDate"] = stamp or self._stamp()
        record.etag = self._etag()

    def _notify(self, notes: list[Notification]) -> None:
        if notes and self._emit is not None:
            # A note made while nobody listened has no document: dropped, as the sender
            # drops every note while it has no destination.
            kept = [note for note in notes if note.doc is not _NOT_KEPT]
            if kept:
                self._emit(kept)

    def _note_doc(self, doc: Doc) -> Doc:
        """A notification's private copy of ``doc``, or a placeholder when nobody listens."""
        if self._emit is None or (self._listening is not None and not self._listening()):
            return _NOT_KEPT
        copy: Doc = copy_doc(doc)
        return copy

    @property
    def customer_identifier(self) -> Doc:
        return {"externalId": "SBX-CUST", "name": "Sandbox Customer", "id": self.customer_id}

    @property
    def api_user(self) -> Doc:
        """``createdByIdentifier``/``lastModifiedByIdentifier`` of REST writes."""
        return {"name": "API User", "id": 4242}

    def order_read_only_defaults(self) -> Doc:
        """The ``readOnly`` fields a real order always carries, in their initial state."""
        return {
            "asnCandidate": 0,
            "routeCandidate": 0,
            "importModuleId": 0,
            "exportModuleIds": "",
            "pickDoneDate": None,
            "pickTicketPrintDate": None,
            "packDoneDate": None,
            "labelsExported": False,
            "invoiceExportedDate": None,
            "invoiceDeliveredDate": None,
            "loadOutDoneDate": None,
            "reallocatedAfterPickTicketDate": None,
            "routeSent": False,
            "asnSentDate": None,
            "asnSent": False,
            "pkgsExported": False,
            "batchIdentifier": None,
            "smallParcelShipDate": None,
            "packages": [],
            "shippingPallets": [],
            "outboundSerialNumbers": [],
            "parcelLabelType": 0,
            "importChannelIdentifier": None,
            "createdByIdentifier": self.api_user,
            "lastModifiedByIdentifier": self.api_user,
            "chargesPending": False,
        }

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

    # ------------------------------------------------------------------ stock
    def _summary(self, item_id: int) -> StockRow:
        row = self.summaries.get(item_id)
        if row is None:
            ident = StockRow(sku=self.items[item_id].doc["sku"], id=item_id)
            row = StockRow(
                facilityId=self.facility_id,
                itemIdentifier=ident,
                qualifier="",
                totalReceived=Decimal(0),
                allocated=Decimal(0),
                available=Decimal(0),
                onHold=Decimal(0),
                onHand=Decimal(0),
            )
            ident.owner = row  # the rendered row holds the identifier: its change drops both
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
            if lot["isOnHold"] or lot["quarantined"] or lot["available"] <= 0:
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
        held = Decimal(0)  # returned to a lot held since: on hold, not sellable
        for entry in reversed(allocations):
            if left <= 0:
                break
            part = min(entry[1], left)
            entry[1] -= part
            lot = self.lots[entry[0]]
            lot["available"] += part
            if lot["isOnHold"] or lot["quarantined"]:
                held += part
            left -= part
        allocations[:] = [e for e in allocations if e[1] > 0]
        row = self._summary(item_id)
        row["available"] += qty - held
        row["onHold"] += held
        row["allocated"] -= qty

    def _header_doc(self, body: Mapping[str, Any]) -> Doc:
        """A stored order or receiver header: the request body without client-sent read-only
        parts, bound to this warehouse's customer and facility."""
        doc = {k: copy_doc(v) for k, v in body.items() if k not in ("readOnly", "_links")}
        doc["customerIdentifier"] = self.customer_identifier
        doc["facilityIdentifier"] = self.facility_identifier
        return doc

    # ------------------------------------------------------------------ allocation

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

    def _order_note(self, event_type: str, record: _Record, tags: str = "") -> Notification:
        order_id = record.doc["readOnly"]["orderId"]
        return Notification(
            event_type=event_type,
            kind="order",
            rel="orders/order",
            href=f"/orders/{order_id}?detail=OrderItems,Packages",
            doc=self._note_doc(record.doc),
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
                    doc=self._note_doc(row),
                    data={"ItemId": str(item_id), "Sku": row["itemIdentifier"]["sku"]},
                )
            )
        return notes
