"""The mapping, PII, units and validation sections load from TOML and round-trip."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from extensiv_connector.config import ChannelConfig
from extensiv_connector.errors import ConfigError
from extensiv_connector.mapping import MeasureSystem, UnmappedCarrier, UnmappedSku
from extensiv_connector.pii import PiiMode
from extensiv_connector.rules import Normalise, TooLong

from ._support import ENV, config_data

TOML = """
[credentials]
client_id = "client-abc"
client_secret = { env = "EXTENSIV_CLIENT_SECRET" }
user_login_id = "42"
customer_id = 12
facility_id = 3

[carrier_mappings]
unmapped = "hold"

[[carrier_mappings.host_codes]]
host_service = "Standard Shipping"
carrier = "FedEx"
service = "Ground"

[[carrier_mappings.entries]]
carrier = "FedEx"
service = "Ground"
extensiv_carrier = "FedEx"
extensiv_service = "FDEG"
scac = "FDEG"
billing_code = "Prepaid"

[sku_mappings]
unmapped = "hold"

[[sku_mappings.entries]]
host_sku = "WIDGET-6PK"
channel_sku = "WIDGET-EA"
aliases = ["012345678905"]
pack_factor = 6

[[reference_mappings.entries]]
code = "CustomerPO"
target = "poNum"
inbound = true

[references]
order_template = "{channel}-{order_number}-{shipment_seq}"
max_length = 40

[units]
system = "metric"
host_length_unit = "mm"
host_weight_unit = "g"

[pii]
mode = "minimise"
retention_days = 90

[[validation.rules]]
path = "shippingNotes"
max_length = 200
too_long = "truncate"

[[validation.rules]]
path = "shipTo.phoneNumber"
required = true
normalise = "phone"
severity = "warning"
"""


def test_the_documented_toml_sections_load(tmp_path: Path) -> None:
    path = tmp_path / "channel.toml"
    path.write_text(TOML, encoding="utf-8")

    config = ChannelConfig.from_toml(path, environ=ENV)

    assert (
        UnmappedCarrier.HOLD,
        "FDEG",
        UnmappedSku.HOLD,
        Decimal(6),
        "poNum",
        40,
        MeasureSystem.METRIC,
        PiiMode.MINIMISE,
        [TooLong.TRUNCATE, TooLong.REJECT],
        Normalise.PHONE,
    ) == (
        config.carrier_mappings.unmapped,
        config.carrier_mappings.resolve("", "Standard Shipping").extensiv_service,
        config.sku_mappings.unmapped,
        config.sku_mappings.to_channel("012345678905").pack_factor,
        config.reference_mappings.entries[0].target.value,
        config.references.order.max_length,
        config.units.system,
        config.pii.mode,
        [r.too_long for r in config.validation.rules],
        config.validation.rules[1].normalise,
    )


def test_the_sections_round_trip_through_to_dict() -> None:
    config = ChannelConfig.from_dict(
        config_data(pii={"mode": "mask", "mask_text": "x"}), environ=ENV
    )

    assert config == ChannelConfig.from_dict(config.to_dict(), environ=ENV)


@pytest.mark.parametrize(
    ("section", "path"),
    [
        (
            {
                "sku_mappings": {
                    "entries": [{"host_sku": "A", "channel_sku": "B", "pack_factor": -1}]
                }
            },
            "sku_mappings.entries[0].pack_factor",
        ),
        ({"references": {"order_template": "{order}"}}, "references.order_template"),
        ({"carrier_mappings": {"unmapped": "ignore"}}, "carrier_mappings.unmapped"),
        ({"pii": {"retention_days": -5}}, "pii.retention_days"),
    ],
)
def test_a_bad_setting_names_its_path(section: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(config_data(**section), environ=ENV)

    assert path == caught.value.path
