"""Every bad setting is refused when the file is loaded, as a ConfigError naming its dotted path,
instead of failing at first use (a timeout of nan, a lease of 2**62 seconds...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extensiv_connector import ChannelConfig, ConfigError
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, MemoryStore

CREDENTIALS = """
[credentials]
client_id = "client-abc"
client_secret = "s3cr3t"
user_login_id = "42"
customer_id = 418
facility_id = 12
"""


def load(tmp_path: Path, extra: str) -> ChannelConfig:
    path = tmp_path / "channel.toml"
    path.write_text(CREDENTIALS + extra, encoding="utf-8")
    return ChannelConfig.from_toml(path, environ={})


def refusal(tmp_path: Path, extra: str) -> tuple[str, str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, extra)
    return caught.value.path, caught.value.message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        # the reproducers
        (
            '[sync]\ninitial_cursor = "yesterday"',
            (
                "sync.initial_cursor",
                "expected a timestamp like 2024-01-31T00:00:00, got 'yesterday'",
            ),
        ),
        ("[client]\nconnect_timeout = nan", ("client.connect_timeout", "expected a finite number")),
        ("[client]\nread_timeout = inf", ("client.read_timeout", "expected a finite number")),
        (
            "[client]\nrate_limit_per_second = 1e-300",
            ("client.rate_limit_per_second", "must be at least 0.001"),
        ),
        (f"[sync]\nlease_seconds = {2**62}", ("sync.lease_seconds", "must be at most 604800")),
        # the rest of the audit
        ('[sync]\ninitial_cursor = "2026-02-30"', ("sync.initial_cursor", None)),
        (
            '[sync]\ninitial_cursor = "0001-01-01T00:00:00"',
            ("sync.initial_cursor", "year must be between 1900 and 9000"),
        ),
        ("[sync]\noverlap_minutes = 99999999", ("sync.overlap_minutes", "must be at most 527040")),
        ("[sync]\nmax_in_flight = 0", ("sync.max_in_flight", "must be at least 1")),
        ('[sync]\nstate_path = ""', ("sync.state_path", "must not be empty")),
        ("[client]\nbackoff_max = -inf", ("client.backoff_max", "expected a finite number")),
        ("[client]\nretry_after_cap = 1e9", ("client.retry_after_cap", "must be at most 86400")),
        ("[client]\nmax_retries = 1000", ("client.max_retries", "must be at most 100")),
        ("[client]\npool_size = 100000", ("client.pool_size", "must be at most 1000")),
        ("[client]\nconnect_timeout = 0", ("client.connect_timeout", "must be greater than 0")),
        ("[webhooks]\nmax_body_bytes = 0", ("webhooks.max_body_bytes", "must be at least 1")),
        (
            '[webhooks]\npublic_key_url = "ftp://x"',
            ("webhooks.public_key_url", "expected an http(s) URL"),
        ),
        (
            '[webhooks]\npublic_key_url = "http://example.com:99999/k"',
            ("webhooks.public_key_url", "expected an http(s) URL"),
        ),
        ("[pii]\nretention_days = 10000000", ("pii.retention_days", "must be at most 36600")),
        (
            "[backorder]\nminimum_partial_quantity = 1e300",
            ("backorder.minimum_partial_quantity", "number magnitude out of range (exponent 300)"),
        ),
        ('[backorder]\ndefault_safety_buffer = "NaN"', ("backorder.default_safety_buffer", None)),
        ('[general]\nconnection_name = "a\\u0000b"', ("general.connection_name", None)),
        ('[general]\nconnection_name = "  "', ("general.connection_name", "must not be empty")),
    ],
)
def test_bad_settings_are_refused_at_load_naming_the_setting(
    tmp_path: Path, toml: str, expected: tuple[str, str | None]
) -> None:
    path, message = refusal(tmp_path, toml)

    assert expected == (path, message if expected[1] is not None else None)


def test_integers_beyond_64_bits_are_refused_by_the_loader() -> None:
    data = {
        "credentials": {
            "client_id": "c",
            "client_secret": "s",
            "user_login_id": "1",
            "customer_id": 2**70,
            "facility_id": 1,
        }
    }

    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(data, environ={})

    assert ("credentials.customer_id", "integer out of range") == (
        caught.value.path,
        caught.value.message,
    )


def test_a_config_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "channel.toml"
    path.write_bytes(CREDENTIALS.encode() + b'[general]\nconnection_name = "caf\xe9"\n')

    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_toml(path, environ={})

    assert f"{path}: not UTF-8 text (line 9, byte 153)" == str(caught.value)


def test_a_config_file_nested_too_deeply_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "channel.toml"
    path.write_text(CREDENTIALS + "[general]\nx = " + "[" * 5000 + "]" * 5000, encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_toml(path, environ={})

    assert "not valid TOML" in caught.value.message


def test_a_non_string_key_is_reported_not_crashed_on() -> None:
    with pytest.raises(ConfigError) as caught:
        # a non-string key on purpose: from_dict is typed for str keys, hosts pass what they have
        ChannelConfig.from_dict({1: {}, "credentials": {}}, environ={})  # type: ignore[dict-item]

    assert "1" == caught.value.path


def test_the_slowest_rate_limit_loads() -> None:
    data: dict[str, dict[str, Any]] = {
        "credentials": {"client_id": "c", "client_secret": "s", "user_login_id": "1"}
    }
    data["credentials"].update(customer_id=1, facility_id=1)
    data["client"] = {"rate_limit_per_second": 0.001}

    assert 0.001 == ChannelConfig.from_dict(data, environ={}).client.rate_limit_per_second


def test_settings_at_their_limits_load_and_a_connector_runs_with_them(tmp_path: Path) -> None:
    limits = """
[sync]
lease_seconds = 604800
overlap_minutes = 527040
initial_cursor = "1900-01-01T00:00:00"
[client]
rate_limit_per_second = 1000000
connect_timeout = 86400
retry_after_cap = 0
[pii]
retention_days = 36600
"""
    with Sandbox(catalog_size=2, initial_stock=5) as sb:
        credentials = "[credentials]\n" + "".join(
            f"{key} = {value!r}\n".replace("'", '"') for key, value in sb.connection_info().items()
        )
        path = tmp_path / "channel.toml"
        path.write_text(credentials + limits, encoding="utf-8")
        config = ChannelConfig.from_toml(path, environ={})
        with Connector(config, store=MemoryStore()) as connector:
            result = connector.receive_inventory_levels()

    assert (2, 604800, 1e6) == (
        len(result.records),
        config.sync.lease_seconds,
        config.client.rate_limit_per_second,
    )
