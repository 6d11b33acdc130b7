"""``ExtensivClient``: the one way the library talks to the Extensiv REST API."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import attrs
import requests

from .. import wire
from ..errors import ConfigError
from ._retry import RetryPolicy
from ._transport import (
    HAL_JSON,
    USER_AGENT,
    ApiResponse,
    ClientCredentials,
    Transport,
    TransportSettings,
)
from .resources import (
    Carriers,
    Customers,
    Facilities,
    Inventory,
    Items,
    Orders,
    Receivers,
    UnitOfMeasureTypes,
)
from .resources._base import ResourceContext

__all__ = ["ClientOptions", "ExtensivClient"]


@attrs.frozen(kw_only=True)
class ClientOptions:
    """Everything tunable; passed to :class:`ExtensivClient` as keyword ``**options``.

    The defaults are the ``[client]`` section's (``config.ClientSettings``; ``max_attempts`` is
    its ``max_retries + 1``), so a client built by hand behaves like one built from a config.
    """

    user_login: str | None = None  # send ``user_login`` instead of ``user_login_id``
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    pool_size: int = 16
    rate_limit: float | None = None  # requests/second, client side; None = off
    rate_burst: float | None = None
    token_margin: float = 300.0  # seconds before expiry; never more than half the lifetime
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    retry_after_cap: float = 60.0
    page_concurrency: int = 4  # > 1: fetch pages in parallel once the total is known
    page_window: int | None = None  # pages in flight/in memory; default 2 * page_concurrency
    page_sizes: Mapping[str, int] = attrs.field(factory=dict)  # per-resource, capped anyway
    user_agent: str = USER_AGENT
    verify: bool | str = True  # TLS: system CAs, a CA-bundle path, or False (tests only)
    # Injection points for tests and embedding hosts:
    session: requests.Session | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] | None = None
    wall_clock: Callable[[], datetime] | None = None

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> ClientOptions:
        known = {f.name for f in attrs.fields(cls)}
        for name in options:
            if name not in known:
                raise ConfigError(f"client.{name}", "unknown client option")
        return cls(**options)


def _plus_one(retries: Any) -> int | None:
    return retries + 1 if isinstance(retries, int) else None


def _reveal(value: Any) -> Any:
    """Accept a plain string or a ``Secret`` (anything with ``reveal()``)."""
    reveal = getattr(value, "reveal", None)
    return reveal() if callable(reveal) else value


class ExtensivClient:
    """A thread-safe client for one Extensiv credential.

    >>> with ExtensivClient(base_url="https://secure-wms.com", client_id="...",
    ...                     client_secret="...", user_login_id="1", customer_id=12) as c:
    ...     for summary in c.inventory.stock_summaries():
    ...         print(summary.item_identifier.sku, summary.available)
    """

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: Any,
        user_login_id: str | int | None = None,
        tpl: Any = None,
        customer_id: int | None = None,
        facility_id: int | None = None,
        **options: Any,
    ) -> None:
        opts = ClientOptions.from_kwargs(options)
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ConfigError("credentials.base_url", "must be an http(s) URL")
        if not client_id:
            raise ConfigError("credentials.client_id", "required")
        secret = _reveal(client_secret)
        if not secret:
            raise ConfigError("credentials.client_secret", "required")
        if user_login_id in (None, "") and not opts.user_login:
            raise ConfigError("credentials.user_login_id", "user_login_id or user_login required")
        tpl_value = _reveal(tpl)
        self.base_url = base_url.rstrip("/")
        self.customer_id = customer_id
        self.facility_id = facility_id
        self.options = opts
        credentials = ClientCredentials(
            client_id=str(client_id),
            client_secret=str(secret),
            user_login_id=None if user_login_id in (None, "") else str(user_login_id),
            user_login=opts.user_login,
            tpl=str(tpl_value) if tpl_value else None,
        )
        settings = TransportSettings(
            base_url=self.base_url,
            connect_timeout=opts.connect_timeout,
            read_timeout=opts.read_timeout,
            pool_size=max(opts.pool_size, opts.page_concurrency),
            user_agent=opts.user_agent,
            rate_limit=opts.rate_limit,
            rate_burst=opts.rate_burst,
            token_margin=opts.token_margin,
            verify=opts.verify,
            retry=RetryPolicy(
                max_attempts=opts.max_attempts,
                base_delay=opts.base_delay,
                max_delay=opts.max_delay,
                retry_after_cap=opts.retry_after_cap,
            ),
        )
        self._transport = Transport(
            settings,
            credentials,
            session=opts.session,
            clock=opts.clock,
            sleep=opts.sleep,
            rand=opts.rand,
            wall_clock=opts.wall_clock,
        )
        ctx = ResourceContext(
            transport=self._transport,
            converter=wire.make_converter(),
            customer_id=customer_id,
            facility_id=facility_id,
            page_sizes=dict(opts.page_sizes),
            page_concurrency=opts.page_concurrency,
            page_window=opts.page_window,
        )
        self.orders = Orders(ctx)
        self.inventory = Inventory(ctx)
        self.items = Items(ctx)
        self.receivers = Receivers(ctx)
        self.customers = Customers(ctx)
        self.facilities = Facilities(ctx)
        self.carriers = Carriers(ctx)
        self.uom_types = UnitOfMeasureTypes(ctx)
        self.unit_of_measure_types = self.uom_types
        self._client_id_hint = str(client_id)[:4]

    @classmethod
    def from_config(cls, config: Any, **options: Any) -> ExtensivClient:
        """Build from a ``ChannelConfig`` (its ``credentials`` and ``client`` sections); keyword
        ``options`` (any ``__init__`` argument, e.g. ``client_secret=`` or ``read_timeout=``)
        win over what the config says."""
        creds = config.credentials
        settings = getattr(config, "client", None)
        if settings is not None:
            rate = getattr(settings, "rate_limit_per_second", 0.0)
            from_settings = {
                "connect_timeout": getattr(settings, "connect_timeout", None),
                "read_timeout": getattr(settings, "read_timeout", None),
                "max_attempts": _plus_one(getattr(settings, "max_retries", None)),
                "base_delay": getattr(settings, "backoff_initial", None),
                "max_delay": getattr(settings, "backoff_max", None),
                "retry_after_cap": getattr(settings, "retry_after_cap", None),
                "rate_limit": rate or None,
                "pool_size": getattr(settings, "pool_size", None),
                "page_concurrency": getattr(settings, "page_concurrency", None),
            }
            for name, value in from_settings.items():
                if value is not None:
                    options.setdefault(name, value)
            ca_file = getattr(settings, "ca_file", "")
            options.setdefault("verify", ca_file or getattr(settings, "verify", True))
        user_login = getattr(creds, "user_login", None)
        if user_login and "user_login" not in options and not getattr(creds, "user_login_id", None):
            options["user_login"] = user_login
        connection = {
            "base_url": creds.base_url,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "user_login_id": getattr(creds, "user_login_id", None),
            "tpl": getattr(creds, "tpl", None),
            "customer_id": getattr(creds, "customer_id", None),
            "facility_id": getattr(creds, "facility_id", None),
        }
        return cls(**{**connection, **options})  # keyword options win, credentials included

    def __repr__(self) -> str:
        return (
            f"ExtensivClient(base_url={self.base_url!r}, client_id='{self._client_id_hint}…', "
            f"customer_id={self.customer_id!r}, facility_id={self.facility_id!r})"
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
        accept: str = HAL_JSON,
    ) -> ApiResponse:
        """Escape hatch for endpoints without a resource method; same auth/retry/errors.
        ``response.json()`` parses the body, ``response.etag`` is the ETag."""
        return self._transport.request(
            method, path, params=params, body=body, if_match=if_match, accept=accept
        )

    @property
    def token_requests(self) -> int:
        """How many tokens this client has requested (diagnostics)."""
        return self._transport.tokens.fetch_count

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries and token requests included (diagnostics)."""
        return self._transport.request_count

    @property
    def retry_listeners(self) -> list[Callable[[str, str, float], None]]:
        """Callables told ``(method, path, delay_seconds)`` before each retry (metrics)."""
        return self._transport.retry_listeners

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> ExtensivClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
