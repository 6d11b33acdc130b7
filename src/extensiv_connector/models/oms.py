"""Host (OMS) side models: what the host hands the connector and gets back.

Quantities are exact ``Decimal`` values, never floats. Every model is frozen; collections are
tuples (any iterable is accepted and converted).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import attrs

from ._fields import personal, to_decimal, to_optional_decimal, to_tuple

__all__ = [
    "Address",
    "InventoryLevel",
    "KitComponent",
    "OrderLine",
    "Product",
    "Receipt",
    "ReceiptLine",
    "ReceiptStatus",
    "SalesOrder",
    "Shipment",
    "ShipmentChange",
    "ShipmentChangeKind",
    "ShipmentLine",
    "ShipmentLot",
    "ShipmentPackage",
    "ShipmentStatus",
]


@attrs.frozen(kw_only=True)
class Address:
    """A postal contact. Every field but ``country`` is personal data: masked in ``repr`` and
    handled by the PII policy."""

    name: str = personal()
    company: str = personal()
    address1: str = personal()
    address2: str = personal()
    city: str = personal()
    state: str = personal()
    postal_code: str = personal()
    country: str = ""
    phone: str = personal()
    email: str = personal()


@attrs.frozen(kw_only=True)
class OrderLine:
    """One line of a sales order, in the host's SKU and unit.

    ``unit`` names the unit the host ordered in (``""`` means the warehouse's primary unit);
    conversion factors live in the backorder/units configuration.
    """

    sku: str
    quantity: Decimal = attrs.field(converter=to_decimal)
    line_reference: str = ""
    unit: str = ""
    references: dict[str, str] = attrs.field(factory=dict)
    notes: str = personal()


@attrs.frozen(kw_only=True)
class SalesOrder:
    """A host sales order (one shipment's worth) to be fulfilled by the warehouse."""

    order_number: str
    lines: tuple[OrderLine, ...] = attrs.field(factory=tuple, converter=to_tuple)
    ship_to: Address = attrs.field(factory=Address)
    ordered_at: datetime = datetime(1970, 1, 1)
    carrier: str = ""
    service: str = ""
    priority: int = 0
    customer: str = ""
    po_number: str = ""
    notes: str = personal()
    shipping_notes: str = personal()
    sold_to: Address | None = None
    shipment_seq: int = 1
    references: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class KitComponent:
    """One component of a host kit product and its quantity per kit."""

    sku: str
    quantity: Decimal = attrs.field(converter=to_decimal)


@attrs.frozen(kw_only=True)
class Product:
    """A catalog item as the host knows it. Dimensions are in ``dimension_unit`` (mm, cm, in)
    and weights in ``weight_unit`` (g, kg, oz, lb)."""

    sku: str
    description: str = ""
    description2: str = ""
    upc: str = ""
    unit: str = "Each"
    cost: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    price: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    weight: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    weight_unit: str = "lb"
    length: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    width: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    height: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    dimension_unit: str = "in"
    kit_components: tuple[KitComponent, ...] = attrs.field(factory=tuple, converter=to_tuple)
    active: bool = True
    channel_id: int | None = None


@attrs.frozen(kw_only=True)
class InventoryLevel:
    """Stock of one SKU as the host should see it. ``available`` is what can be promised."""

    sku: str
    available: Decimal = attrs.field(converter=to_decimal)
    on_hand: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    allocated: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    on_hold: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    facility_id: int | None = None
    # Set on lot-level levels (``receive_inventory_levels(detail="lots")``) only.
    lot_number: str = ""
    expiration_date: datetime | None = None


class ShipmentStatus(enum.Enum):
    """How a warehouse order ended: shipped or canceled."""

    SHIPPED = "shipped"
    CANCELED = "canceled"


class ShipmentChangeKind(enum.Enum):
    """What the warehouse changed relative to what was sent."""

    QUANTITY_DECREASED = "quantity_decreased"
    LINE_REMOVED = "line_removed"
    CARRIER_CHANGED = "carrier_changed"
    SERVICE_CHANGED = "service_changed"
    ADDRESS_CHANGED = "address_changed"
    QUANTITY_INCREASED = "quantity_increased"
    LINE_ADDED = "line_added"

    @property
    def accepted(self) -> bool:
        """Whether the host can take this change back (the others are flagged)."""
        return self not in (ShipmentChangeKind.QUANTITY_INCREASED, ShipmentChangeKind.LINE_ADDED)


@attrs.frozen(kw_only=True)
class ShipmentChange:
    """One difference between what was sent and what shipped; ``accepted`` says if the host can take
    it."""

    kind: ShipmentChangeKind
    detail: str = ""
    sku: str = ""

    @property
    def accepted(self) -> bool:
        return self.kind.accepted


@attrs.frozen(kw_only=True)
class ShipmentLot:
    """What of a shipment line came from one lot (host units)."""

    lot_number: str
    quantity: Decimal = attrs.field(converter=to_decimal)
    expiration_date: datetime | None = None
    serial_numbers: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)


@attrs.frozen(kw_only=True)
class ShipmentLine:
    """What shipped of one line: SKU, shipped and ordered quantities, lots and serial numbers."""

    sku: str
    shipped_quantity: Decimal = attrs.field(converter=to_decimal)
    ordered_quantity: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    line_reference: str = ""
    lot_numbers: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    serial_numbers: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    lots: tuple[ShipmentLot, ...] = attrs.field(factory=tuple, converter=to_tuple)


@attrs.frozen(kw_only=True)
class ShipmentPackage:
    """One package of a shipment: tracking number, dimensions, weight and contents."""

    tracking_number: str = ""
    weight: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    length: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    width: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    height: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    contents: tuple[ShipmentLine, ...] = attrs.field(factory=tuple, converter=to_tuple)


@attrs.frozen(kw_only=True)
class Shipment:
    """A closed warehouse order, translated back into host terms."""

    order_number: str
    reference: str
    status: ShipmentStatus = ShipmentStatus.SHIPPED
    shipment_seq: int = 1
    order_id: int | None = None
    carrier: str = ""
    service: str = ""
    tracking_numbers: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    shipped_at: datetime | None = None
    lines: tuple[ShipmentLine, ...] = attrs.field(factory=tuple, converter=to_tuple)
    packages: tuple[ShipmentPackage, ...] = attrs.field(factory=tuple, converter=to_tuple)
    changes: tuple[ShipmentChange, ...] = attrs.field(factory=tuple, converter=to_tuple)
    references: dict[str, str] = attrs.field(factory=dict)
    last_modified: datetime | None = None

    @property
    def dedupe_key(self) -> str:
        """Stable across re-deliveries of the same warehouse state."""
        stamp = self.last_modified.isoformat() if self.last_modified else ""
        return f"shipment:{self.order_id}:{stamp}"

    @property
    def flagged_changes(self) -> tuple[ShipmentChange, ...]:
        return tuple(c for c in self.changes if not c.accepted)


class ReceiptStatus(enum.Enum):
    """Where a receipt stands: open, received or canceled."""

    OPEN = "open"
    RECEIVED = "received"
    CANCELED = "canceled"


@attrs.frozen(kw_only=True)
class ReceiptLine:
    """One line of a receipt: SKU, expected and (once received) received quantity."""

    sku: str
    expected_quantity: Decimal = attrs.field(converter=to_decimal)
    received_quantity: Decimal | None = attrs.field(default=None, converter=to_optional_decimal)
    line_reference: str = ""
    lot_number: str = ""
    expiration_date: datetime | None = None
    serial_number: str = ""

    @property
    def variance(self) -> Decimal | None:
        """Received minus expected, once something was received."""
        if self.received_quantity is None:
            return None
        return self.received_quantity - self.expected_quantity


@attrs.frozen(kw_only=True)
class Receipt:
    """An inbound shipment (ASN) the host expects, and what the warehouse received of it."""

    reference: str
    lines: tuple[ReceiptLine, ...] = attrs.field(factory=tuple, converter=to_tuple)
    po_number: str = ""
    expected_at: datetime | None = None
    arrived_at: datetime | None = None
    carrier: str = ""
    tracking_number: str = ""
    notes: str = ""
    status: ReceiptStatus = ReceiptStatus.OPEN
    receiver_id: int | None = None
    last_modified: datetime | None = None

    @property
    def dedupe_key(self) -> str:
        stamp = self.last_modified.isoformat() if self.last_modified else ""
        return f"receipt:{self.receiver_id}:{stamp}"
