"""The property suite is worth having only if it fails when a promise breaks: each of the
defects 1-5 of issue 12 is put back (monkeypatched) and the derandomized CI run must fail; so
must the machine with dead processes (``DEAD_RUNS``) when their runs are never closed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from extensiv_connector import config as config_module
from extensiv_connector.backorder import BackorderPolicy
from extensiv_connector.config import ChannelConfig
from extensiv_connector.mapping import SkuMapping
from extensiv_connector.models import SalesOrder
from extensiv_connector.sync import Connector, Journal, _connector, _push_flows, _snapshot
from extensiv_connector.sync._stock import AllocationInputs
from extensiv_connector.testing import ChannelStateMachine

from .test_channel_machine import CI

# The CI budget, without shrinking: finding the failure is the point, not minimising it.
FIND = settings(CI, phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False)


def _no_unreserved(*_args: Any) -> dict[str, Decimal]:
    return {}


def _stock_by_host_sku(
    orders: Sequence[SalesOrder],
    available: Mapping[str, Decimal],
    policy: BackorderPolicy,
    skus: SkuMapping,
) -> AllocationInputs:
    """Before the fix: stock summed per canonical host SKU, lines looked up as typed."""
    stock: dict[str, Decimal] = {}
    for key, amount in available.items():
        host = skus.to_host(key)
        stock[host.sku] = stock.get(host.sku, Decimal(0)) + amount / host.pack_factor
    return AllocationInputs(stock=stock, policy=policy)


def _rename_by_name(self: Connector, new_name: str) -> ChannelConfig:
    """Before the fix: the name was the key."""
    general = attrs.evolve(self.config.general, connection_name=new_name, channel_id=new_name)
    return attrs.evolve(self.config, general=general)


def _keep_unknown(self: Any, screened: Any, *_rest: Any) -> list[SalesOrder]:
    return list(screened.candidates)


# each puts one defect back through the monkeypatch; what the lambda returns is unused
DEFECTS: dict[str, Callable[[pytest.MonkeyPatch], object]] = {
    "1 oversell with late allocation": lambda mp: (
        mp.setattr(_snapshot, "unreserved_sent", _no_unreserved),
        mp.setattr(_connector, "unreserved_sent", _no_unreserved),
    ),
    "2 aliases never ship": lambda mp: mp.setattr(
        _push_flows, "allocation_inputs", _stock_by_host_sku
    ),
    "3 rename loses the channel": lambda mp: mp.setattr(Connector, "rename", _rename_by_name),
    "4 partial without shipment_seq": lambda mp: mp.setattr(
        config_module, "_check_remainder_numbering", lambda *_a: None
    ),
    "5 unknown SKU held": lambda mp: mp.setattr(
        _push_flows.OrderPush, "_reject_unknown", _keep_unknown
    ),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_the_property_suite_fails_when_a_defect_is_put_back(
    defect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    DEFECTS[defect](monkeypatch)

    with pytest.raises(AssertionError):
        run_state_machine_as_test(ChannelStateMachine, settings=FIND)


class _WithDeadRuns(ChannelStateMachine):
    DEAD_RUNS: ClassVar[bool] = True


def test_the_machine_with_dead_runs_fails_when_their_runs_are_never_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Journal, "close_interrupted", lambda *_a, **_k: [])

    with pytest.raises(AssertionError):
        run_state_machine_as_test(_WithDeadRuns, settings=FIND)
