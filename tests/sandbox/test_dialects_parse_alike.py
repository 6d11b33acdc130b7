"""The client's models read the round-two endpoints the same from either dialect."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from extensiv_connector.models import (
    InventoryRecord,
    ItemAlias,
    Location,
    OrderSummary,
    ReceiverDigest,
    StockSummary,
)
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.wire import loads, make_converter, parse_collection

from .conftest import Api
from .test_round_two import _seed


def _strip(value: Any) -> Any:
    """Models without ``extra`` (HAL keeps ``_links``, JSON keeps PascalCase spellings)."""
    if attrs.has(type(value)):
        changes = {
            f.name: {} if f.name == "extra" else _strip(getattr(value, f.name))
            for f in attrs.fields(type(value))
        }
        return attrs.evolve(value, **changes)
    if isinstance(value, tuple):
        return tuple(_strip(v) for v in value)
    return value


@pytest.mark.parametrize(
    ("path", "rel", "model"),
    [
        ("/inventory", "item", InventoryRecord),
        ("/properties/facilities/3/locations", "properties/location", Location),
        ("/orders/summaries", "item", OrderSummary),
        ("/inventory/receiverdigests", "inventory/receiverdigest", ReceiverDigest),
        ("/customers/12/itemaliases", "customers/itemalias", ItemAlias),
        ("/inventory/stocksummariesfororder?orderid={oid}", None, StockSummary),
    ],
)
def test_hal_and_plain_json_give_the_same_models(
    sb: Sandbox, api: Api, path: str, rel: str | None, model: type[Any]
) -> None:
    _seed(sb)
    oid = api.create_order("DIALECT-1", {"LOT-1": 2}).json()["readOnly"]["orderId"]
    converter = make_converter()

    def read(hal: bool) -> list[Any]:
        body = loads(api.get(path.format(oid=oid), hal=hal).content)
        page = parse_collection(body, rel)
        return [_strip(converter.structure(r, model)) for r in page.records]

    hal, plain = read(True), read(False)

    assert hal
    assert hal == plain
