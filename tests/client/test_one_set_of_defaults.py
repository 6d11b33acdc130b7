"""A client built by hand and one built from a config behave alike: one set of defaults."""

from __future__ import annotations

import attrs

from extensiv_connector.client import ClientOptions, RetryPolicy
from extensiv_connector.client._transport import TransportSettings
from extensiv_connector.config import ClientSettings

# ClientSettings field -> ClientOptions field (ExtensivClient.from_config maps them so).
SAME_MEANING = {
    "connect_timeout": "connect_timeout",
    "read_timeout": "read_timeout",
    "backoff_initial": "base_delay",
    "backoff_max": "max_delay",
    "retry_after_cap": "retry_after_cap",
    "pool_size": "pool_size",
    "page_concurrency": "page_concurrency",
}


def defaults(cls: type) -> dict[str, object]:
    return {f.name: f.default for f in attrs.fields(cls) if f.default is not attrs.NOTHING}


def test_client_options_default_to_the_config_sections_values() -> None:
    settings, options = defaults(ClientSettings), defaults(ClientOptions)

    expected = {name: settings[setting] for setting, name in SAME_MEANING.items()}
    max_retries = settings["max_retries"]
    assert isinstance(max_retries, int)
    expected["max_attempts"] = max_retries + 1

    assert expected == {name: options[name] for name in expected}


def test_retry_policy_and_transport_default_to_the_client_options() -> None:
    options = defaults(ClientOptions)
    policy, transport = defaults(RetryPolicy), defaults(TransportSettings)

    assert {n: options[n] for n in ("max_attempts", "base_delay", "max_delay")} == {
        n: policy[n] for n in ("max_attempts", "base_delay", "max_delay")
    }
    assert options["retry_after_cap"] == policy["retry_after_cap"]
    assert {n: options[n] for n in ("connect_timeout", "read_timeout", "pool_size")} == {
        n: transport[n] for n in ("connect_timeout", "read_timeout", "pool_size")
    }
