"""``Sandbox``: the in-memory warehouse served over HTTP on loopback."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from ._app import AppSettings, SandboxApp
from ._auth import AuthSettings, SandboxCredentials, TokenStore
from ._faults import FaultConfig, Faults
from ._http import MAX_CONNECTIONS, SandboxServer, ServerSettings, close_connections
from ._tls import TlsMaterial
from ._warehouse import Warehouse, WarehouseOptions
from ._webhooks import WebhookSender

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from ..config import ChannelConfig

__all__ = ["Sandbox"]


class Sandbox:
    """An Extensiv-compatible server for tests, demos and host integration tests.

    ``with Sandbox(catalog_size=50) as sb:`` starts werkzeug's threaded server on a free port of
    127.0.0.1 (another interface only when ``host=`` is given explicitly) and stops it on exit.
    Use :attr:`base_url`, :attr:`credentials` and :attr:`config` to connect a client,
    :attr:`warehouse` to act as the warehouse, :attr:`faults` to inject failures, and
    :attr:`webhooks` (or ``webhook_url=``) to receive signed event notifications.

    Connections are kept alive (HTTP/1.1), as a real tenant does; ``keep_alive=False`` makes
    every response close its connection. Each request must arrive whole (from when the server
    starts waiting for its request line, between kept-alive requests included, to the end of
    its body) within ``idle_timeout_s`` seconds, and a TLS handshake finish within as long,
    or the connection is closed. At most ``max_connections`` connections are served at once (each
    has a thread); one more is closed as soon as it is accepted, unanswered, and counted in
    :attr:`refused_connections`.
    """

    def __init__(
        self,
        *,
        catalog_size: int = 50,
        initial_stock: int = 100,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime_s: float = 3600.0,
        faults: FaultConfig | None = None,
        options: WarehouseOptions | None = None,
        allocation: str | None = None,
        auth: AuthSettings | None = None,
        settings: AppSettings | None = None,
        webhook_url: str | None = None,
        webhook_include_resource: bool = True,
        webhook_key: rsa.RSAPrivateKey | None = None,
        customer_id: int = 12,
        facility_id: int = 3,
        tpl_id: int = 9104,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Any = None,
        tls: bool = False,
        keep_alive: bool = True,
        idle_timeout_s: float = 15.0,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if not 0 <= catalog_size <= 100_000:
            raise ValueError("catalog_size must be between 0 and 100000")
        if not 0 <= port <= 65535:  # the socket layer would wrap 99999 to 34463
            raise ValueError(f"port must be between 0 and 65535, got {port}")
        if not 0 < idle_timeout_s < float("inf"):
            raise ValueError(f"idle_timeout_s must be a positive number, got {idle_timeout_s}")
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise ValueError(f"max_connections must be a whole number, got {max_connections!r}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        if allocation is not None:  # shorthand for options=WarehouseOptions(allocation=...)
            options = attrs.evolve(options or WarehouseOptions(), allocation=allocation)
        self._host = host
        self._port = port
        self._server_settings = ServerSettings(
            keep_alive=keep_alive,
            idle_timeout_s=float(idle_timeout_s),
            max_connections=max_connections,
        )
        self.tls = tls  # HTTPS with a fresh self-signed CA (``ca_file``), made on start
        self._tls: TlsMaterial | None = None
        self.credentials = SandboxCredentials(
            client_id=client_id or f"sandbox-{uuid.UUID(int=seed + 1).hex[-8:]}",
            client_secret=client_secret or secrets.token_urlsafe(24),
            tpl="{" + str(uuid.UUID(int=(seed * 7919 + 0xE55A580D) % (1 << 128))) + "}",
            user_login_id="4242",
            customer_id=customer_id,
            facility_id=facility_id,
        )
        self.faults = Faults(faults if faults is not None else FaultConfig(seed=seed))
        self.auth_settings = auth or AuthSettings(token_lifetime_s=token_lifetime_s)
        self.tokens = TokenStore(time.monotonic, self.auth_settings.token_lifetime_s)
        self._app: SandboxApp | None = None
        self.webhooks = WebhookSender(
            tpl_id=tpl_id,
            customer_id=customer_id,
            facility_id=facility_id,
            render=self._render_note,
            key=webhook_key,
            destination=webhook_url,
            include_resource=webhook_include_resource,
        )
        self.warehouse = Warehouse(
            customer_id=customer_id,
            facility_id=facility_id,
            options=options,
            clock=clock if callable(clock) else None,
            emit=self.webhooks.emit,
            listening=self._webhooks_listening,
        )
        self.warehouse.seed_reference_data()
        self.warehouse.seed_catalog(catalog_size, initial_stock)
        self.app = SandboxApp(
            warehouse=self.warehouse,
            credentials=self.credentials,
            auth=self.auth_settings,
            tokens=self.tokens,
            faults=self.faults,
            webhooks=self.webhooks,
            settings=settings,
        )
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    def _webhooks_listening(self) -> bool:
        return self.webhooks.destination is not None

    def _render_note(self, note: Any) -> dict[str, Any]:
        return self.app.render_notification(note)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        if self.tls and self._tls is None:
            self._tls = TlsMaterial(self._host)
        try:
            server = SandboxServer(
                self._host,
                self._port,
                self.app,
                settings=self._server_settings,
                tls=self._tls.server_context() if self._tls else None,
            )
        except SystemExit:  # werkzeug prints why it cannot bind, then exits: raise instead
            if self._tls is not None:
                self._tls.remove()
                self._tls = None
            raise OSError(f"cannot listen on {self._host}:{self._port}") from None
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            close_connections(server)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.webhooks.close()
        if self._tls is not None:
            self._tls.remove()
            self._tls = None

    def serve_forever(self) -> None:
        """Block until :meth:`stop` is called from another thread (or the process ends)."""
        self.start()
        assert self._thread is not None
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.2)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ connection facts
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; use `with Sandbox() as sb:`")
        return int(self._server.server_port)

    @property
    def refused_connections(self) -> int:
        """Connections closed unserved since :meth:`start` because ``max_connections`` were
        already open (0 while stopped)."""
        server = self._server
        return server.refused_connections if server is not None else 0

    @property
    def base_url(self) -> str:
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.base_url + "/AuthServer/api/Token"

    def connection_info(self) -> dict[str, Any]:
        """What the CLI prints: base URL and credentials (the secret included — test data)."""
        c = self.credentials
        return {
            "base_url": self.base_url,
            "client_id": c.client_id,
            "client_secret": c.client_secret,
            "tpl": c.tpl,
            "user_login_id": c.user_login_id,
            "customer_id": c.customer_id,
            "facility_id": c.facility_id,
            **({"ca_file": self.ca_file} if self.tls else {}),
        }

    @property
    def ca_file(self) -> str | None:
        """With ``tls=True``, the PEM file of this run's CA (trust it to talk HTTPS)."""
        return self._tls.ca_file if self._tls is not None else None

    @property
    def config(self) -> ChannelConfig:
        """A ready :class:`~extensiv_connector.config.ChannelConfig` pointing at this sandbox."""
        from ..config import ChannelConfig

        info = self.connection_info()
        ca_file = info.pop("ca_file", None)
        data: dict[str, Any] = {"general": {"connection_name": "sandbox"}, "credentials": info}
        if ca_file:
            data["client"] = {"ca_file": ca_file}
        return ChannelConfig.from_dict(data)

    def expire_tokens(self) -> None:
        """Every issued token stops working now (early expiry)."""
        self.tokens.expire_all()
