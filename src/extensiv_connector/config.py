"""``ChannelConfig``: every setting of the channel screen, as one frozen value.

Sections mirror the screen: general, integration credentials (+ webhooks), backorder, PII,
reference templates, units of measurement, API validation rules, carrier/SKU/reference mappings,
and sync/client settings. Load from TOML or a dict; secrets may be environment references
(``client_secret = { env = "EXTENSIV_CLIENT_SECRET" }`` or ``"env:EXTENSIV_CLIENT_SECRET"``).
Unknown keys and wrong types raise :class:`ConfigError` naming the dotted path. ``repr``/``str``
never show the client secret, the TPL key or a token.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from . import _toml
from ._secret import Secret
from ._settings_loader import dump_section, load_section
from .backorder import BackorderPolicy
from .errors import ConfigError
from .mapping import (
    CarrierMapping,
    ReferenceMapping,
    ReferenceSettings,
    SkuMapping,
    UnitSettings,
)
from .pii import PiiPolicy
from .rules import ValidationRules

__all__ = [
    "ChannelConfig",
    "ClientSettings",
    "Credentials",
    "GeneralSettings",
    "Secret",
    "SyncSettings",
    "WebhookSettings",
]

PRODUCTION_BASE_URL = "https://secure-wms.com"

#: Environment variables a saved config refers to when a secret was given inline.
DEFAULT_SECRET_ENV = {
    "client_secret": "EXTENSIV_CLIENT_SECRET",
    "tpl": "EXTENSIV_TPL",
    "path_token": "EXTENSIV_WEBHOOK_PATH_TOKEN",
}


def _default_channel_id(general: GeneralSettings) -> str:
    # Stores written before the id existed keyed state by the connection name: same key.
    return general.connection_name


@attrs.frozen(kw_only=True)
class GeneralSettings:
    """Config section ``[general]``. ``connection_name`` is the label users see and may edit;
    ``channel_id`` is the stable key of the channel's state, ledger and ``{channel}``
    references (defaults to the name)."""

    application: str = "Extensiv 3PL Warehouse Manager"
    connection_name: str = "extensiv"
    channel_id: str = attrs.field(default=attrs.Factory(_default_channel_id, takes_self=True))

    def __attrs_post_init__(self) -> None:
        if not self.connection_name.strip():
            raise ConfigError("general.connection_name", "must not be empty")
        if not self.channel_id.strip() or self.channel_id != self.channel_id.strip():
            raise ConfigError(
                "general.channel_id", "must not be empty or start/end with whitespace"
            )


@attrs.frozen(kw_only=True)
class WebhookSettings:
    """Optional event notifications. ``path_token`` is a second factor in the endpoint path."""

    enabled: bool = False
    path_token: Secret | None = None
    public_key_url: str = ""  # "" = {base_url}/events/webhook/key
    max_body_bytes: int = 5_000_000


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@attrs.frozen(kw_only=True)
class Credentials:
    """Integration credentials. One of ``user_login_id`` (preferred) or ``user_login``."""

    client_id: str
    client_secret: Secret
    customer_id: int
    facility_id: int
    user_login_id: str | None = None
    user_login: str | None = None
    tpl: Secret | None = None
    base_url: str = PRODUCTION_BASE_URL

    def __attrs_post_init__(self) -> None:
        if not self.client_id:
            raise ConfigError("credentials.client_id", "must not be empty")
        if not self.client_secret:
            raise ConfigError("credentials.client_secret", "must not be empty")
        if not (self.user_login_id or self.user_login):
            raise ConfigError(
                "credentials.user_login_id",
                "one of user_login_id or user_login is required (transactions need a user)",
            )
        if self.user_login_id and not (
            self.user_login_id.isascii() and self.user_login_id.isdigit()
        ):
            raise ConfigError(
                "credentials.user_login_id",
                "must be the numeric user id (use user_login for a login name)",
            )
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("credentials.base_url", "expected an http(s) URL")
        if parts.scheme != "https" and not _is_loopback(parts.hostname):
            raise ConfigError("credentials.base_url", "https is required except on loopback")
        if self.customer_id <= 0:
            raise ConfigError("credentials.customer_id", "must be a positive integer")
        if self.facility_id <= 0:
            raise ConfigError("credentials.facility_id", "must be a positive integer")

    @property
    def login_field(self) -> str:
        """Which token-body field carries the user: ``user_login_id`` or ``user_login``."""
        return "user_login_id" if self.user_login_id else "user_login"

    @property
    def login_value(self) -> str:
        return self.user_login_id or self.user_login or ""


@attrs.frozen(kw_only=True)
class ClientSettings:
    """HTTP behaviour of the client. Retries apply only to requests safe to repeat."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0
    rate_limit_per_second: float = 0.0  # 0 = off
    pool_size: int = 16
    page_concurrency: int = 4
    verify: bool = True  # check the server's TLS certificate (off only for throwaway tests)
    ca_file: str = ""  # a PEM CA bundle to trust instead of the system's (e.g. the sandbox's)

    def __attrs_post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "backoff_initial", "backoff_max"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"client.{name}", "must be positive")
        if self.max_retries < 0:
            raise ConfigError("client.max_retries", "must not be negative")
        if self.rate_limit_per_second < 0:
            raise ConfigError("client.rate_limit_per_second", "must not be negative")
        if self.pool_size < 1:
            raise ConfigError("client.pool_size", "must be at least 1")
        if self.page_concurrency < 1:
            raise ConfigError("client.page_concurrency", "must be at least 1")
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise ConfigError("client.ca_file", "no such file")


@attrs.frozen(kw_only=True)
class SyncSettings:
    """How sync actions run: concurrency, polling overlap, state file, inventory mode."""

    max_in_flight: int = 8
    overlap_minutes: int = 10
    state_path: str = "extensiv-connector.sqlite3"
    inventory_mode: str = "absolute"  # or "delta"
    lease_seconds: int = 600
    initial_cursor: str = "2000-01-01T00:00:00"

    def __attrs_post_init__(self) -> None:
        if self.max_in_flight < 1:
            raise ConfigError("sync.max_in_flight", "must be at least 1")
        if self.overlap_minutes < 0:
            raise ConfigError("sync.overlap_minutes", "must not be negative")
        if self.inventory_mode not in ("absolute", "delta"):
            raise ConfigError(
                "sync.inventory_mode",
                f"expected one of absolute, delta, got {self.inventory_mode!r}",
            )
        if self.lease_seconds < 1:
            raise ConfigError("sync.lease_seconds", "must be at least 1")


@attrs.frozen(kw_only=True)
class ChannelConfig:
    """One fulfillment-channel connection: every setting of the channel screen."""

    credentials: Credentials
    general: GeneralSettings = attrs.field(factory=GeneralSettings)
    webhooks: WebhookSettings = attrs.field(factory=WebhookSettings)
    backorder: BackorderPolicy = attrs.field(factory=BackorderPolicy)
    pii: PiiPolicy = attrs.field(factory=PiiPolicy)
    references: ReferenceSettings = attrs.field(factory=ReferenceSettings)
    units: UnitSettings = attrs.field(factory=UnitSettings)
    validation: ValidationRules = attrs.field(factory=ValidationRules)
    carrier_mappings: CarrierMapping = attrs.field(factory=CarrierMapping)
    sku_mappings: SkuMapping = attrs.field(factory=SkuMapping)
    reference_mappings: ReferenceMapping = attrs.field(factory=ReferenceMapping)
    sync: SyncSettings = attrs.field(factory=SyncSettings)
    client: ClientSettings = attrs.field(factory=ClientSettings)

    def __attrs_post_init__(self) -> None:
        _check_remainder_numbering(self.backorder, self.references)

    @property
    def channel(self) -> str:
        """The channel's stable id (``general.channel_id``): namespaces its state in the store
        and fills ``{channel}`` in references. The connection name is only a label."""
        return self.general.channel_id

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, environ: Mapping[str, str] | None = None
    ) -> ChannelConfig:
        """Build from plain data shaped like the TOML file. ``environ`` defaults to os.environ."""
        return load_section(data, cls, "", os.environ if environ is None else environ)

    @classmethod
    def from_toml(
        cls, path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
    ) -> ChannelConfig:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError("", f"cannot read config file {str(path)!r}: {exc.strerror}") from exc
        try:
            data = _toml.loads(text)
        except ValueError as exc:
            raise ConfigError("", f"{path}: not valid TOML: {exc}") from exc
        return cls.from_dict(data, environ=environ)

    def to_dict(self, *, inline_secrets: bool = False) -> dict[str, Any]:
        """Plain data (non-default settings only) that ``from_dict`` reads back equal.

        Secrets loaded from the environment are written as the same references. A secret
        given inline is written inline only with ``inline_secrets=True``; otherwise it is a
        ``ConfigError`` naming it (give it as ``Secret(value, env="NAME")`` to save a
        reference). ``general.channel_id`` is always written, so editing the connection
        name in the saved file later keeps the channel's state.
        """
        config = self if inline_secrets else _refuse_inline_secrets(self)
        data = dump_section(config, inline_secrets=inline_secrets)
        data.setdefault("general", {})["channel_id"] = self.general.channel_id
        return data

    def to_toml(
        self, path: str | os.PathLike[str] | None = None, *, inline_secrets: bool = False
    ) -> str:
        """Serialise to TOML (and write it to ``path`` if given); see :meth:`to_dict`."""
        text = _toml.dumps(self.to_dict(inline_secrets=inline_secrets))
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _refuse_inline_secrets(config: ChannelConfig) -> ChannelConfig:
    secrets = {
        "credentials.client_secret": config.credentials.client_secret,
        "credentials.tpl": config.credentials.tpl,
        "webhooks.path_token": config.webhooks.path_token,
    }
    for path, secret in secrets.items():
        if secret is not None and secret.env is None:
            variable = DEFAULT_SECRET_ENV[path.rsplit(".", 1)[1]]
            raise ConfigError(
                path,
                "is given inline; saving it needs inline_secrets=True, or give it as an"
                f' environment reference ({{ env = "{variable}" }})',
            )
    return config


def _check_remainder_numbering(policy: BackorderPolicy, references: ReferenceSettings) -> None:
    """Partial shipments send remainders as shipment 2, 3, ...: the template must number them."""
    template = references.order_template
    if "shipment_seq" in references.order.tokens:
        return
    overrides = [*policy.customer_overrides.values(), *policy.order_overrides.values()]
    if policy.allow_partial or any(o.allow_partial for o in overrides):
        raise ConfigError(
            "references.order_template",
            f"{template!r} has no {{shipment_seq}} token, but backorder.allow_partial sends"
            " remainders as further shipments that need their own reference",
        )
