"""One class per API resource, reached through ``ExtensivClient`` attributes."""

from .inventory import Inventory
from .items import Items
from .orders import Orders
from .properties import Carriers, Customers, Facilities, UnitOfMeasureTypes
from .receivers import Receivers

__all__ = [
    "Carriers",
    "Customers",
    "Facilities",
    "Inventory",
    "Items",
    "Orders",
    "Receivers",
    "UnitOfMeasureTypes",
]
