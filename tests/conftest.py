"""Options shared by the whole suite (registered here so they work from the repository root)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI must be reproducible: the same examples every run (a failure there is a real regression).
# Local runs keep random exploration, which is how new counterexamples are found.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("extensiv contract tests")
    group.addoption(
        "--live-sandbox",
        action="store_true",
        default=False,
        help="run tests/contract only live against a local Sandbox (default: replay and sandbox)",
    )
    group.addoption(
        "--live-tenant",
        action="store_true",
        default=False,
        help="run tests/contract against a real tenant (EXTENSIV_* environment variables)",
    )
