"""ChannelConfig: every section, environment secrets, every error path, secret redaction."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from extensiv_connector import ChannelConfig, ConfigError
from extensiv_connector.backorder import BackorderMode
from extensiv_connector.config import Secret

ENV = {
    "EXTENSIV_CLIENT_SECRET": "s3cr3t-value",
    "EXTENSIV_TPL": "{11111111-2222-3333-4444-555555555555}",
}


def minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "credentials": {
            "client_id": "client-abc",
            "client_secret": {"env": "EXTENSIV_CLIENT_SECRET"},
            "user_login_id": "42",
            "customer_id": 418,
            "facility_id": 12,
        }
    }
    data.update(overrides)
    return data


def test_a_minimal_config_fills_every_other_section_with_defaults() -> None:
    config = ChannelConfig.from_dict(minimal(), environ=ENV)

    assert ("https://secure-wms.com", "s3cr3t-value", 418, 12) == (
        config.credentials.base_url,
        config.credentials.client_secret.reveal(),
        config.credentials.customer_id,
        config.credentials.facility_id,
    )
    assert BackorderMode.MANAGE_IN_OMS == config.backorder.mode
    assert "extensiv" == config.channel


def test_the_example_channel_toml_in_docs_loads() -> None:
    path = Path(__file__).parents[2] / "docs" / "channel.example.toml"

    config = ChannelConfig.from_toml(path, environ=ENV)

    assert "Acme West" == config.general.connection_name
    assert config.credentials.tpl is not None
    assert ENV["EXTENSIV_TPL"] == config.credentials.tpl.reveal()


@pytest.mark.parametrize(
    ("secret_form", "expected_env"),
    [
        ({"env": "EXTENSIV_CLIENT_SECRET"}, "EXTENSIV_CLIENT_SECRET"),
        ("env:EXTENSIV_CLIENT_SECRET", "EXTENSIV_CLIENT_SECRET"),
        ("inline-value", None),
    ],
)
def test_secrets_come_inline_or_from_the_environment(
    secret_form: Any, expected_env: str | None
) -> None:
    data = minimal()
    data["credentials"]["client_secret"] = secret_form

    secret = ChannelConfig.from_dict(data, environ=ENV).credentials.client_secret

    assert expected_env == secret.env


def test_a_missing_environment_variable_names_the_setting_and_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(minimal(), environ={})

    assert "credentials.client_secret" == caught.value.path
    assert "EXTENSIV_CLIENT_SECRET is not set" in str(caught.value)


@pytest.mark.parametrize("pasted", ["pA55word+With/Chars=", "Zk3Q9vT2mW8xL4pR7sN1bY6c"])
@pytest.mark.parametrize("form", ["table", "prefix"])
@pytest.mark.parametrize("field", ["client_secret", "tpl"])
def test_a_secret_pasted_where_a_variable_name_belongs_is_not_echoed(
    pasted: str, form: str, field: str
) -> None:
    data = minimal()
    data["credentials"][field] = {"env": pasted} if form == "table" else f"env:{pasted}"

    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(data, environ=ENV)

    shown = f"{caught.value} {caught.value.args} {caught.value!r}"
    assert (f"credentials.{field}", False, True) == (
        caught.value.path,
        pasted in shown,
        f"{len(pasted)} characters" in shown,
    )


@pytest.mark.parametrize(
    ("patch", "path", "message"),
    [
        (
            {"backorder": {"mode": "sometimes"}},
            "backorder.mode",
            "expected one of manage_in_oms, manage_in_channel",
        ),
        (
            {"backorder": {"allow_partial": "yes"}},
            "backorder.allow_partial",
            "expected true or false",
        ),
        ({"general": {"colour": "red"}}, "general.colour", "unknown setting"),
        ({"nonsense": {}}, "nonsense", "unknown setting"),
        ({"sync": {"max_in_flight": 0}}, "sync.max_in_flight", "at least 1"),
        (
            {"sync": {"inventory_mode": "sideways"}},
            "sync.inventory_mode",
            "expected one of absolute, delta",
        ),
        ({"client": {"read_timeout": "slow"}}, "client.read_timeout", "expected a number"),
        ({"general": "not a table"}, "general", "expected a table"),
    ],
)
def test_every_wrong_setting_names_its_dotted_path(
    patch: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(minimal(**patch), environ=ENV)

    assert path == caught.value.path
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customer_id", "418", "expected an integer"),
        ("customer_id", 0, "positive"),
        ("client_id", "", "must not be empty"),
        ("base_url", "http://secure-wms.com", "https is required"),
        ("base_url", "ftp://x", "http(s) URL"),
    ],
)
def test_credential_errors_name_the_credential(field: str, value: Any, message: str) -> None:
    data = minimal()
    data["credentials"][field] = value

    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(data, environ=ENV)

    assert f"credentials.{field}" == caught.value.path
    assert message in str(caught.value)


def test_a_missing_required_credential_is_named() -> None:
    data = minimal()
    del data["credentials"]["facility_id"]

    with pytest.raises(
        ConfigError, match=r"^credentials\.facility_id: required setting is missing$"
    ):
        ChannelConfig.from_dict(data, environ=ENV)


def test_a_user_login_or_user_login_id_is_required() -> None:
    data = minimal()
    del data["credentials"]["user_login_id"]

    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(data, environ=ENV)

    assert "credentials.user_login_id" == caught.value.path


def test_user_login_selects_the_token_field() -> None:
    data = minimal()
    del data["credentials"]["user_login_id"]
    data["credentials"]["user_login"] = "warehouse-user"

    creds = ChannelConfig.from_dict(data, environ=ENV).credentials

    assert ("user_login", "warehouse-user") == (creds.login_field, creds.login_value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:80"])
def test_plain_http_is_allowed_on_loopback_only(url: str) -> None:
    data = minimal()
    data["credentials"]["base_url"] = url

    assert url == ChannelConfig.from_dict(data, environ=ENV).credentials.base_url


def test_repr_str_and_logging_never_show_secrets(caplog: pytest.LogCaptureFixture) -> None:
    data = minimal()
    data["credentials"]["tpl"] = {"env": "EXTENSIV_TPL"}
    data["credentials"]["client_secret"] = "inline-s3cr3t"
    config = ChannelConfig.from_dict(data, environ=ENV)

    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("config %s %r", config, config)
    rendered = [repr(config), str(config), f"{config.credentials.client_secret}", caplog.text]

    for text in rendered:
        assert "inline-s3cr3t" not in text
        assert ENV["EXTENSIV_TPL"] not in text


def test_saving_keeps_secrets_as_environment_references_and_reloads_equal(tmp_path: Path) -> None:
    data = minimal(
        general={"connection_name": "Acme West"},
        backorder={"mode": "manage_in_oms", "allow_partial": True},
        # absolute: a relative state_path is read back resolved beside the file
        sync={"max_in_flight": 4, "inventory_mode": "delta", "state_path": str(tmp_path / "s.db")},
    )
    data["credentials"]["tpl"] = "env:EXTENSIV_TPL"
    config = ChannelConfig.from_dict(data, environ=ENV)

    path = tmp_path / "channel.toml"
    text = config.to_toml(path)
    reloaded = ChannelConfig.from_toml(path, environ=ENV)

    assert config == reloaded
    assert "s3cr3t-value" not in text
    assert ENV["EXTENSIV_TPL"] not in text
    assert 'client_secret = { env = "EXTENSIV_CLIENT_SECRET" }' in text


def test_an_inline_secret_is_saved_only_when_asked_to(tmp_path: Path) -> None:
    data = minimal(sync={"state_path": str(tmp_path / "s.db")})  # absolute: see above
    data["credentials"]["client_secret"] = "inline-s3cr3t"
    config = ChannelConfig.from_dict(data, environ=ENV)

    with pytest.raises(ConfigError) as refused:
        config.to_toml()
    text = config.to_toml(inline_secrets=True)
    reloaded = ChannelConfig.from_toml(_write(tmp_path, text), environ={})

    assert "credentials.client_secret" == refused.value.path
    assert "inline-s3cr3t" not in str(refused.value)
    assert config == reloaded


def test_the_full_example_round_trips_through_toml(tmp_path: Path) -> None:
    original = ChannelConfig.from_toml(
        Path(__file__).parents[2] / "docs" / "channel.example.toml", environ=ENV
    )

    reloaded = ChannelConfig.from_toml(_write(tmp_path, original.to_toml()), environ=ENV)

    assert original == reloaded


def test_unreadable_and_invalid_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        ChannelConfig.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        ChannelConfig.from_toml(_write(tmp_path, "this is = = not toml"))


def test_secret_equality_ignores_provenance_and_refuses_pickling() -> None:
    import pickle

    assert Secret("x", env="A") == Secret("x")
    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "written.toml"
    path.write_text(text)
    return path
