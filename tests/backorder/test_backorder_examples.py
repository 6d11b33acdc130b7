"""Worked examples: each row of the decision table, buffers, minimums, granularity, overrides,
units, kits, allocation order and re-evaluation."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from tests.factories import channel_config

from extensiv_connector.backorder import (
    Action,
    AllocationOrder,
    BackorderMode,
    BackorderPolicy,
    Decision,
    PartialGranularity,
    PolicyOverride,
    UnitConversionError,
    allocate,
    decide,
    reevaluate,
)
from extensiv_connector.errors import ConfigError, ValidationError
from extensiv_connector.models import Address, OrderLine, SalesOrder

D = Decimal
T0 = datetime(2025, 3, 1, 12, 0)
OMS = BackorderMode.MANAGE_IN_OMS
CHANNEL = BackorderMode.MANAGE_IN_CHANNEL


def order(number: str, *lines: tuple[str, int | str], minutes: int = 0, **kw: Any) -> SalesOrder:
    return SalesOrder(
        order_number=number,
        lines=[OrderLine(sku=sku, quantity=D(q)) for sku, q in lines],
        ordered_at=T0 + timedelta(minutes=minutes),
        **kw,
    )


def qty(*values: int | str) -> tuple[Decimal, ...]:
    return tuple(D(v) for v in values)


SHORT_ORDER = order("SO-1", ("A", 5), ("B", 2))
SHORT_STOCK = {"A": D(3), "B": D(10)}


# --- the decision table --------------------------------------------------------------------


def test_oms_without_partial_sends_full_when_every_line_is_covered() -> None:
    decision = decide(SHORT_ORDER, {"A": D(5), "B": D(2)}, BackorderPolicy(mode=OMS))
    assert (Action.SEND_FULL, qty(5, 2), qty(0, 0)) == (
        decision.action,
        decision.line_quantities,
        decision.shortages,
    )
    assert "stock covers every line" == decision.reason


def test_oms_without_partial_holds_the_whole_order_when_one_line_is_short() -> None:
    decision = decide(SHORT_ORDER, SHORT_STOCK, BackorderPolicy(mode=OMS, allow_partial=False))
    assert (Action.HOLD, qty(0, 0), qty(2, 0)) == (
        decision.action,
        decision.line_quantities,
        decision.shortages,
    )
    assert "no_partial" == decision.basis
    assert "A short 2" in decision.reason
    assert "partial shipments are not allowed" in decision.reason


def test_oms_with_partial_sends_what_is_available() -> None:
    decision = decide(SHORT_ORDER, SHORT_STOCK, BackorderPolicy(mode=OMS, allow_partial=True))
    assert (Action.SEND_PARTIAL, qty(3, 2), qty(2, 0)) == (
        decision.action,
        decision.line_quantities,
        decision.shortages,
    )
    assert qty(2, 0) == decision.backordered
    assert {"A": D(3), "B": D(2)} == decision.consumed


def test_oms_with_partial_sends_full_when_covered() -> None:
    decision = decide(SHORT_ORDER, {"A": D(9), "B": D(9)}, BackorderPolicy(allow_partial=True))
    assert Action.SEND_FULL == decision.action


def test_oms_with_partial_holds_when_nothing_at_all_is_available() -> None:
    decision = decide(SHORT_ORDER, {}, BackorderPolicy(allow_partial=True))
    assert (Action.HOLD, "nothing_available") == (decision.action, decision.basis)


def test_channel_mode_sends_full_without_looking_at_stock() -> None:
    decision = decide(SHORT_ORDER, {}, BackorderPolicy(mode=CHANNEL, allow_partial=False))
    assert (Action.SEND_FULL, qty(5, 2), qty(0, 0), CHANNEL) == (
        decision.action,
        decision.line_quantities,
        decision.shortages,
        decision.mode,
    )
    assert "without a stock check" in decision.reason


def test_default_policy_manages_in_oms_without_partial() -> None:
    assert (OMS, False) == (BackorderPolicy().mode, BackorderPolicy().allow_partial)
    assert Action.HOLD == decide(SHORT_ORDER, SHORT_STOCK).action


def test_policy_accepts_plain_dicts_for_overrides() -> None:
    policy = BackorderPolicy(customer_overrides={"VIP": {"allow_partial": True}})
    assert {"VIP": PolicyOverride(allow_partial=True)} == policy.customer_overrides


def test_policy_accepts_plain_strings_for_its_enums() -> None:
    policy = BackorderPolicy(mode="manage_in_channel", partial_granularity="line")
    assert (CHANNEL, PartialGranularity.LINE) == (policy.mode, policy.partial_granularity)


def test_decide_does_not_change_its_inputs() -> None:
    stock = dict(SHORT_STOCK)
    decide(SHORT_ORDER, stock, BackorderPolicy(allow_partial=True))
    assert SHORT_STOCK == stock


def test_lines_of_the_same_sku_share_its_stock() -> None:
    decision = decide(order("SO-2", ("A", 2), ("A", 2)), {"A": D(3)})
    assert (Action.HOLD, qty(0, 1)) == (decision.action, decision.shortages)


@pytest.mark.parametrize("zero", ["0", "0.0"])
def test_a_zero_line_is_not_short_where_channel_orders_took_its_sku_below_zero(zero: str) -> None:
    policy = BackorderPolicy(customer_overrides={"WH": PolicyOverride(mode=CHANNEL)})
    channel = order("SO-1", ("A", 5), customer="WH")
    remainder = order("SO-2", ("A", zero), ("B", 1), minutes=1)  # e.g. A already sent
    decision = allocate([channel, remainder], {"A": D(2), "B": D(5)}, policy).decisions[1]
    assert (Action.SEND_FULL, qty(0, 1), qty(0, 0)) == (
        decision.action,
        decision.line_quantities,
        decision.shortages,
    )
    assert {"B": D(1)} == decision.consumed


def test_negative_quantity_is_rejected_naming_the_line() -> None:
    with pytest.raises(ValidationError, match=r"order SO-3.*lines\[1\]\.quantity"):
        decide(order("SO-3", ("A", 1), ("B", -1)), {"A": D(5)})


# --- buffers, minimums, granularity --------------------------------------------------------


def test_safety_buffer_is_never_promised() -> None:
    policy = BackorderPolicy(safety_buffer={"A": D(2)}, default_safety_buffer=D(1))
    assert Action.HOLD == decide(order("SO-4", ("A", 4)), {"A": D(5)}, policy).action
    assert Action.SEND_FULL == decide(order("SO-4", ("A", 3)), {"A": D(5)}, policy).action
    assert Action.HOLD == decide(order("SO-5", ("B", 5)), {"B": D(5)}, policy).action
    assert Action.SEND_FULL == decide(order("SO-5", ("B", 4)), {"B": D(5)}, policy).action


def test_allocation_keeps_the_buffer_in_remaining_stock() -> None:
    policy = BackorderPolicy(safety_buffer={"A": D(2)})
    result = allocate([order("SO-6", ("A", 3))], {"A": D(5)}, policy)
    assert ({"A": D(2)}, {"A": D(3)}) == (result.remaining, result.allocated)


def test_partial_below_minimum_quantity_is_held() -> None:
    policy = BackorderPolicy(allow_partial=True, minimum_partial_quantity=D(4))
    held = decide(SHORT_ORDER, {"A": D(1), "B": D(2)}, policy)
    sent = decide(SHORT_ORDER, {"A": D(2), "B": D(2)}, policy)
    assert (Action.HOLD, "below_minimum_quantity") == (held.action, held.basis)
    assert "a partial shipment of 3 is below the minimum of 4" in held.reason
    assert (Action.SEND_PARTIAL, qty(2, 2)) == (sent.action, sent.line_quantities)


def test_partial_below_minimum_fraction_is_held() -> None:
    policy = BackorderPolicy(allow_partial=True, minimum_partial_fraction=D("0.5"))
    held = decide(order("SO-7", ("A", 10)), {"A": D(4)}, policy)
    sent = decide(order("SO-7", ("A", 10)), {"A": D(5)}, policy)
    assert (Action.HOLD, "below_minimum_fraction") == (held.action, held.basis)
    assert "4 of 10" in held.reason
    assert Action.SEND_PARTIAL == sent.action


def test_line_granularity_sends_only_complete_lines() -> None:
    policy = BackorderPolicy(allow_partial=True, partial_granularity=PartialGranularity.LINE)
    decision = decide(SHORT_ORDER, SHORT_STOCK, policy)
    assert (Action.SEND_PARTIAL, qty(0, 2), qty(2, 0)) == (
        decision.action,
        decision.line_quantities,
        decision.shortages,
    )


def test_line_granularity_holds_when_no_line_is_complete() -> None:
    policy = BackorderPolicy(allow_partial=True, partial_granularity="line")
    decision = decide(SHORT_ORDER, {"A": D(4), "B": D(1)}, policy)
    assert (Action.HOLD, "nothing_available") == (decision.action, decision.basis)


# --- overrides -----------------------------------------------------------------------------


def test_customer_override_turns_partial_on_for_that_customer_only() -> None:
    policy = BackorderPolicy(customer_overrides={"VIP": PolicyOverride(allow_partial=True)})
    vip = attrs.evolve(SHORT_ORDER, customer="VIP")
    assert Action.SEND_PARTIAL == decide(vip, SHORT_STOCK, policy).action
    assert "(override applied)" in decide(vip, SHORT_STOCK, policy).reason
    assert Action.HOLD == decide(SHORT_ORDER, SHORT_STOCK, policy).action


def test_order_override_wins_over_customer_override() -> None:
    policy = BackorderPolicy(
        customer_overrides={"VIP": PolicyOverride(allow_partial=True)},
        order_overrides={"SO-1": PolicyOverride(mode=CHANNEL)},
    )
    decision = decide(attrs.evolve(SHORT_ORDER, customer="VIP"), SHORT_STOCK, policy)
    assert (Action.SEND_FULL, CHANNEL, True) == (
        decision.action,
        decision.mode,
        decision.rules.allow_partial,
    )


def test_override_argument_wins_over_the_policy() -> None:
    override = PolicyOverride(allow_partial=True, minimum_partial_quantity=D(1))
    assert Action.SEND_PARTIAL == decide(SHORT_ORDER, SHORT_STOCK, override=override).action


def test_allocate_applies_customer_overrides_per_order() -> None:
    policy = BackorderPolicy(customer_overrides={"WHOLESALE": PolicyOverride(mode=CHANNEL)})
    orders = [attrs.evolve(SHORT_ORDER, customer="WHOLESALE"), order("SO-8", ("A", 1), minutes=5)]
    result = allocate(orders, {"A": D(3), "B": D(2)}, policy)
    assert (Action.SEND_FULL, Action.HOLD) == tuple(d.action for d in result.decisions)
    assert {"A": D(-2), "B": D(0)} == result.remaining


# --- units ---------------------------------------------------------------------------------

CASES = BackorderPolicy(allow_partial=True, unit_factors={"A": {"Case": D(12)}})


def case_order(quantity: str) -> SalesOrder:
    return SalesOrder(
        order_number="SO-9", lines=[OrderLine(sku="A", quantity=D(quantity), unit="Case")]
    )


def test_cases_convert_to_primary_units() -> None:
    decision = decide(case_order("2"), {"A": D(24)}, CASES)
    assert (Action.SEND_FULL, qty(2), qty(24), {"A": D(24)}) == (
        decision.action,
        decision.line_quantities,
        decision.primary_quantities,
        decision.consumed,
    )


def test_partial_of_a_case_line_ships_whole_cases() -> None:
    decision = decide(case_order("3"), {"A": D(30)}, CASES)
    assert (qty(2), qty(24), qty(1)) == (
        decision.line_quantities,
        decision.primary_quantities,
        decision.shortages,
    )


def test_default_unit_factors_apply_to_every_sku() -> None:
    policy = BackorderPolicy(default_unit_factors={"Pair": D(2)})
    line = OrderLine(sku="SOCK", quantity=D(3), unit="Pair")
    decision = decide(SalesOrder(order_number="SO-10", lines=[line]), {"SOCK": D(6)}, policy)
    assert qty(6) == decision.primary_quantities


def test_fraction_of_an_integral_unit_is_a_clear_error() -> None:
    policy = BackorderPolicy(unit_factors={"A": {"Half": D("0.5")}})
    line = OrderLine(sku="A", quantity=D(3), unit="Half")
    with pytest.raises(UnitConversionError) as caught:
        decide(SalesOrder(order_number="SO-11", lines=[line]), {"A": D(9)}, policy)
    assert ("SO-11", 0, "A") == (caught.value.order_number, caught.value.line_index, "A")
    assert "order SO-11" in str(caught.value)
    assert "3 Half = 1.5 is a fraction of an integral unit" in str(caught.value)


def test_fractional_quantity_in_the_primary_unit_is_an_error() -> None:
    with pytest.raises(UnitConversionError, match=r"lines\[1\]: B: 1.5 is a fraction"):
        decide(order("SO-12", ("A", 1), ("B", "1.5")), {})


def test_fractional_skus_may_ship_fractions() -> None:
    policy = BackorderPolicy(allow_partial=True, fractional_skus=("FABRIC",))
    decision = decide(order("SO-13", ("FABRIC", "2.5")), {"FABRIC": D("1.75")}, policy)
    assert (Action.SEND_PARTIAL, qty("1.75")) == (decision.action, decision.line_quantities)


def test_unknown_unit_is_an_error_naming_order_and_line() -> None:
    line = OrderLine(sku="A", quantity=D(1), unit="Pallet")
    with pytest.raises(UnitConversionError, match=r"order SO-14.*lines\[0\]: A: no conversion"):
        decide(SalesOrder(order_number="SO-14", lines=[line]), {"A": D(100)}, CASES)


# --- kits ----------------------------------------------------------------------------------

KITS = BackorderPolicy(
    allow_partial=True, kits={"GIFT": {"MUG": D(1), "TEA": D(3)}, "BIG": {"GIFT": D(2)}}
)


def test_kit_line_consumes_its_components() -> None:
    decision = decide(order("SO-15", ("GIFT", 2)), {"MUG": D(5), "TEA": D(6)}, KITS)
    assert (Action.SEND_FULL, {"MUG": D(2), "TEA": D(6)}) == (decision.action, decision.consumed)


def test_short_component_splits_a_kit_line_in_whole_kits() -> None:
    decision = decide(order("SO-16", ("GIFT", 3)), {"MUG": D(5), "TEA": D(7)}, KITS)
    assert (Action.SEND_PARTIAL, qty(2), qty(1), {"MUG": D(2), "TEA": D(6)}) == (
        decision.action,
        decision.line_quantities,
        decision.shortages,
        decision.consumed,
    )


def test_nested_kits_multiply_out() -> None:
    decision = decide(order("SO-17", ("BIG", 1)), {"MUG": D(2), "TEA": D(6)}, KITS)
    assert (Action.SEND_FULL, {"MUG": D(2), "TEA": D(6)}) == (decision.action, decision.consumed)


def test_kit_stock_of_its_own_is_ignored() -> None:
    assert Action.HOLD == decide(order("SO-18", ("GIFT", 1)), {"GIFT": D(9)}, KITS).action


# --- allocation order ----------------------------------------------------------------------


def test_oldest_order_gets_scarce_stock_first() -> None:
    newer, older = order("SO-20", ("A", 2), minutes=5), order("SO-21", ("A", 2), minutes=1)
    result = allocate([newer, older], {"A": D(3)})
    assert (Action.HOLD, Action.SEND_FULL) == tuple(d.action for d in result.decisions)
    assert (1, 0) == result.sequence
    assert {"A": D(1)} == result.remaining


def test_equal_timestamps_are_broken_by_order_number() -> None:
    result = allocate([order("SO-B", ("A", 2)), order("SO-A", ("A", 2))], {"A": D(2)})
    assert Action.SEND_FULL == result.decision_for("SO-A").action
    assert Action.HOLD == result.decision_for("SO-B").action


def test_priority_tiers_come_before_age_when_configured() -> None:
    urgent = order("SO-30", ("A", 2), minutes=9, priority=5)
    old = order("SO-31", ("A", 2), minutes=0, priority=1)
    by_priority = BackorderPolicy(allocation_order=AllocationOrder.PRIORITY_THEN_OLDEST)
    assert (
        Action.SEND_FULL
        == allocate([old, urgent], {"A": D(2)}, by_priority).decision_for("SO-30").action
    )
    assert Action.SEND_FULL == allocate([old, urgent], {"A": D(2)}).decision_for("SO-31").action


def test_a_held_order_does_not_block_smaller_later_orders() -> None:
    result = allocate([order("SO-40", ("A", 5)), order("SO-41", ("A", 2), minutes=1)], {"A": D(3)})
    assert {"send_full": 1, "send_partial": 0, "hold": 1} == result.summary()
    assert ("SO-41",) == tuple(d.order_number for d in result.sent)
    assert ("SO-40",) == tuple(d.order_number for d in result.held)


def test_decision_for_an_unknown_order_raises_key_error() -> None:
    with pytest.raises(KeyError):
        allocate([], {}).decision_for("NOPE")


def test_mixing_aware_and_naive_timestamps_is_a_validation_error() -> None:
    aware = attrs.evolve(
        order("SO-50", ("A", 1)), ordered_at=datetime.fromisoformat("2025-03-01T12:00:00+00:00")
    )
    with pytest.raises(ValidationError, match="timezone-aware and naive"):
        allocate([aware, order("SO-51", ("A", 1))], {"A": D(5)})


# --- re-evaluation -------------------------------------------------------------------------


def test_reevaluation_is_all_or_nothing_per_order() -> None:
    # TD-BO's example: A and B backordered, only A replenished -> the order stays backordered.
    backordered = order("SO-60", ("A", 2), ("B", 2))
    result = reevaluate([backordered], {"A": D(5)})
    assert Action.HOLD == result.decisions[0].action
    assert Action.SEND_FULL == reevaluate([backordered], {"A": D(5), "B": D(2)}).decisions[0].action


def test_reevaluation_serves_the_oldest_backorder_first() -> None:
    result = reevaluate(
        [order("SO-62", ("A", 2), minutes=9), order("SO-61", ("A", 2), minutes=1)], {"A": D(2)}
    )
    assert ("SO-61",) == tuple(d.order_number for d in result.sent)


def test_reevaluation_considers_only_the_remainder_of_a_partially_sent_order() -> None:
    policy = BackorderPolicy(allow_partial=True)
    result = reevaluate([SHORT_ORDER], {"A": D(2)}, policy, already_sent={"SO-1": qty(3, 2)})
    decision = result.decisions[0]
    assert (Action.SEND_FULL, qty(2, 0), {"A": D(2)}) == (
        decision.action,
        decision.line_quantities,
        decision.consumed,
    )


def test_already_sent_beyond_the_ordered_quantity_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"already_sent\[0\]"):
        reevaluate([SHORT_ORDER], {}, already_sent={"SO-1": qty(6, 0)})
    with pytest.raises(ValidationError, match="1 quantities for 2 line"):
        reevaluate([SHORT_ORDER], {}, already_sent={"SO-1": qty(1)})


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"minimum_partial_fraction": D("1.5")}, "backorder.minimum_partial_fraction"),
        ({"minimum_partial_quantity": D(-1)}, "backorder.minimum_partial_quantity"),
        ({"safety_buffer": {"A": D(-1)}}, "backorder.safety_buffer.A"),
        ({"unit_factors": {"A": {"Case": D(0)}}}, "backorder.unit_factors.A.Case"),
        ({"kits": {"K": {"K": D(1)}}}, "backorder.kits.K"),
        (
            {"customer_overrides": {"C": PolicyOverride(minimum_partial_fraction=D(2))}},
            "backorder.customer_overrides.C.minimum_partial_fraction",
        ),
    ],
)
def test_invalid_policy_is_a_config_error_naming_the_setting(
    settings: dict[str, Any], path: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        BackorderPolicy(**settings)
    assert path == caught.value.path


def test_policy_loads_from_config_data() -> None:
    data = {
        "mode": "manage_in_oms",
        "allow_partial": True,
        "partial_granularity": "line",
        "minimum_partial_fraction": "0.25",
        "safety_buffer": {"A": 2},
        "unit_factors": {"A": {"Case": 12}},
        "kits": {"GIFT": {"MUG": 1, "TEA": 3}},
        "customer_overrides": {"VIP": {"allow_partial": False}},
    }
    policy = channel_config(environ={}, backorder=data).backorder
    expected = BackorderPolicy(
        allow_partial=True,
        partial_granularity=PartialGranularity.LINE,
        minimum_partial_fraction=D("0.25"),
        safety_buffer={"A": D(2)},
        unit_factors={"A": {"Case": D(12)}},
        kits={"GIFT": {"MUG": D(1), "TEA": D(3)}},
        customer_overrides={"VIP": PolicyOverride(allow_partial=False)},
    )
    assert expected == policy


def test_config_loader_rejects_a_bad_fraction_with_its_path() -> None:
    with pytest.raises(ConfigError, match=r"backorder\.minimum_partial_fraction"):
        channel_config(environ={}, backorder={"minimum_partial_fraction": 2})


# --- explanations and plumbing -------------------------------------------------------------


def test_reason_and_repr_hold_no_personal_data() -> None:
    private = attrs.evolve(
        SHORT_ORDER,
        customer="Jane Roe",
        ship_to=Address(name="Jane Roe", address1="1 Secret Lane", email="jane@example.com"),
    )
    for policy in (BackorderPolicy(), BackorderPolicy(allow_partial=True)):
        decision = decide(private, SHORT_STOCK, policy)
        text = decision.reason + repr(decision) + repr(decision.as_dict())
        assert not any(secret in text for secret in ("Jane", "Secret Lane", "jane@"))


@pytest.mark.parametrize(
    "policy",
    [BackorderPolicy(), BackorderPolicy(allow_partial=True)],
    ids=["held", "partial"],
)
def test_decisions_built_slot_by_slot_equal_the_class_built_ones(policy: BackorderPolicy) -> None:
    decisions = [
        decide(SHORT_ORDER, SHORT_STOCK, policy),
        *allocate([SHORT_ORDER, SHORT_ORDER], SHORT_STOCK, policy).decisions,
    ]
    names = [field.name for field in attrs.fields(Decision)]
    for decision in decisions:
        values = {name: getattr(decision, name) for name in names}  # every slot is set
        rebuilt = Decision(**values)
        assert Decision is type(decision)
        assert rebuilt == decision
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            decision.basis = "changed"  # type: ignore[misc] # the point: it is read-only


def test_allocation_rows_are_plain_data() -> None:
    rows = allocate([SHORT_ORDER], SHORT_STOCK).as_rows()
    assert "hold" == rows[0]["action"]
    assert [
        {"sku": "A", "unit": "", "ordered": D(5), "send": D(0), "shortage": D(2)},
        {"sku": "B", "unit": "", "ordered": D(2), "send": D(0), "shortage": D(0)},
    ] == rows[0]["lines"]
