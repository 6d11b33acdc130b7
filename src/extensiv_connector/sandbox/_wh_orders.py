"""Orders: create, allocate, cancel, ship (with packages and short shipments)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from . import _errors as err
from ._wh_core import WarehouseCore
from ._wh_model import (
    EACH,
    Doc,
    Notification,
    _ci_get,
    _opt_dec,
    _Record,
    copy_doc,
    dec,
    line_doc,
)

__all__ = ["OrderDesk"]


class OrderDesk(WarehouseCore):
    """Orders: create, allocate, cancel, ship (with packages and short shipments)."""

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
                read_only = {
                    "orderItemId": self._new_id("orderItem"),
                    "fullyAllocated": False,
                    "unitIdentifier": EACH,
                    "originalPrimaryQty": qty,
                    "isOrderQtySecondary": False,
                }
                lines.append(line_doc(raw, item.doc, qty, read_only))
            doc = self._header_doc(body)
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
                **self.order_read_only_defaults(),
            }
            record = _Record(doc, self._etag())
            self.orders[order_id] = record
            self._order_refs[self._order_ref_key(ref)] = order_id
            if self.options.order_create_events:
                notes.append(self._order_note("OrderCreate", record))
            if self.options.allocates_on_create:
                changed = self._allocate(record, partial=self.options.allocation == "partial")
                if changed:
                    self._touch(record)
                    notes.extend(self._summary_notes(changed))
            result = copy_doc(record.doc), record.etag
        self._notify(notes)
        return result

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

    def cancel_order(
        self, order_id: int, *, if_match: str | None = None, check_etag: bool = False
    ) -> None:
        """Cancel an open order, releasing its allocations. The REST handler passes
        ``check_etag``; a driver call (without it) that the warehouse cannot do (no such
        order, or not open) raises :class:`SandboxError`, as every driver call does."""
        if check_etag:
            self._cancel_order(order_id, if_match=if_match, check_etag=True)
            return
        try:
            self._cancel_order(order_id, if_match=if_match, check_etag=False)
        except err.ApiFault as fault:
            raise err.SandboxError(f"order {order_id}: cannot cancel: {fault}") from None

    def _cancel_order(self, order_id: int, *, if_match: str | None, check_etag: bool) -> None:
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
                    # one content row per lot the quantity came from (what a packer scans)
                    for lot_id, part in _take_lots(line_lots.setdefault(line_id, []), qty):
                        package_contents.append(
                            {
                                "packageContentId": self._new_id("packageContent"),
                                "packageId": package_id,
                                "orderItemId": line_id,
                                "receiveItemId": lot_id,
                                "qty": part,
                                **self._lot_traits(lot_id),
                                "createDate": stamp,
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
            ro["outboundSerialNumbers"] = self._outbound_serials(record, built)
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

    def _lot_traits(self, lot_id: int | None) -> Doc:
        lot = self.lots.get(lot_id) if lot_id is not None else None
        serial = lot.get("serialNumber") if lot else None
        return {
            "lotNumber": lot.get("lotNumber") if lot else None,
            "serialNumber": serial,
            "expirationDate": lot.get("expirationDate") if lot else None,
            "serialNumbers": [serial] if serial else [],
        }

    def _outbound_serials(self, record: _Record, packages: list[Doc]) -> list[Doc]:
        """``readOnly.outboundSerialNumbers``: the shipped serials per item and qualifier."""
        by_line = {line["readOnly"]["orderItemId"]: line for line in record.doc["orderItems"]}
        grouped: dict[tuple[int, str], Doc] = {}
        for package in packages:
            for content in package["packageContents"]:
                if not content["serialNumbers"]:
                    continue
                line = by_line[content["orderItemId"]]
                key = (line["itemIdentifier"]["id"], line.get("qualifier") or "")
                entry = grouped.setdefault(
                    key,
                    {
                        "itemIdentifier": copy_doc(line["itemIdentifier"]),
                        "qualifier": key[1],
                        "serialNumbers": [],
                    },
                )
                entry["serialNumbers"].extend(content["serialNumbers"])
        return list(grouped.values())

    def _tracking(self, package_id: int, record: _Record) -> str:
        routing = record.doc.get("routingInfo") or {}
        carrier = str(_ci_get(routing, "carrier") or "UPS").upper()
        if carrier.startswith("UPS"):
            return f"1ZSBX{package_id:011d}"
        if carrier.startswith("FEDEX"):
            return f"7{package_id:011d}"
        return f"9400{package_id:018d}"


def _take_lots(queue: list[list[Any]], qty: Decimal) -> list[tuple[int | None, Decimal]]:
    """Consume ``qty`` from a line's ``[[lotId, qty], ...]`` (in allocation order)."""
    taken: list[tuple[int | None, Decimal]] = []
    left = qty
    while left > 0 and queue:
        lot_id, have = queue[0]
        part = min(have, left)
        taken.append((lot_id, part))
        left -= part
        if part >= have:
            queue.pop(0)
        else:
            queue[0] = [lot_id, have - part]
    if left > 0:  # not from a tracked lot (defensive: packages never exceed what shipped)
        taken.append((None, left))
    return taken
