from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import fresh_schema


@pytest.fixture
def pg() -> Iterator[tuple[str, str]]:
    """``(url, schema)``: the test server and a schema of this test's own."""
    with fresh_schema() as found:
        yield found
