"""extensiv_connector: use the Extensiv 3PL Warehouse Manager as a fulfillment channel.

The curated public API. Everything else lives in private modules or in the documented
subpackages (``backorder``, ``mapping``, ``translate``, ``client``, ``sync``, ``webhooks``,
``sandbox``, ``testing``).
"""

from ._version import __version__
from .client import ExtensivClient
from .config import ChannelConfig
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigError,
    ExtensivError,
    TransportError,
    ValidationError,
)
from .models import (
    Address,
    InventoryLevel,
    OrderLine,
    Product,
    Receipt,
    ReceiptLine,
    SalesOrder,
    Shipment,
)
from .sync import Connector

__all__ = [
    "Address",
    "ApiError",
    "AuthenticationError",
    "ChannelConfig",
    "ConfigError",
    "Connector",
    "ExtensivClient",
    "ExtensivError",
    "InventoryLevel",
    "OrderLine",
    "Product",
    "Receipt",
    "ReceiptLine",
    "SalesOrder",
    "Shipment",
    "TransportError",
    "ValidationError",
    "__version__",
]
