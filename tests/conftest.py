"""Options shared by the whole suite (registered here so they work from the repository root)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI must be reproducible: the same examples every run (a failure there is a real regression).
# Local runs keep random exploration, which is how new counterexamples are found. Neither has
# Hypothesis' per-example deadline: that is a wall-clock assertion, and it failed examples on a
# loaded two-core machine that pass on a quiet one.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


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
