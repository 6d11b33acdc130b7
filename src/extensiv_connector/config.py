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
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from . import _toml
from ._schedule import parse_schedule
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
from .wire import parse_timestamp

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

# Bounds of numeric settings (see _check_range): generous, but each keeps first use finite.
_MAX_SECONDS = 86_400.0  # timeouts, backoff, Retry-After cap: one day
_MAX_LEASE_SECONDS = 7 * 86_400
_MAX_OVERLAP_MINUTES = 366 * 24 * 60
_MAX_BODY_BYTES = 1 << 30
_MAX_ID = 2**63 - 1  # the API does not document the id width: 64 bits, like any loaded int
_MIN_YEAR, _MAX_YEAR = 1900, 9000

#: Environment variables a saved config refers to when a secret was given inline.
DEFAULT_SECRET_ENV = {
    "client_secret": "EXTENSIV_CLIENT_SECRET",
    "tpl": "EXTENSIV_TPL",
    "path_token": "EXTENSIV_WEBHOOK_PATH_TOKEN",
}


def _default_channel_id(general: GeneralSettings) -> str:
    # Stores written before the id existed keyed state by the connection name: same key.
    return general.connection_name


def _check_range(
    path: str, value: float, low: float, high: float, *, low_open: bool = False
) -> None:
    """``low <= value <= high`` (``low < value`` when ``low_open``), and finite.

    Upper bounds are generous but finite: past them a value overflows ``timedelta``, a socket
    timeout or a sleep at first use instead of failing here, where the path is known.
    """
    if value != value or value in (math.inf, -math.inf):
        raise ConfigError(path, "expected a finite number")
    if value < low or (low_open and value == low):
        raise ConfigError(path, f"must be {'greater than' if low_open else 'at least'} {low:g}")
    if value > high:
        raise ConfigError(path, f"must be at most {high:g}")


def _check_text(path: str, value: str, *, required: bool = False, max_length: int = 1000) -> None:
    if required and not value.strip():
        raise ConfigError(path, "must not be empty")
    if len(value) > max_length:
        raise ConfigError(path, f"longer than {max_length} characters")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ConfigError(path, "contains control characters or invalid code points")


@attrs.frozen(kw_only=True)
class GeneralSettings:
    """Config section ``[general]``. ``connection_name`` is the label users see and may edit;
    ``channel_id`` is the stable key of the channel's state, ledger and ``{channel}``
    references (defaults to the name)."""

    application: str = "Extensiv 3PL Warehouse Manager"
    connection_name: str = "extensiv"
    channel_id: str = attrs.field(default=attrs.Factory(_default_channel_id, takes_self=True))

    def __attrs_post_init__(self) -> None:
        _check_text("general.application", self.application)
        _check_text("general.connection_name", self.connection_name, required=True, max_length=200)
        _check_text("general.channel_id", self.channel_id, required=True, max_length=200)
        if self.channel_id != self.channel_id.strip():
            raise ConfigError("general.channel_id", "must not start or end with whitespace")


@attrs.frozen(kw_only=True)
class WebhookSettings:
    """Optional event notifications. ``path_token`` is a second factor in the endpoint path."""

    enabled: bool = False
    path_token: Secret | None = None
    public_key_url: str = ""  # "" = {base_url}/events/webhook/key
    max_body_bytes: int = 5_000_000

    def __attrs_post_init__(self) -> None:
        _check_range("webhooks.max_body_bytes", self.max_body_bytes, 1, _MAX_BODY_BYTES)
        if self.public_key_url:
            _check_url("webhooks.public_key_url", self.public_key_url)


def _check_url(path: str, url: str) -> None:
    _check_text(path, url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise ConfigError(path, "expected an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(path, "expected an http(s) URL")
    if parts.scheme != "https" and not _is_loopback(host):
        raise ConfigError(path, "https is required except on loopback")


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
        _check_text("credentials.client_id", self.client_id)
        for name in ("user_login_id", "user_login"):
            value = getattr(self, name)
            if value is not None:
                _check_text(f"credentials.{name}", value)
        if self.user_login_id and not (
            self.user_login_id.isascii() and self.user_login_id.isdigit()
        ):
            raise ConfigError(
                "credentials.user_login_id",
                "must be the numeric user id (use user_login for a login name)",
            )
        _check_url("credentials.base_url", self.base_url)
        if self.customer_id <= 0:
            raise ConfigError("credentials.customer_id", "must be a positive integer")
        if self.facility_id <= 0:
            raise ConfigError("credentials.facility_id", "must be a positive integer")
        for name in ("customer_id", "facility_id"):
            _check_range(f"credentials.{name}", getattr(self, name), 1, _MAX_ID)

    @property
    def login_field(self) -> str:
        """Which token-body field carries the user: ``user_login_id`` or ``user_login``."""
        return "user_login_id" if self.user_login_id else "user_login"

    @property
    def login_value(self) -> str:
        return self.user_login_id or self.user_login or ""


@attrs.frozen(kw_only=True)
class ClientSettings:
    """HTTP behaviour of the client. Retries apply only to requests safe to repeat; every
    request, a push's create included, has one budget of ``max_retries + 1`` attempts."""

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
            _check_range(f"client.{name}", getattr(self, name), 0, _MAX_SECONDS, low_open=True)
        _check_range("client.retry_after_cap", self.retry_after_cap, 0, _MAX_SECONDS)
        _check_range("client.max_retries", self.max_retries, 0, 100)
        if self.rate_limit_per_second != 0:  # 0 = off; else at least one request per 1000 s
            _check_range("client.rate_limit_per_second", self.rate_limit_per_second, 0.001, 1e6)
        _check_range("client.pool_size", self.pool_size, 1, 1000)
        _check_range("client.page_concurrency", self.page_concurrency, 1, 1000)
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise ConfigError("client.ca_file", "no such file")


@attrs.frozen(kw_only=True)
class SyncSettings:
    """How sync actions run: concurrency, polling overlap, state file, inventory mode."""

    max_in_flight: int = 8
    overlap_minutes: int = 10
    state_path: str = "extensiv-connector.sqlite3"
    # A store URL (sqlite:///…, postgresql://…, memory:) that wins over state_path when set.
    state_url: str = ""
    inventory_mode: str = "absolute"  # or "delta"
    lease_seconds: int = 600
    initial_cursor: str = "2000-01-01T00:00:00"
    # action -> "every 5m" or a 5-field cron expression, run by `extensiv-connector worker`.
    schedule: dict[str, str] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        _check_range("sync.max_in_flight", self.max_in_flight, 1, 1000)
        _check_range("sync.overlap_minutes", self.overlap_minutes, 0, _MAX_OVERLAP_MINUTES)
        _check_text("sync.state_path", self.state_path, required=True, max_length=4096)
        if self.inventory_mode not in ("absolute", "delta"):
            raise ConfigError(
                "sync.inventory_mode",
                f"expected one of absolute, delta, got {self.inventory_mode[:40]!r}",
            )
        _check_range("sync.lease_seconds", self.lease_seconds, 1, _MAX_LEASE_SECONDS)
        try:
            start = parse_timestamp(self.initial_cursor)
        except ValueError:
            raise ConfigError(
                "sync.initial_cursor",
                f"expected a timestamp like 2024-01-31T00:00:00, got {self.initial_cursor[:40]!r}",
            ) from None
        if not _MIN_YEAR <= start.year <= _MAX_YEAR:  # the overlap is subtracted from it
            raise ConfigError(
                "sync.initial_cursor", f"year must be between {_MIN_YEAR} and {_MAX_YEAR}"
            )
        _check_text("sync.state_url", self.state_url, max_length=4096)
        for action, spec in self.schedule.items():
            parse_schedule(spec, f"sync.schedule.{action}")

    @property
    def store_url(self) -> str:
        """Where the channel's state lives: ``state_url``, else the SQLite ``state_path``."""
        return self.state_url or self.state_path


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
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError("", f"cannot read config file {str(path)!r}: {exc.strerror}") from exc
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ConfigError(
                "", f"{path}: not UTF-8 text (line {line}, byte {exc.start})"
            ) from None
        try:
            data = _toml.loads(text)
        except ValueError as exc:
            raise ConfigError("", f"{path}: not valid TOML: {exc}") from exc
        except RecursionError:  # tomllib recurses into nested arrays and inline tables
            raise ConfigError("", f"{path}: not valid TOML: nested too deeply") from None
        config = cls.from_dict(data, environ=environ)
        return _state_beside(config, Path(path).resolve().parent)

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


def _state_beside(config: ChannelConfig, folder: Path) -> ChannelConfig:
    """A relative ``sync.state_path`` means "next to the config file", whatever the working
    directory (cron from ``$HOME``, ``journal`` from elsewhere) - not a fresh empty file."""
    state = config.sync.state_path
    if state == ":memory:" or Path(state).is_absolute():
        return config
    return attrs.evolve(config, sync=attrs.evolve(config.sync, state_path=str(folder / state)))


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
