"""Read models over the warehouse state: ``/inventory`` receive-item rows, locations, stock for
one order, order summaries, receiver digests; lot-level drivers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import _errors as err
from ._wh_core import WarehouseCore
from ._wh_model import Doc, Notification, copy_doc

__all__ = ["Views"]


class Views(WarehouseCore):
    """Documents computed from the state on each request (callers hold :attr:`lock`)."""

    # ------------------------------------------------------------------ /inventory
    def inventory_rows(self) -> list[Doc]:
        """One row per receive item (lot) still in the building, ``/inventory`` field names."""
        now = self._clock()
        rows = []
        for lot in self.lots.values():
            if lot["onHand"] <= 0:
                continue
            held = lot["isOnHold"] or lot["quarantined"]
            received = _parse(lot["receivedDate"])
            rows.append(
                {
                    "receiveItemId": lot["receiveItemId"],
                    "receiverId": lot["receiverId"],
                    "receivedDate": lot["receivedDate"],
                    "itemIdentifier": copy_doc(lot["itemIdentifier"]),
                    "qualifier": lot["qualifier"],
                    "receivedQty": lot["received"],
                    "onHandQty": lot["onHand"],
                    "availableQty": Decimal(0) if held else lot["available"],
                    "onHoldQty": lot["available"] if held else Decimal(0),
                    "lotNumber": lot["lotNumber"],
                    "serialNumber": lot["serialNumber"],
                    "expirationDate": lot["expirationDate"],
                    "cost": lot["cost"],
                    "locationIdentifier": copy_doc(lot["locationIdentifier"]),
                    "palletIdentifier": None,
                    "referenceNum": lot["referenceNum"],
                    "poNum": lot["poNum"],
                    "customerIdentifier": self.customer_identifier,
                    "facilityIdentifier": self.facility_identifier,
                    "inventoryAgeDays": max((now - received).days, 0) if received else 0,
                }
            )
        return rows

    # ------------------------------------------------------------------ locations
    def location_rows(self, facility_id: int) -> list[Doc]:
        """Locations of a facility with the item traits stored there and their on-hand."""
        if facility_id != self.facility_id:
            raise err.not_found(f"Facility {facility_id}")
        traits = []
        on_hand = Decimal(0)
        for lot in self.lots.values():
            if lot["onHand"] <= 0:
                continue
            on_hand += lot["onHand"]
            traits.append(
                {
                    "itemIdentifier": copy_doc(lot["itemIdentifier"]),
                    "qualifier": lot["qualifier"],
                    "lotNumber": lot["lotNumber"],
                    "serialNumber": lot["serialNumber"],
                    "expirationDate": lot["expirationDate"],
                    "receiveItemId": lot["receiveItemId"],
                    "onHand": lot["onHand"],
                }
            )
        location = self._location
        return [
            {
                "locationId": location["id"],
                "name": location["nameKey"]["name"],
                "locationIdentifier": copy_doc(location),
                "locationType": "Storage",
                "isQuarantine": False,
                "deactivated": False,
                "itemTraits": traits,
                "onHand": on_hand,
            }
        ]

    # ------------------------------------------------------------------ stock for an order
    def summaries_for_order(self, order_id: int) -> list[Doc]:
        """Stock summary rows of the items on one order (``stocksummariesfororder``)."""
        record = self.orders.get(order_id)
        if record is None:
            raise err.not_found(f"Order {order_id}")
        seen: list[int] = []
        for line in record.doc["orderItems"]:
            item_id = line["itemIdentifier"]["id"]
            if item_id not in seen:
                seen.append(item_id)
        return [copy_doc(self._summary(item_id)) for item_id in seen]

    # ------------------------------------------------------------------ summaries, digests
    def order_summaries(self) -> list[Doc]:
        return [
            {
                "orderId": r.doc["readOnly"]["orderId"],
                "referenceNum": r.doc.get("referenceNum"),
                "poNum": r.doc.get("poNum"),
                "fullyAllocated": r.doc["readOnly"]["fullyAllocated"],
                "customerIdentifier": self.customer_identifier,
                "facilityIdentifier": self.facility_identifier,
                "creationDate": r.doc["readOnly"]["creationDate"],
                "isClosed": r.doc["readOnly"]["isClosed"],
                "status": r.doc["readOnly"]["status"],
            }
            for r in self.orders.values()
        ]

    def receiver_digests(self) -> list[Doc]:
        digests = []
        for record in self.receivers.values():
            doc = record.doc
            status = doc["readOnly"]["status"]
            infos = []
            for line in doc["receiveItems"]:
                line_id = line["readOnly"]["receiveItemId"]
                lot = self.lots.get(line_id)
                held = bool(lot and (lot["isOnHold"] or lot["quarantined"]))
                available = lot["available"] if lot else Decimal(0)
                infos.append(
                    {
                        "receiveItemId": line_id,
                        "itemIdentifier": copy_doc(line["itemIdentifier"]),
                        "origQtyPrimary": line["qty"],
                        "available": Decimal(0) if held else available,
                        "onHold": available if held else Decimal(0),
                    }
                )
            digests.append(
                {
                    "receiverId": doc["readOnly"]["receiverId"],
                    "referenceNum": doc.get("referenceNum"),
                    "poNum": doc.get("poNum"),
                    "status": status,
                    "arrivalDate": doc.get("arrivalDate"),
                    "creationDate": doc["readOnly"]["creationDate"],
                    "customerIdentifier": self.customer_identifier,
                    "facilityIdentifier": self.facility_identifier,
                    "itemInfos": infos,
                    "canComplete": status == 0,
                    "canCancel": status == 0,
                    "canConfirm": status == 0,
                }
            )
        return digests

    # ------------------------------------------------------------------ lot drivers
    def receive_lines(
        self, lines: Sequence[Mapping[str, Any]], *, reference_num: str | None = None
    ) -> int:
        """Driver: receive lines that carry traits, e.g. ``[{"sku": "LOT-1", "qty": 5,
        "lotNumber": "A", "expirationDate": "2027-01-31T00:00:00"}]``; returns the receiver id."""
        with self.lock:
            ref = reference_num or f"SBX-RCV-{self._next_id['receiver'] + 1}"
            body_lines = []
            for line in lines:
                raw = {k: v for k, v in line.items() if k != "sku"}
                raw["itemIdentifier"] = {"sku": line["sku"]}
                body_lines.append(raw)
            create = getattr(self, "create_receiver")  # noqa: B009 - ReceivingDock's (mixin)
            doc, _ = create(
                {
                    "customerIdentifier": {"id": self.customer_id},
                    "facilityIdentifier": {"id": self.facility_id},
                    "referenceNum": ref,
                    "receiveItems": body_lines,
                }
            )
        receiver_id = int(doc["readOnly"]["receiverId"])
        getattr(self, "confirm_receiver")(receiver_id)  # noqa: B009 - ReceivingDock's (mixin)
        return receiver_id

    def hold_lot(self, receive_item_id: int, *, quarantine: bool = False) -> None:
        """Driver: hold a lot (or move it to quarantine): its available stock stops being
        sellable (``onHold`` in summaries, excluded from lot-level availability)."""
        notes: list[Notification] = []
        with self.lock:
            lot = self.lots.get(receive_item_id)
            if lot is None:
                raise err.SandboxError(f"no lot {receive_item_id}")
            if lot["isOnHold"] or lot["quarantined"]:
                return
            lot["quarantined" if quarantine else "isOnHold"] = True
            item_id = lot["itemIdentifier"]["id"]
            row = self._summary(item_id)
            row["available"] -= lot["available"]
            row["onHold"] += lot["available"]
            notes.extend(self._summary_notes([item_id]))
        self._notify(notes)


def _parse(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None
