"""Builders shared by the test packages: a valid address, host orders, and channel configs.

Each builder makes the smallest valid object and takes overrides, so a test names only what it
is about. Import them relatively (``from ..factories import sales_order``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, OrderLine, SalesOrder

#: A complete US ship-to address that passes the default validation rules.
SHIP_TO = Address(
    name="Test Customer",
    address1="1 Main St",
    city="Dallas",
    state="TX",
    postal_code="75201",
    country="US",
)


#: Credentials for a config that never connects (the secret is a literal, not a real one).
CREDENTIALS: Mapping[str, Any] = {
    "client_id": "client-abc",
    "client_secret": "not-a-real-secret",
    "user_login_id": "42",
    "customer_id": 12,
    "facility_id": 3,
}


def address(**overrides: Any) -> Address:
    """:data:`SHIP_TO` with ``overrides`` (``address(name="Jane")``)."""
    return attrs.evolve(SHIP_TO, **overrides)


def sales_order(
    number: str,
    *lines: tuple[str, int | str | Decimal],
    hour: int = 1,
    seq: int = 1,
    **fields: Any,
) -> SalesOrder:
    """A valid host order: one line per (sku, quantity), line references "1", "2", ...; ordered
    on 2026-01-01 at ``hour``, to :data:`SHIP_TO` by UPS service "03" unless ``fields`` say
    otherwise."""
    values: dict[str, Any] = {
        "ship_to": SHIP_TO,
        "ordered_at": datetime(2026, 1, 1, hour),
        "carrier": "UPS",
        "service": "03",
        "shipment_seq": seq,
        **fields,
    }
    return SalesOrder(
        order_number=number,
        lines=[
            OrderLine(sku=sku, quantity=qty, line_reference=str(i + 1))
            for i, (sku, qty) in enumerate(lines)
        ],
        **values,
    )


def channel_config(
    credentials: Mapping[str, Any] = CREDENTIALS,
    *,
    connection_name: str = "sandbox",
    environ: Mapping[str, str] | None = None,
    **sections: Any,
) -> ChannelConfig:
    """A config for ``credentials`` (e.g. ``Sandbox.connection_info()``; default
    :data:`CREDENTIALS`) plus any sections, through ``ChannelConfig.from_dict`` as a host's file
    would go."""
    data = {"general": {"connection_name": connection_name}, "credentials": dict(credentials)}
    return ChannelConfig.from_dict({**data, **sections}, environ=environ)
