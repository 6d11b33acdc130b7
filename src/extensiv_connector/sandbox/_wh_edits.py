"""Edits and operators: order PUT, allocator/deallocator, bulk cancel, receiver PUT and cancel,
item delete and item aliases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from . import _errors as err
from ._wh_core import WarehouseCore
from ._wh_model import EACH, Doc, Notification, _Record, copy_doc, dec, line_doc

# Header keys a PUT may not change: the server owns them.
__all__ = ["Edits"]

_SERVER_KEYS = ("readOnly", "_links", "_embedded", "customerIdentifier", "facilityIdentifier")


class Edits(WarehouseCore):
    """PUT-style edits of open orders and receivers, operators and item aliases."""

    # ------------------------------------------------------------------ orders
    def _editable_order(self, order_id: int, if_match: str | None, action: str) -> _Record:
        record = self.orders.get(order_id)
        if record is None:
            raise err.not_found(f"Order {order_id}")
        self.check_if_match(record.etag, if_match)
        status = record.doc["readOnly"]["status"]
        if status == 1:
            raise err.operation("OrderConfirmed", "Order is already confirmed", action)
        if status == 2:
            raise err.operation("OrderCanceled", "Order is canceled", action)
        return record

    def _release_line(self, record: _Record, line: Doc) -> set[int]:
        line_id = line["readOnly"]["orderItemId"]
        allocations = record.alloc.get(line_id, [])
        total = sum((e[1] for e in allocations), Decimal(0))
        if total <= 0:
            return set()
        item_id = line["itemIdentifier"]["id"]
        self._release(item_id, allocations, total)
        line["readOnly"]["fullyAllocated"] = False
        return {item_id}

    def update_order(
        self, order_id: int, body: Mapping[str, Any], if_match: str | None
    ) -> tuple[Doc, str]:
        """``PUT /orders/{id}``: the writable part is replaced (header, ship-to, notes); when
        the body carries lines, lines are matched by ``readOnly.orderItemId`` — kept lines
        are updated, lines without an id are added, omitted lines are removed [U]."""
        model = "Order"
        notes: list[Notification] = []
        with self.lock:
            record = self._editable_order(order_id, if_match, "Update")
            doc = record.doc
            ref = body.get("referenceNum", doc["referenceNum"])
            if not isinstance(ref, str) or not ref.strip():
                raise err.model_validation(
                    "Required", "ReferenceNum is required", [("ReferenceNum", ref)], model
                )
            owner = self._order_refs.get(ref.lower())
            if owner is not None and owner != order_id and self.options.enforce_unique_references:
                raise err.model_validation(
                    "Duplicate",
                    f"Duplicate ReferenceNum for customer {self.customer_id}",
                    [("ReferenceNum", ref)],
                    model,
                )
            # The body replaces the writable part, so the result must pass create's checks.
            if self.options.require_ship_to and not isinstance(body.get("shipTo"), Mapping):
                raise err.model_validation(
                    "Required", "ShipTo is required", [("ShipTo", None)], model
                )
            new_lines = self._order_lines_for_put(record, body.get("orderItems"), model)
            changed: set[int] = set()
            if new_lines is not None:
                keep = {line["readOnly"]["orderItemId"] for line in new_lines}
                for line in doc["orderItems"]:
                    line_id = line["readOnly"]["orderItemId"]
                    if line_id not in keep:
                        changed |= self._release_line(record, line)
                        record.alloc.pop(line_id, None)
                for line in new_lines:
                    line_id = line["readOnly"]["orderItemId"]
                    have = sum((e[1] for e in record.alloc.get(line_id, ())), Decimal(0))
                    if have > line["qty"]:
                        changed |= self._release_line(record, line)
                    line["readOnly"]["fullyAllocated"] = have >= line["qty"] > 0
            header = {k: copy_doc(v) for k, v in body.items() if k not in _SERVER_KEYS}
            header.pop("orderItems", None)
            kept = {k: doc[k] for k in (*_SERVER_KEYS, "orderItems") if k in doc}
            doc.clear()
            doc.update(header)
            doc.update(kept)
            doc["referenceNum"] = ref
            if new_lines is not None:
                doc["orderItems"] = new_lines
            old_ref = next((k for k, v in self._order_refs.items() if v == order_id), None)
            if old_ref is not None and old_ref != ref.lower():
                self._order_refs.pop(old_ref, None)
            self._order_refs[ref.lower()] = order_id
            ro = doc["readOnly"]
            ro["fullyAllocated"] = all(
                line["readOnly"]["fullyAllocated"] for line in doc["orderItems"]
            )
            if self.options.allocation != "none":
                changed |= self._allocate(record, partial=self.options.allocation == "partial")
            ro["lastModifiedByIdentifier"] = self.api_user
            self._touch(record)
            notes.append(self._order_note("OrderUpdate", record))
            notes.extend(self._summary_notes(changed))
            result = copy_doc(doc), record.etag
        self._notify(notes)
        return result

    def _order_lines_for_put(self, record: _Record, raw_lines: Any, model: str) -> list[Doc] | None:
        if raw_lines is None:
            return None
        if not isinstance(raw_lines, list) or not raw_lines:
            raise err.model_validation(
                "Required", "At least one order item is required", [("OrderItems", None)], model
            )
        existing = {line["readOnly"]["orderItemId"]: line for line in record.doc["orderItems"]}
        lines: list[Doc] = []
        for index, raw in enumerate(raw_lines):
            where = f"OrderItems[{index}]"
            if not isinstance(raw, Mapping):
                raise err.model_validation("Required", f"{where} must be an object")
            sent_ro = raw.get("readOnly")
            line_id = sent_ro.get("orderItemId") if isinstance(sent_ro, Mapping) else None
            # A line names an existing line by id or none (a new line); any other id is refused,
            # not silently added as a new line.
            if line_id is not None and (isinstance(line_id, bool) or line_id not in existing):
                raise err.model_validation(
                    "DoesNotExist",
                    f"{where}: order item {line_id!r} is not on this order",
                    [(f"{where}.OrderItemId", line_id)],
                    model,
                )
            item = self._resolve_item(raw.get("itemIdentifier"), where, model)
            if raw.get("qty") is None:
                raise err.model_validation(
                    "Required", f"{where}.Qty is required", [(f"{where}.Qty", None)], model
                )
            qty = dec(raw.get("qty"), f"{where}.Qty")
            if qty <= 0:
                raise err.model_validation(
                    "ValueNotSupported", f"{where}.Qty must be positive", [(where, str(qty))], model
                )
            old = existing.get(line_id) if isinstance(line_id, int) else None
            if old is not None and old["itemIdentifier"]["id"] != item.doc["itemId"]:
                raise err.model_validation(
                    "Incompatible",
                    f"{where}: the item of an existing line cannot change",
                    [(f"{where}.ItemIdentifier", item.doc["sku"])],
                    model,
                )
            if old is not None:
                read_only = copy_doc(old["readOnly"])
                read_only["originalPrimaryQty"] = qty
            else:
                read_only = {
                    "orderItemId": self._new_id("orderItem"),
                    "fullyAllocated": False,
                    "unitIdentifier": EACH,
                    "originalPrimaryQty": qty,
                    "isOrderQtySecondary": False,
                }
            lines.append(line_doc(raw, item.doc, qty, read_only))
        return lines

    def allocate_operator(self, order_id: int, if_match: str | None) -> None:
        """``PUT /orders/{id}/allocator``: allocate what available stock allows."""
        notes: list[Notification] = []
        with self.lock:
            record = self._editable_order(order_id, if_match, "Allocate")
            if record.doc["readOnly"]["fullyAllocated"]:
                raise err.operation(
                    "FullyAllocated", "Order is already fully allocated", "Allocate"
                )
            changed = self._allocate(record, partial=True)
            self._touch(record)
            notes.append(self._order_note("OrderUpdate", record))
            notes.extend(self._summary_notes(changed))
        self._notify(notes)

    def deallocate_operator(self, order_id: int, if_match: str | None) -> None:
        """``PUT /orders/{id}/deallocator``: give every allocated unit back to available."""
        notes: list[Notification] = []
        with self.lock:
            record = self._editable_order(order_id, if_match, "Deallocate")
            changed: set[int] = set()
            for line in record.doc["orderItems"]:
                changed |= self._release_line(record, line)
            if not changed:
                raise err.operation("Unallocated", "Order has no allocation", "Deallocate")
            record.doc["readOnly"]["fullyAllocated"] = False
            self._touch(record)
            notes.append(self._order_note("OrderUpdate", record))
            notes.extend(self._summary_notes(changed))
        self._notify(notes)

    def cancel_orders(self, order_ids: Sequence[Any], reason: str | None) -> list[Doc]:
        """``POST /orders/canceler``: cancel each order; returns ``ListException`` faults for
        the entries that could not be canceled (the others are canceled)."""
        faults: list[Doc] = []
        # OrderDesk's, mixed in later; the REST form, whose refusals are HTTP faults
        cancel = getattr(self, "_cancel_order")  # noqa: B009
        for number, oid in enumerate(order_ids, 1):
            try:
                cancel(int(oid), if_match=None, check_etag=False)
            except (err.ApiFault, TypeError, ValueError) as exc:
                body = exc.body if isinstance(exc, err.ApiFault) and exc.body else {}
                faults.append(
                    {
                        "EntryNumber": number,
                        "EntryInfo": str(oid),
                        "WmsException": {
                            "ErrorCode": body.get("ErrorCode", "DoesNotExist"),
                            "Hint": body.get("Hint", f"Order {oid} does not exist"),
                            "Message": None,
                        },
                    }
                )
        return faults

    # ------------------------------------------------------------------ receivers
    def _open_receiver(self, receiver_id: int, if_match: str | None, action: str) -> _Record:
        record = self.receivers.get(receiver_id)
        if record is None:
            raise err.not_found(f"Receiver {receiver_id}")
        self.check_if_match(record.etag, if_match)
        status = record.doc["readOnly"]["status"]
        if status == 1:
            raise err.operation("AlreadyCompleted", "Receiver is already confirmed", action)
        if status == 2:
            raise err.operation("AlreadyCompleted", "Receiver is canceled", action)
        return record

    def update_receiver(
        self, receiver_id: int, body: Mapping[str, Any], if_match: str | None
    ) -> tuple[Doc, str]:
        """``PUT /inventory/receivers/{id}`` (unconfirmed only): header replaced; lines matched by
        ``readOnly.receiveItemId`` (zero or absent creates a line), omitted lines removed."""
        model = "Receiver"
        with self.lock:
            record = self._open_receiver(receiver_id, if_match, "Update")
            doc = record.doc
            raw_lines = body.get("receiveItems")
            lines = doc["receiveItems"]
            if raw_lines is not None:
                if not isinstance(raw_lines, list) or not raw_lines:
                    raise err.model_validation(
                        "Required",
                        "At least one receive item is required",
                        [("ReceiveItems", None)],
                    )
                existing = {line["readOnly"]["receiveItemId"]: line for line in lines}
                lines = []
                for index, raw in enumerate(raw_lines):
                    where = f"ReceiveItems[{index}]"
                    if not isinstance(raw, Mapping):
                        raise err.model_validation("Required", f"{where} must be an object")
                    item = self._resolve_item(raw.get("itemIdentifier"), where, model)
                    qty = dec(raw.get("qty"), f"{where}.Qty")
                    if qty < 0:
                        raise err.model_validation(
                            "ValueNotSupported",
                            f"{where}.Qty must not be negative",
                            model_type=model,
                        )
                    sent_ro = raw.get("readOnly")
                    line_id = sent_ro.get("receiveItemId") if isinstance(sent_ro, Mapping) else None
                    old = existing.get(line_id) if isinstance(line_id, int) and line_id else None
                    read_only = (
                        copy_doc(old["readOnly"])
                        if old is not None
                        else {
                            "receiveItemId": self._new_id("receiveItem"),
                            "unitIdentifier": EACH,
                            "expectedQty": None,
                        }
                    )
                    lines.append(line_doc(raw, item.doc, qty, read_only))
            ref = body.get("referenceNum", doc.get("referenceNum"))
            if not isinstance(ref, str) or not ref.strip():
                raise err.model_validation(
                    "Required", "ReferenceNum is required", [("ReferenceNum", ref)], model
                )
            owner = self._receiver_refs.get(ref.lower())
            if (
                owner is not None
                and owner != receiver_id
                and self.options.enforce_unique_references
            ):
                raise err.model_validation(
                    "Duplicate",
                    f"Duplicate ReferenceNum for customer {self.customer_id}",
                    [("ReferenceNum", ref)],
                    model,
                )
            header = {k: copy_doc(v) for k, v in body.items() if k not in _SERVER_KEYS}
            header.pop("receiveItems", None)
            kept = {k: doc[k] for k in _SERVER_KEYS if k in doc}
            old_ref = str(doc.get("referenceNum") or "").lower()
            doc.clear()
            doc.update(header)
            doc.update(kept)
            doc["referenceNum"] = ref
            doc["receiveItems"] = lines
            doc.setdefault("arrivalDate", doc["readOnly"]["creationDate"])
            if old_ref != ref.lower():
                self._receiver_refs.pop(old_ref, None)
            self._receiver_refs[ref.lower()] = receiver_id
            doc["readOnly"]["lastModifiedByIdentifier"] = self.api_user
            self._touch(record)
            return copy_doc(doc), record.etag

    def cancel_receiver(self, receiver_id: int, reason: Any, if_match: str | None) -> None:
        """``POST /inventory/receivers/{id}/canceler``: an open receiver becomes canceled."""
        with self.lock:
            record = self._open_receiver(receiver_id, if_match, "Cancel")
            if not isinstance(reason, str) or not reason.strip():
                raise err.model_validation(
                    "Required", "Reason is required", [("Reason", reason)], "ReceiverCancel"
                )
            record.doc["readOnly"]["status"] = 2
            record.doc["readOnly"]["lastModifiedByIdentifier"] = self.api_user
            self._touch(record)

    # ------------------------------------------------------------------ items
    def delete_item(self, item_id: int, if_match: str | None) -> None:
        """``DELETE /customers/{id}/items/{itemId}``: refused (403 ``InUse``) while stock or an
        order line refers to the item."""
        with self.lock:
            record = self.items.get(item_id)
            if record is None:
                raise err.not_found(f"Item {item_id}")
            self.check_if_match(record.etag, if_match)
            in_use = item_id in self._lots_by_item or any(
                line["itemIdentifier"]["id"] == item_id
                for other in self.orders.values()
                for line in other.doc["orderItems"]
            )
            if in_use:
                raise err.operation("InUse", "Item has inventory or transactions", "Delete")
            sku = record.doc["sku"]
            del self.items[item_id]
            self.generation += 1  # a delete mints no ETag but changes every item listing
            self._sku_index.pop(sku, None)
            self._sku_index_ci.pop(sku.lower(), None)
            for alias_id in [a for a, doc in self.aliases.items() if _alias_item(doc) == item_id]:
                del self.aliases[alias_id]

    def add_alias(self, alias_sku: str, sku: str, *, qty: Any = 1, description: str = "") -> int:
        """Driver: an item alias (another identifier the customer uses for ``sku``)."""
        with self.lock:
            item_id = self.find_item_id(sku)
            if item_id is None:
                raise err.SandboxError(f"unknown SKU {sku!r}")
            try:
                amount = Decimal(str(qty))
            except ArithmeticError:
                raise err.SandboxError(f"alias {alias_sku!r}: qty {qty!r} is not numeric") from None
            if not amount.is_finite() or amount <= 0:
                raise err.SandboxError(f"alias {alias_sku!r}: qty must be positive, got {qty!r}")
            if any(a["aliasIdentifier"]["sku"] == alias_sku for a in self.aliases.values()):
                raise err.SandboxError(f"alias SKU {alias_sku!r} already exists")
            alias_id = self._new_id("item")
            self.aliases[alias_id] = {
                "aliasIdentifier": {"sku": alias_sku, "id": alias_id},
                "active": True,
                "description": description,
                "details": [
                    {
                        "itemIdentifier": {"sku": self.items[item_id].doc["sku"], "id": item_id},
                        "qty": amount,
                    }
                ],
            }
            return alias_id

    def alias_docs(self) -> list[Doc]:
        with self.lock:
            return [copy_doc(doc) for doc in self.aliases.values()]


def _alias_item(doc: Doc) -> int | None:
    details = doc.get("details") or []
    return details[0]["itemIdentifier"]["id"] if details else None
