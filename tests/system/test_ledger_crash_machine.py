"""The channel's promises with crashes between a push's batched claims and grouped settles
too (``ChannelStateMachine.LEDGER_CRASHES``) and processes that die with a journal run
unfinished (``DEAD_RUNS``), on the same CI budget as the base suite."""

from __future__ import annotations

from typing import ClassVar

from extensiv_connector.testing import ChannelStateMachine

from .test_channel_machine import CI


class _LedgerCrashes(ChannelStateMachine):
    LEDGER_CRASHES: ClassVar[bool] = True
    DEAD_RUNS: ClassVar[bool] = True


TestChannelPromisesWithLedgerCrashes = _LedgerCrashes.TestCase
TestChannelPromisesWithLedgerCrashes.settings = CI
