"""An order push streams: translation and validation overlap with sending, memory stays
bounded, and an invalid order never takes stock from a valid one (as when every order was
validated before allocation)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extensiv_connector import translate as translate_module
from extensiv_connector.backorder import BackorderPolicy, allocate
from extensiv_connector.client import Versioned
from extensiv_connector.models import Address, Order, SalesOrder
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, MemoryStore, PushStatus, _push_flows
from extensiv_connector.sync._push_engine import CLAIM_WINDOW
from extensiv_connector.sync._stock import AllocationInputs
from extensiv_connector.testing.strategies import allocation_batches

from ..integration.conftest import config_with, reference_counts, sales_order

ORDERS = 300
IN_FLIGHT = 8


def test_orders_are_sent_while_later_ones_are_still_being_translated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    translate = translate_module.sales_order_to_order

    def translating(*args: Any, **kwargs: Any) -> Any:
        events.append("translate")
        return translate(*args, **kwargs)

    # _push_flows calls through the module attribute, so patching the module reaches the push.
    monkeypatch.setattr(translate_module, "sales_order_to_order", translating)
    with Sandbox(catalog_size=2, initial_stock=1000) as sb:
        config = config_with(sb, sync={"max_in_flight": IN_FLIGHT})
        with Connector(config, store=MemoryStore()) as connector:
            create = connector.client.orders.create

            def creating(order: Order | Mapping[str, Any], **hooks: Any) -> Versioned[Order]:
                events.append("create")
                return create(order, **hooks)

            # patched on this one instance on purpose: it records when the real push sends.
            connector.client.orders.create = creating  # type: ignore[method-assign]
            result = connector.push_orders(
                [sales_order(f"SO-{i}", ("SKU-000001", 1)) for i in range(ORDERS)]
            )

    ahead, most_ahead = 0, 0  # translated, not yet sent
    for event in events:
        ahead += 1 if event == "translate" else -1
        most_ahead = max(most_ahead, ahead)
    last_translation = len(events) - 1 - events[::-1].index("translate")
    assert {PushStatus.SENT_FULL} == {o.status for o in result.outcomes}
    assert (ORDERS, ORDERS) == (events.count("translate"), events.count("create"))
    assert events.index("create") < last_translation  # the first went out long before
    # one window being claimed, one queued for the workers, one job per worker
    assert most_ahead <= 2 * CLAIM_WINDOW + IN_FLIGHT + 1


def test_an_invalid_older_order_takes_no_stock_from_a_valid_newer_one() -> None:
    with Sandbox(catalog_size=1, initial_stock=1) as sb:
        older = attrs.evolve(sales_order("SO-1", ("SKU-000001", 1), hour=1), ship_to=Address())
        newer = sales_order("SO-2", ("SKU-000001", 1), hour=2)
        with Connector(config_with(sb), store=MemoryStore()) as connector:
            result = connector.push_orders([older, newer])

        statuses = [o.status for o in result.outcomes]
        assert [PushStatus.REJECTED, PushStatus.SENT_FULL] == statuses
        assert {"SO-2-1": 1} == reference_counts(sb)


def _decided(
    orders: list[SalesOrder], stock: dict[str, Decimal], policy: BackorderPolicy
) -> _push_flows._Plan:
    allocation = allocate(orders, stock, policy)
    return _push_flows._Plan(
        candidates=orders,
        inputs=AllocationInputs(stock=stock, policy=policy),
        decisions=list(allocation.decisions),
        sequence=allocation.sequence,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=allocation_batches(units=True, kits=True, customer_overrides=True, max_orders=10),
    invalid=st.sets(st.integers(0, 9)),
    trusted=st.sets(st.integers(0, 9)),
)
def test_serving_in_order_decides_as_allocating_only_the_valid_orders(
    batch: tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy],
    invalid: set[int],
    trusted: set[int],
) -> None:
    """Trusted orders (from the backorder queue) are not validated: they count as valid."""
    orders, stock, policy = batch
    refused = {i for i in invalid if i < len(orders) and i not in trusted}
    plan = _decided(orders, stock, policy)
    validated: list[int] = []

    def validate(index: int) -> str | None:
        validated.append(index)
        return None if index in refused else orders[index].order_number

    served = {
        index: plan.decisions[index]
        for index, _ in _push_flows.serve_in_order(plan, validate, lambda i: i in trusted)
    }

    valid = [i for i in range(len(orders)) if i not in refused]
    alone = allocate([orders[i] for i in valid], stock, policy)
    expected = dict(zip(valid, alone.decisions, strict=True))
    assert {i: (d.action, d.line_quantities) for i, d in expected.items()} == {
        i: (d.action, d.line_quantities) for i, d in served.items()
    }
    assert not trusted.intersection(validated)
    assert len(validated) <= 2 * len(orders)  # each at most twice (once ahead, once served)
