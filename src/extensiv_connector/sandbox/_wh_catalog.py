"""Items and seeding: reference data, the catalog and its opening stock."""

from __future__ import annotations

import gc
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
)

__all__ = ["Catalog"]


class Catalog(WarehouseCore):
    """Items and seeding: reference data, the catalog and its opening stock."""

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
            doc=self._note_doc(record.doc),
            data={"ItemId": str(item_id)},
        )
