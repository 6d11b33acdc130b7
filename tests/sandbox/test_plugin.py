from __future__ import annotations

import pytest

from extensiv_connector.sandbox import Sandbox


@pytest.mark.extensiv_sandbox(catalog_size=7, customer_id=77)
def test_marker_configures_the_fixture(extensiv_sandbox: Sandbox) -> None:
    assert (7, 77) == (
        len(extensiv_sandbox.warehouse.summary_order),
        extensiv_sandbox.credentials.customer_id,
    )
    assert extensiv_sandbox.base_url.startswith("http://127.0.0.1:")


def test_plugin_module_imports_without_the_sandbox() -> None:
    import importlib
    import sys

    saved = {k: v for k, v in sys.modules.items() if k.startswith("extensiv_connector.sandbox")}
    for name in saved:
        del sys.modules[name]
    try:
        plugin = importlib.reload(
            importlib.import_module("extensiv_connector.testing.pytest_plugin")
        )
        assert not any(k.startswith("extensiv_connector.sandbox") for k in sys.modules)
        assert callable(plugin.pytest_configure)
    finally:
        sys.modules.update(saved)


def test_config_points_at_the_sandbox(extensiv_sandbox: Sandbox) -> None:
    config = extensiv_sandbox.config
    assert (extensiv_sandbox.base_url, 12, 3) == (
        config.credentials.base_url,
        config.credentials.customer_id,
        config.credentials.facility_id,
    )
    assert extensiv_sandbox.credentials.client_secret == config.credentials.client_secret.reveal()
