"""Receivers: create, confirm (received may differ from expected); stock adjustments and queries."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import _errors as err
from ._wh_core import WarehouseCore
from ._wh_model import (
    EACH,
    Doc,
    Notification,
    _Record,
    copy_doc,
    dec,
    line_doc,
)

__all__ = ["ReceivingDock"]


class ReceivingDock(WarehouseCore):
    """Receivers: create, confirm (received may differ from expected); stock adjustments and
    queries."""

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
                read_only = {
                    "receiveItemId": self._new_id("receiveItem"),
                    "unitIdentifier": EACH,
                    "expectedQty": None,
                }
                lines.append(line_doc(raw, item.doc, qty, read_only))
            stamp = self._stamp()
            receiver_id = self._new_id("receiver")
            doc = self._header_doc(body)
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
                "createdByIdentifier": self.api_user,
                "lastModifiedByIdentifier": self.api_user,
                "deferNotification": False,
                "chargesPending": False,
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
                    doc=self._note_doc(record.doc),
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
                    if lot["isOnHold"] or lot["quarantined"]:
                        continue  # held stock is not what "available" counts
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
