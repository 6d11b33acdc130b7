"""Extensiv (warehouse) side models, snake_case mirrors of the REST resources.

Each resource model has an ``extra`` dict holding wire keys the library does not model, so a
GET-modify-PUT sends back everything it received. Wire names are the camelCase of the
attribute unless a field says otherwise; the converter in :mod:`extensiv_connector.wire`
also reads PascalCase and HAL ``_embedded`` collections.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from ._fields import extra_field, items, optional_decimal, personal, to_tuple, wire

__all__ = [
    "ApiErrorBody",
    "BillingCode",
    "Carrier",
    "ContactInfo",
    "Customer",
    "CustomerIdentifier",
    "Facility",
    "FacilityIdentifier",
    "InventoryRecord",
    "Item",
    "ItemAlias",
    "ItemAliasDetail",
    "ItemIdentifier",
    "ItemKit",
    "ItemKitComponent",
    "ItemOptions",
    "ItemReadOnly",
    "ListFault",
    "Location",
    "LocationIdentifier",
    "LocationItemTrait",
    "LocationNameKey",
    "MeasureSet",
    "Order",
    "OrderItem",
    "OrderItemReadOnly",
    "OrderReadOnly",
    "OrderSummary",
    "OutboundSerialNumbers",
    "Package",
    "PackageContent",
    "ReceiveItem",
    "ReceiveItemReadOnly",
    "Receiver",
    "ReceiverDigest",
    "ReceiverDigestItem",
    "ReceiverReadOnly",
    "RoutingInfo",
    "SavedElement",
    "ShipmentService",
    "StockDetail",
    "StockSummary",
    "TokenResponse",
    "UnitIdentifier",
    "UnitOfMeasureType",
    "UnitOption",
    "WebhookEvent",
    "WebhookResource",
]


@attrs.frozen(kw_only=True)
class CustomerIdentifier:
    """Names a customer by ``id``, ``name`` or ``externalId`` (the id wins when several are set)."""

    id: int | None = None
    name: str | None = None
    external_id: str | None = None


@attrs.frozen(kw_only=True)
class FacilityIdentifier:
    """Names a facility (warehouse) by ``id`` or ``name``."""

    id: int | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class ItemIdentifier:
    """Names an item by ``sku`` or ``id``."""

    sku: str | None = None
    id: int | None = None


@attrs.frozen(kw_only=True)
class UnitIdentifier:
    """Names a unit of measure by ``name`` or ``id``."""

    name: str | None = None
    id: int | None = None


@attrs.frozen(kw_only=True)
class SavedElement:
    """A custom field (``savedElements``): a name and a string value."""

    name: str
    value: str = ""


@attrs.frozen(kw_only=True)
class ContactInfo:
    """A ship-to or sold-to contact and address. Personal fields are hidden in ``repr``."""

    company_name: str | None = personal(None)
    name: str | None = personal(None)
    title: str | None = personal(None)
    address1: str | None = personal(None)
    address2: str | None = personal(None)
    city: str | None = personal(None)
    state: str | None = personal(None)
    zip: str | None = personal(None)
    country: str | None = None
    phone_number: str | None = personal(None)
    fax: str | None = personal(None)
    email_address: str | None = personal(None)
    dept: str | None = personal(None)
    code: str | None = None
    contact_id: int | None = None
    same_as: int | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class RoutingInfo:
    """How an order travels: carrier, service mode, SCAC, account, tracking and load data."""

    carrier: str | None = None
    mode: str | None = None
    scac_code: str | None = None
    account: str | None = None
    ship_point_zip: str | None = None
    tracking_number: str | None = None
    bill_of_lading: str | None = None
    load_number: str | None = None
    trailer_number: str | None = None
    seal_number: str | None = None
    door_number: str | None = None
    pickup_date: datetime | None = None
    is_cod: bool | None = None
    is_insurance: bool | None = None
    requires_delivery_conf: bool | None = None
    requires_return_receipt: bool | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class PackageContent:
    """What one package holds of one order line (quantity, lots, serial numbers)."""

    package_content_id: int | None = None
    package_id: int | None = None
    order_item_id: int | None = None
    receive_item_id: int | None = None
    qty: Decimal | None = optional_decimal()
    lot_number: str | None = None
    serial_number: str | None = None
    expiration_date: datetime | None = None
    serial_numbers: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Package:
    """One shipped package of an order: dimensions, weight, tracking number and contents."""

    package_id: int | None = None
    package_type_id: int | None = None
    length: Decimal | None = optional_decimal()
    width: Decimal | None = optional_decimal()
    height: Decimal | None = optional_decimal()
    weight: Decimal | None = optional_decimal()
    tracking_number: str | None = None
    description: str | None = None
    create_date: datetime | None = None
    package_contents: tuple[PackageContent, ...] = items("orders/packagecontent")
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class OrderItemReadOnly:
    """Server-owned fields of an order line (id, allocation state, primary quantity)."""

    order_item_id: int | None = None
    fully_allocated: bool | None = None
    original_primary_qty: Decimal | None = optional_decimal()
    unit_identifier: UnitIdentifier | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class OrderItem:
    """One line of a warehouse order: the item, its quantity and qualifier, lot/serial data."""

    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qty: Decimal | None = optional_decimal()
    qualifier: str | None = None
    external_id: str | None = None
    secondary_qty: Decimal | None = optional_decimal()
    lot_number: str | None = None
    serial_number: str | None = None
    expiration_date: datetime | None = None
    notes: str | None = None
    saved_elements: tuple[SavedElement, ...] | None = None
    read_only: OrderItemReadOnly | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class OutboundSerialNumbers:
    """``readOnly.outboundSerialNumbers[]``: the serials shipped for one item and qualifier."""

    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qualifier: str | None = None
    serial_numbers: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class OrderReadOnly:
    """Server-owned fields of an order: id, status, dates, allocation and packages."""

    order_id: int | None = None
    status: int | None = None
    is_closed: bool | None = None
    fully_allocated: bool | None = None
    process_date: datetime | None = None
    ship_date: datetime | None = None
    small_parcel_ship_date: datetime | None = None
    creation_date: datetime | None = None
    last_modified_date: datetime | None = None
    customer_identifier: CustomerIdentifier | None = None
    facility_identifier: FacilityIdentifier | None = None
    packages: tuple[Package, ...] = attrs.field(factory=tuple, converter=to_tuple)
    outbound_serial_numbers: tuple[OutboundSerialNumbers, ...] = attrs.field(
        factory=tuple, converter=to_tuple
    )
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Order:
    """A warehouse order (``/orders``), as created from a host sales order and read back."""

    customer_identifier: CustomerIdentifier | None = None
    facility_identifier: FacilityIdentifier | None = None
    reference_num: str | None = None
    po_num: str | None = None
    external_id: str | None = None
    description: str | None = None
    notes: str | None = None
    shipping_notes: str | None = None
    billing_code: str | None = None
    earliest_ship_date: datetime | None = None
    defer_notification: bool | None = None
    routing_info: RoutingInfo | None = None
    ship_to: ContactInfo | None = None
    sold_to: ContactInfo | None = None
    saved_elements: tuple[SavedElement, ...] | None = None
    order_items: tuple[OrderItem, ...] = items("orders/item")
    read_only: OrderReadOnly | None = None
    extra: dict[str, Any] = extra_field()

    @property
    def order_id(self) -> int | None:
        return self.read_only.order_id if self.read_only else None

    def link(self, rel: str) -> str | None:
        """The ``href`` of a HAL link (``"edit"``, ``"orders/items"``; case-insensitive),
        possibly an RFC 6570 template: expand it with ``extensiv_connector.client.expand_link``."""
        return _link_href(self.extra, rel)


@attrs.frozen(kw_only=True)
class StockSummary:
    """Stock of one item (and qualifier) in one facility, from ``/inventory/stocksummaries``."""

    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qualifier: str | None = None
    total_received: Decimal | None = optional_decimal()
    allocated: Decimal | None = optional_decimal()
    available: Decimal | None = optional_decimal()
    on_hold: Decimal | None = optional_decimal()
    on_hand: Decimal | None = optional_decimal()
    ordered_not_allocated: Decimal | None = optional_decimal()
    facility_id: int | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class StockDetail:
    """One received lot of an item, from ``/inventory/stockdetails``."""

    receive_item_id: int | None = None
    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qualifier: str | None = None
    received: Decimal | None = optional_decimal()
    available: Decimal | None = optional_decimal()
    on_hand: Decimal | None = optional_decimal()
    is_on_hold: bool | None = None
    quarantined: bool | None = None
    lot_number: str | None = None
    serial_number: str | None = None
    expiration_date: datetime | None = None
    receiver_id: int | None = None
    received_date: datetime | None = None
    reference_num: str | None = None
    po_num: str | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class LocationNameKey:
    """A location's natural key: its facility and name."""

    facility_identifier: FacilityIdentifier | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class LocationIdentifier:
    """``{nameKey: {facilityIdentifier, name}, id}``; :attr:`name` is the flat name."""

    id: int | None = None
    name_key: LocationNameKey | None = None

    @property
    def name(self) -> str | None:
        return self.name_key.name if self.name_key else None


@attrs.frozen(kw_only=True)
class InventoryRecord:
    """A ``GET /inventory`` row: one receive item (lot) with its quantities and traits."""

    receive_item_id: int | None = None
    receiver_id: int | None = None
    received_date: datetime | None = None
    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qualifier: str | None = None
    received_qty: Decimal | None = optional_decimal()
    on_hand_qty: Decimal | None = optional_decimal()
    available_qty: Decimal | None = optional_decimal()
    on_hold_qty: Decimal | None = optional_decimal()
    lot_number: str | None = None
    serial_number: str | None = None
    expiration_date: datetime | None = None
    location_identifier: LocationIdentifier | None = None
    reference_num: str | None = None
    customer_identifier: CustomerIdentifier | None = None
    facility_identifier: FacilityIdentifier | None = None
    inventory_age_days: int | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class LocationItemTrait:
    """What one location holds of one item: lot, serial, expiry and quantity on hand."""

    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qualifier: str | None = None
    lot_number: str | None = None
    serial_number: str | None = None
    expiration_date: datetime | None = None
    receive_item_id: int | None = None
    on_hand: Decimal | None = optional_decimal()
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Location:
    """A facility location with the item traits stored there."""

    location_id: int | None = None
    name: str | None = None
    location_identifier: LocationIdentifier | None = None
    location_type: str | None = None
    item_traits: tuple[LocationItemTrait, ...] = attrs.field(factory=tuple, converter=to_tuple)
    on_hand: Decimal | None = optional_decimal()
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class OrderSummary:
    """A ``GET /orders/summaries`` row: a cheap way to reconcile by reference."""

    order_id: int | None = None
    reference_num: str | None = None
    po_num: str | None = None
    fully_allocated: bool | None = None
    is_closed: bool | None = None
    status: int | None = None
    creation_date: datetime | None = None
    customer_identifier: CustomerIdentifier | None = None
    facility_identifier: FacilityIdentifier | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ReceiverDigestItem:
    """One line of a receiver digest: expected primary quantity, available and on hold."""

    receive_item_id: int | None = None
    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    orig_qty_primary: Decimal | None = optional_decimal()
    available: Decimal | None = optional_decimal()
    on_hold: Decimal | None = optional_decimal()
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ReceiverDigest:
    """A ``GET /inventory/receiverdigests`` row."""

    receiver_id: int | None = None
    reference_num: str | None = None
    po_num: str | None = None
    status: int | None = None
    arrival_date: datetime | None = None
    item_infos: tuple[ReceiverDigestItem, ...] = attrs.field(factory=tuple, converter=to_tuple)
    can_complete: bool | None = None
    can_cancel: bool | None = None
    can_confirm: bool | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ItemAliasDetail:
    """One component of a warehouse item alias: the item and how many of it the alias stands for."""

    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qty: Decimal | None = optional_decimal()
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ItemAlias:
    """A ``GET /customers/{id}/itemaliases`` row: another SKU the customer uses for items."""

    alias_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    active: bool | None = None
    description: str | None = None
    details: tuple[ItemAliasDetail, ...] = attrs.field(factory=tuple, converter=to_tuple)
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class MeasureSet:
    """``imperial`` (in/lb) or ``metric`` (cm/kg) dimensions of a unit."""

    length: Decimal | None = optional_decimal()
    width: Decimal | None = optional_decimal()
    height: Decimal | None = optional_decimal()
    weight: Decimal | None = optional_decimal()
    net_weight: Decimal | None = optional_decimal()
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class UnitOption:
    """A unit-of-measure option of an item (inventory, secondary or package unit)."""

    unit_identifier: UnitIdentifier | None = None
    inventory_units_per_unit: Decimal | None = optional_decimal()
    inventory_also: bool | None = None
    upc: str | None = None
    imperial: MeasureSet | None = None
    metric: MeasureSet | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ItemOptions:
    """The item's inventory, secondary and package units."""

    inventory_unit: UnitOption | None = None
    secondary_unit: UnitOption | None = None
    package_unit: UnitOption | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ItemKitComponent:
    """One component of a kit item and its quantity per kit."""

    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qty: Decimal | None = optional_decimal()
    qualifier: str | None = None


@attrs.frozen(kw_only=True)
class ItemKit:
    """The components that make up a kit item."""

    components: tuple[ItemKitComponent, ...] = attrs.field(factory=tuple, converter=to_tuple)
    material_notes: str | None = None


@attrs.frozen(kw_only=True)
class ItemReadOnly:
    """Server-owned fields of an item: id, deactivation, dates and owning customer."""

    item_id: int | None = None
    deactivated: bool | None = None
    creation_date: datetime | None = None
    last_modified_date: datetime | None = None
    customer_identifier: CustomerIdentifier | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Item:
    """A customer item (product)."""

    sku: str | None = None
    item_id: int | None = None
    upc: str | None = None
    description: str | None = None
    description2: str | None = None
    cost: Decimal | None = optional_decimal()
    price: Decimal | None = optional_decimal()
    kit: ItemKit | None = None
    options: ItemOptions | None = None
    read_only: ItemReadOnly | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ReceiveItemReadOnly:
    """Server-owned fields of a receiver line (id, expected quantity, unit)."""

    receive_item_id: int | None = None
    expected_qty: Decimal | None = optional_decimal()
    unit_identifier: UnitIdentifier | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ReceiveItem:
    """One line of a receiver (ASN): the item, quantity, qualifier, lot/serial data."""

    item_identifier: ItemIdentifier = attrs.field(factory=ItemIdentifier)
    qty: Decimal | None = optional_decimal()
    qualifier: str | None = None
    external_id: str | None = None
    lot_number: str | None = None
    serial_number: str | None = None
    expiration_date: datetime | None = None
    read_only: ReceiveItemReadOnly | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ReceiverReadOnly:
    """Server-owned fields of a receiver: id, status and dates."""

    receiver_id: int | None = None
    status: int | None = None
    receiver_type: int | None = None
    creation_date: datetime | None = None
    last_modified_date: datetime | None = None
    customer_identifier: CustomerIdentifier | None = None
    facility_identifier: FacilityIdentifier | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Receiver:
    """A receiver (advance ship notice, ``/inventory/receivers``): stock expected to arrive."""

    customer_identifier: CustomerIdentifier | None = None
    facility_identifier: FacilityIdentifier | None = None
    reference_num: str | None = None
    po_num: str | None = None
    external_id: str | None = None
    receipt_advice_number: str | None = None
    arrival_date: datetime | None = None
    expected_date: datetime | None = None
    notes: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    transaction_entry_type: int | None = None
    receive_items: tuple[ReceiveItem, ...] = items("inventory/receiveritem")
    read_only: ReceiverReadOnly | None = None
    extra: dict[str, Any] = extra_field()

    @property
    def receiver_id(self) -> int | None:
        return self.read_only.receiver_id if self.read_only else None

    def link(self, rel: str) -> str | None:
        """The ``href`` of a HAL link (see :meth:`Order.link`)."""
        return _link_href(self.extra, rel)


@attrs.frozen(kw_only=True)
class Customer:
    """A 3PL customer (``/customers``) and the facilities it uses."""

    customer_id: int | None = None
    company_name: str | None = None
    external_id: str | None = None
    facilities: tuple[FacilityIdentifier, ...] = attrs.field(factory=tuple, converter=to_tuple)
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class Facility:
    """A warehouse facility (``/properties/facilities``)."""

    facility_id: int | None = wire("facilityId", default=None)
    name: str | None = None
    code: str | None = None
    time_zone_name: str | None = None
    measurement_system_default: int | None = None
    deactivated: bool | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ShipmentService:
    """A service level a carrier offers (``code`` is what orders name)."""

    code: str
    description: str | None = None
    deactivated: bool | None = None


@attrs.frozen(kw_only=True)
class BillingCode:
    """A carrier billing option (prepaid, third party...)."""

    code: str
    billing_code_type: str | None = None


@attrs.frozen(kw_only=True)
class Carrier:
    """A carrier (``/properties/carriers``) with its services and billing codes."""

    name: str
    display_name: str | None = None
    carrier_code: str | None = None
    scac_code: str | None = None
    active: bool | None = None
    shipment_services: tuple[ShipmentService, ...] = attrs.field(factory=tuple, converter=to_tuple)
    billing_codes: tuple[BillingCode, ...] = attrs.field(factory=tuple, converter=to_tuple)
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class UnitOfMeasureType:
    """A unit-of-measure type defined in the warehouse (``/properties/unitofmeasuretypes``)."""

    name: str
    id: int | None = None
    extra: dict[str, Any] = extra_field()


@attrs.frozen(kw_only=True)
class ListFault:
    """One failed entry of a ``ListException`` error body."""

    entry_number: int | None = None
    entry_info: str | None = None
    wms_exception: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class ApiErrorBody:
    """A typed Extensiv error body (Newtonsoft ``$type`` plus code and hint)."""

    type: str | None = wire("$type", default=None)
    error_code: str | None = None
    hint: str | None = None
    message: str | None = None
    model_type: str | None = None
    parameters: tuple[str, ...] | None = None
    properties: tuple[dict[str, Any], ...] | None = None
    faults: tuple[ListFault, ...] | None = None
    extra: dict[str, Any] = extra_field()

    @property
    def short_type(self) -> str:
        """``ModelValidationException`` from ``WMS.V2....ModelValidationException, WMS...``."""
        if not self.type:
            return ""
        return self.type.split(",")[0].strip().rsplit(".", 1)[-1]


@attrs.frozen(kw_only=True)
class TokenResponse:
    """The token endpoint's answer. The tokens are hidden in ``repr``."""

    access_token: str = attrs.field(repr=False)
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type name, not a secret
    expires_in: int = 3600
    refresh_token: str | None = attrs.field(default=None, repr=False)
    scope: str | None = None


@attrs.frozen(kw_only=True)
class WebhookResource:
    """The resource an event notification refers to (``rel``, ``href``, maybe its body)."""

    rel: str | None = None
    href: str | None = None
    body: dict[str, Any] | None = attrs.field(default=None, repr=False)  # a full order: PII


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """An Extensiv event notification (``links``/``data`` already parsed from JSON strings)."""

    wms_event_id: int
    event_type: str
    tpl_id: int | None = None
    event_datetime_utc: datetime | None = None
    create_datetime_utc: datetime | None = None
    resource: WebhookResource | None = None
    links: dict[str, Any] = attrs.field(factory=dict)
    data: dict[str, Any] = attrs.field(factory=dict)
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    extra: dict[str, Any] = extra_field()


def _link_href(extra: dict[str, Any], rel: str) -> str | None:
    """``_links`` rel keys are ``self``/``edit`` or ``http://api.3plcentral.com/rels/{rel}``."""
    links = next((v for k, v in extra.items() if k.lower() == "_links"), None)
    if not isinstance(links, dict):
        return None
    wanted = rel.lower()
    for key, value in links.items():
        name = key.lower()
        if name == wanted or name.endswith("/rels/" + wanted):
            href = value.get("href") if isinstance(value, dict) else value
            return href if isinstance(href, str) else None
    return None
