"""OMS <-> Extensiv translation: pure functions over frozen models and the channel config.

Outbound (host -> Extensiv) functions return a translation holding the Extensiv model, its
camelCase payload (after the validation rules normalised/truncated it) and the warnings; any
error (unmapped SKU or carrier under "hold", a rule broken, a reference too long...) raises
:class:`~extensiv_connector.errors.ValidationError` listing every violation at once.

Inbound (Extensiv -> host) functions map SKUs, carriers and references back, convert
quantities through pack factors, and classify what the warehouse changed on a shipment.
"""

from ._common import (
    ENTRY_TYPE_API,
    STATUS_CANCELED,
    STATUS_CLOSED,
    STATUS_OPEN,
    BackorderDecisionLike,
    InventoryTranslation,
    OrderTranslation,
    ReceiverTranslation,
    ShipmentTranslation,
    TranslationConfig,
    unit_factor,
)
from ._inventory import (
    stock_details_to_lot_levels,
    stock_summaries_to_inventory,
    stock_summary_to_inventory,
)
from ._items import item_to_product, product_to_item
from ._orders import sales_order_to_order
from ._receipts import receipt_to_receiver, receiver_to_receipt
from ._shipments import order_to_shipment, translate_shipment

__all__ = [
    "ENTRY_TYPE_API",
    "STATUS_CANCELED",
    "STATUS_CLOSED",
    "STATUS_OPEN",
    "BackorderDecisionLike",
    "InventoryTranslation",
    "OrderTranslation",
    "ReceiverTranslation",
    "ShipmentTranslation",
    "TranslationConfig",
    "item_to_product",
    "order_to_shipment",
    "product_to_item",
    "receipt_to_receiver",
    "receiver_to_receipt",
    "sales_order_to_order",
    "stock_details_to_lot_levels",
    "stock_summaries_to_inventory",
    "stock_summary_to_inventory",
    "translate_shipment",
    "unit_factor",
]
