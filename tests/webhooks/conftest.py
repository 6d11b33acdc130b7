"""Fixtures for the webhook tests: an RSA signer, a fake connector with a recording store."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from ._support import CAPTURED_ORDER_EVENT, FakeConnector, Signer, make_event


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session")
def other_signer() -> Signer:
    return Signer()


@pytest.fixture
def connector() -> FakeConnector:
    return FakeConnector()


@pytest.fixture
def order_event() -> dict[str, Any]:
    return copy.deepcopy(CAPTURED_ORDER_EVENT)


@pytest.fixture
def event_factory() -> Callable[..., dict[str, Any]]:
    return make_event
