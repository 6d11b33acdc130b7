"""Shared config and fixtures for the translation tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from extensiv_connector.config import ChannelConfig
from extensiv_connector.wire import loads, make_converter

T = TypeVar("T")
FIXTURES = Path(__file__).parent / "fixtures"
ENV = {"EXTENSIV_CLIENT_SECRET": "not-a-real-secret"}


def fixture_json(name: str) -> Any:
    return loads((FIXTURES / name).read_text(encoding="utf-8"))


def structured(name: str, cls: type[T]) -> T:
    return make_converter().structure(fixture_json(name), cls)


def config_data(**sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "general": {"connection_name": "web"},
        "credentials": {
            "client_id": "client-abc",
            "client_secret": {"env": "EXTENSIV_CLIENT_SECRET"},
            "user_login_id": "42",
            "customer_id": 12,
            "facility_id": 3,
        },
        "carrier_mappings": {
            "entries": [
                {
                    "carrier": "UPS",
                    "service": "Ground",
                    "extensiv_carrier": "UPS",
                    "extensiv_service": "03",
                    "scac": "UPSN",
                    "billing_code": "Prepaid",
                },
                {
                    "carrier": "FedEx",
                    "service": "Ground",
                    "extensiv_carrier": "FedEx",
                    "extensiv_service": "FDEG",
                },
            ],
            "host_codes": [
                {
                    "host_carrier": "ups",
                    "host_service": "GND",
                    "carrier": "UPS",
                    "service": "Ground",
                }
            ],
        },
        "sku_mappings": {
            "entries": [
                {"host_sku": "WIDGET", "channel_sku": "ABC-1", "aliases": ["012345678905"]},
                {"host_sku": "LOT-SKU", "channel_sku": "LOT-SKU"},
                {"host_sku": "WIDGET-6PK", "channel_sku": "CASE-EA", "pack_factor": 6},
            ]
        },
        "reference_mappings": {
            "entries": [
                {"code": "CustomerPO", "target": "poNum", "inbound": True},
                {"code": "Lot", "target": "lotNumber", "level": "line"},
            ]
        },
        "references": {
            "order_template": "{order_number}-{shipment_seq}",
            "receipt_template": "{order_number}",
        },
        "backorder": {"default_unit_factors": {"Case": 12}},
    }
    data.update(sections)
    return data


def make_config(**sections: Any) -> ChannelConfig:
    return ChannelConfig.from_dict(config_data(**sections), environ=ENV)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
