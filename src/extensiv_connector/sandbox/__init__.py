"""An Extensiv-compatible server for tests, demos and host integration tests.

Needs the ``sandbox`` extra (werkzeug, cryptography). See docs/sandbox.md.

    from extensiv_connector.sandbox import Sandbox

    with Sandbox(catalog_size=20) as sb:
        sb.base_url, sb.credentials, sb.config     # connect a client
        sb.warehouse.ship_order(order_id)          # act as the warehouse
        sb.faults.configure(error_rate=0.1, seed=1)
"""

from __future__ import annotations

import warnings
from typing import Any

try:
    import werkzeug  # noqa: F401 - probed here so a missing extra fails with a clear message
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ModuleNotFoundError(
        "extensiv_connector.sandbox needs the 'sandbox' extra: "
        "pip install 'extensiv-connector[sandbox]'",
        name=exc.name,
    ) from exc

from ._app import AppSettings, SandboxApp
from ._auth import AuthSettings, SandboxCredentials
from ._errors import SandboxError
from ._faults import FaultConfig, Faults
from ._server import Sandbox
from ._warehouse import Notification, Warehouse, WarehouseOptions
from ._webhooks import Delivery, WebhookSender

__all__ = [
    "AppSettings",
    "AuthSettings",
    "Delivery",
    "FaultConfig",
    "Faults",
    "Notification",
    "Sandbox",
    "SandboxApp",
    "SandboxCredentials",
    "SandboxError",
    "Warehouse",
    "WarehouseOptions",
    "WebhookSender",
]


def __getattr__(name: str) -> Any:
    # ``Credentials`` was renamed (config and the client have their own); kept one release.
    if name == "Credentials":
        warnings.warn(
            "extensiv_connector.sandbox.Credentials is deprecated; use SandboxCredentials",
            DeprecationWarning,
            stacklevel=2,
        )
        return SandboxCredentials
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
