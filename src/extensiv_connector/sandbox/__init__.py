"""An Extensiv-compatible server for tests, demos and host integration tests.

Needs the ``sandbox`` extra (werkzeug, cryptography). See docs/sandbox.md.

    from extensiv_connector.sandbox import Sandbox

    with Sandbox(catalog_size=20) as sb:
        sb.base_url, sb.credentials, sb.config     # connect a client
        sb.warehouse.ship_order(order_id)          # act as the warehouse
        sb.faults.configure(error_rate=0.1, seed=1)
"""

from __future__ import annotations

try:
    import werkzeug  # noqa: F401 - probed here so a missing extra fails with a clear message
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ModuleNotFoundError(
        "extensiv_connector.sandbox needs the 'sandbox' extra: "
        "pip install 'extensiv-connector[sandbox]'",
        name=exc.name,
    ) from exc

from ._app import AppSettings, SandboxApp
from ._auth import AuthSettings, Credentials
from ._errors import SandboxError
from ._faults import FaultConfig, Faults
from ._server import Sandbox
from ._warehouse import Notification, Warehouse, WarehouseOptions
from ._webhooks import Delivery, WebhookSender

__all__ = [
    "AppSettings",
    "AuthSettings",
    "Credentials",
    "Delivery",
    "FaultConfig",
    "Faults",
    "Notification",
    "Sandbox",
    "SandboxApp",
    "SandboxError",
    "Warehouse",
    "WarehouseOptions",
    "WebhookSender",
]
