"""The channel's promises as a stateful property suite over Connector + sandbox (CI profile:
derandomized, a fixed budget). The ``slow`` test explores much longer, randomly:
``EXTENSIV_LONG_PROPERTIES=1 .venv/bin/python -m pytest -m slow tests/system``."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from extensiv_connector.testing import ChannelStateMachine

CI = settings(
    max_examples=40,
    stateful_step_count=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestChannelPromises = ChannelStateMachine.TestCase
TestChannelPromises.settings = CI


class _LongRun(ChannelStateMachine):
    pass


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("EXTENSIV_LONG_PROPERTIES"),
    reason="minutes of random exploration: set EXTENSIV_LONG_PROPERTIES=1 to run it",
)
def test_the_promises_hold_over_a_long_random_exploration() -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        _LongRun,
        settings=settings(
            max_examples=200,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
