"""Lot tracking as a state machine: receive lots, order, edit, (de)allocate, hold, ship, cancel.

Invariants after every step: the lots add up to the SKU's summary row, ``/inventory`` rows
agree with the lots, and every shipped line's package contents name the lots it came from with
quantities that add up to what shipped — one row per lot, never more than the lot held.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from extensiv_connector.sandbox import SandboxError, Warehouse
from extensiv_connector.sandbox._errors import ApiFault

SKUS = ("LOT-A", "LOT-B")


class LotWarehouse(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.wh = Warehouse(customer_id=12, facility_id=3)
        self.wh.seed_reference_data()
        for sku in SKUS:
            self.wh.add_item(sku)
        self.open: list[int] = []
        self.shipped: list[int] = []
        self.received: dict[str, Decimal] = defaultdict(Decimal)
        self.lot_seq = 0
        self.order_seq = 0

    @rule(sku=st.sampled_from(SKUS), qty=st.integers(1, 6), serial=st.booleans())
    def receive(self, sku: str, qty: int, serial: bool) -> None:
        self.lot_seq += 1
        line: dict[str, Any] = {"sku": sku, "qty": 1 if serial else qty}
        line["serialNumber" if serial else "lotNumber"] = f"L{self.lot_seq}"
        self.wh.receive_lines([line])
        self.received[sku] += line["qty"]

    @rule(sku=st.sampled_from(SKUS), qty=st.integers(1, 8))
    def order(self, sku: str, qty: int) -> None:
        self.order_seq += 1
        doc, _ = self.wh.create_order(
            {
                "customerIdentifier": {"id": 12},
                "facilityIdentifier": {"id": 3},
                "referenceNum": f"R-{self.order_seq}",
                "shipTo": {"name": "x"},
                "orderItems": [{"itemIdentifier": {"sku": sku}, "qty": qty}],
            }
        )
        self.open.append(doc["readOnly"]["orderId"])

    @precondition(lambda self: self.open)
    @rule(pick=st.integers(0, 50), qty=st.integers(1, 8))
    def edit_quantity(self, pick: int, qty: int) -> None:
        oid = self.open[pick % len(self.open)]
        doc, etag = self.wh.get_order(oid)
        doc["orderItems"][0]["qty"] = qty
        self.wh.update_order(oid, doc, etag)

    @precondition(lambda self: self.open)
    @rule(pick=st.integers(0, 50), off=st.booleans())
    def operator(self, pick: int, off: bool) -> None:
        oid = self.open[pick % len(self.open)]
        etag = self.wh.orders[oid].etag
        refusal = None
        try:
            if off:
                self.wh.deallocate_operator(oid, etag)
            else:
                self.wh.allocate_operator(oid, etag)
        except ApiFault as fault:  # Unallocated / FullyAllocated: documented refusals
            refusal = fault.body["ErrorCode"] if fault.body else None
        assert refusal in (None, "Unallocated", "FullyAllocated")

    @rule(pick=st.integers(0, 50), quarantine=st.booleans())
    def hold(self, pick: int, quarantine: bool) -> None:
        free = [i for i, lot in self.wh.lots.items() if lot["available"] > 0]
        if free:
            self.wh.hold_lot(free[pick % len(free)], quarantine=quarantine)

    @precondition(lambda self: self.open)
    @rule(pick=st.integers(0, 50), split=st.booleans())
    def ship(self, pick: int, split: bool) -> None:
        oid = self.open[pick % len(self.open)]
        line = self.wh.orders[oid].doc["orderItems"][0]
        sku, qty = line["itemIdentifier"]["sku"], line["qty"]
        packages = None
        if split and qty > 1:
            packages = [{"contents": {sku: 1}}, {"contents": {sku: qty - 1}}]
        try:
            self.wh.ship_order(oid, packages=packages)
        except SandboxError:
            return  # not enough sellable stock: the order stays open
        self.open.remove(oid)
        self.shipped.append(oid)

    @precondition(lambda self: self.open)
    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        oid = self.open.pop(pick % len(self.open))
        self.wh.cancel_order(oid)

    @invariant()
    def lots_add_up_to_the_summary(self) -> None:
        for sku in SKUS:
            item_id = self.wh.find_item_id(sku)
            lots = [lot for lot in self.wh.lots.values() if lot["itemIdentifier"]["id"] == item_id]
            row = self.wh.stock(sku)
            free = sum((lot["available"] for lot in lots), Decimal(0))
            held = sum(
                (lot["available"] for lot in lots if lot["isOnHold"] or lot["quarantined"]),
                Decimal(0),
            )
            assert (self.received[sku], row["onHand"], row["available"], row["onHold"]) == (
                sum((lot["received"] for lot in lots), Decimal(0)),
                sum((lot["onHand"] for lot in lots), Decimal(0)),
                free - held,
                held,
            )
            assert all(Decimal(0) <= lot["available"] <= lot["onHand"] for lot in lots)

    @invariant()
    def inventory_rows_agree_with_the_lots(self) -> None:
        rows = self.wh.inventory_rows()
        assert {r["receiveItemId"] for r in rows} == {
            i for i, lot in self.wh.lots.items() if lot["onHand"] > 0
        }
        for r in rows:
            lot = self.wh.lots[r["receiveItemId"]]
            held = lot["isOnHold"] or lot["quarantined"]
            expected = (Decimal(0), lot["available"]) if held else (lot["available"], Decimal(0))
            assert (lot["lotNumber"], expected) == (
                r["lotNumber"],
                (r["availableQty"], r["onHoldQty"]),
            )

    @invariant()
    def shipped_lines_name_their_lots(self) -> None:
        for oid in self.shipped:
            doc, _ = self.wh.get_order(oid)
            line = doc["orderItems"][0]
            contents = [c for p in doc["readOnly"]["packages"] for c in p["packageContents"]]
            assert line["qty"] == sum((c["qty"] for c in contents), Decimal(0))
            per_lot: dict[int, Decimal] = defaultdict(Decimal)
            for c in contents:
                lot = self.wh.lots[c["receiveItemId"]]
                assert (c["lotNumber"], c["serialNumber"]) == (
                    lot["lotNumber"],
                    lot["serialNumber"],
                )
                per_lot[c["receiveItemId"]] += c["qty"]
            assert all(q <= self.wh.lots[i]["received"] for i, q in per_lot.items())
            serials = [
                s for e in doc["readOnly"]["outboundSerialNumbers"] for s in e["serialNumbers"]
            ]
            assert sorted(serials) == sorted(
                c["serialNumber"] for c in contents if c["serialNumber"]
            )


LotWarehouse.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)
test_lot_tracking_machine = LotWarehouse.TestCase


def test_stock_released_into_a_held_lot_stays_on_hold() -> None:
    wh = Warehouse(customer_id=12, facility_id=3)
    wh.add_item("A")
    wh.receive_lines([{"sku": "A", "qty": 6, "lotNumber": "L1"}])
    doc, _ = wh.create_order(
        {
            "customerIdentifier": {"id": 12},
            "facilityIdentifier": {"id": 3},
            "referenceNum": "R",
            "shipTo": {"name": "x"},
            "orderItems": [{"itemIdentifier": {"sku": "A"}, "qty": 2}],
        }
    )
    wh.hold_lot(next(iter(wh.lots)))

    wh.cancel_order(doc["readOnly"]["orderId"])

    row = wh.stock("A")
    assert (Decimal(0), Decimal(6), Decimal(0)) == (
        row["available"],
        row["onHold"],
        row["allocated"],
    )
