"""pytest plugin (entry point ``pytest11: extensiv_connector``): sandbox fixtures.

- ``extensiv_sandbox``: a fresh, running :class:`~extensiv_connector.sandbox.Sandbox` per test.
  Options through a marker: ``@pytest.mark.extensiv_sandbox(catalog_size=500, seed=3)``
  (any ``Sandbox`` keyword argument).
- ``extensiv_sandbox_factory``: call it with ``Sandbox`` keyword arguments to start more
  sandboxes; all are stopped at the end of the test.

Importing this module is cheap: werkzeug and cryptography (the ``sandbox`` extra) are imported
only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from extensiv_connector.sandbox import Sandbox

__all__ = ["extensiv_sandbox", "extensiv_sandbox_factory"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "extensiv_sandbox(**kwargs): keyword arguments for the extensiv_sandbox fixture's Sandbox",
    )


def _sandbox_class() -> type[Sandbox]:
    try:
        from extensiv_connector.sandbox import Sandbox
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise pytest.UsageError(
            "the extensiv_sandbox fixture needs the sandbox extra: "
            "pip install 'extensiv-connector[sandbox]'"
        ) from exc
    return Sandbox


@pytest.fixture
def extensiv_sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """A function that starts a sandbox with the given keyword arguments; every one it started is
    stopped after the test."""
    started: list[Sandbox] = []
    cls = _sandbox_class()

    def factory(**kwargs: Any) -> Sandbox:
        sandbox = cls(**kwargs).start()
        started.append(sandbox)
        return sandbox

    try:
        yield factory
    finally:
        for sandbox in reversed(started):
            sandbox.stop()


@pytest.fixture
def extensiv_sandbox(
    request: pytest.FixtureRequest, extensiv_sandbox_factory: Callable[..., Sandbox]
) -> Sandbox:
    """A started :class:`~extensiv_connector.sandbox.Sandbox`, stopped after the test. Its keyword
    arguments come from ``@pytest.mark.extensiv_sandbox(...)``."""
    marker = request.node.get_closest_marker("extensiv_sandbox")
    kwargs = dict(marker.kwargs) if marker else {}
    return extensiv_sandbox_factory(**kwargs)
