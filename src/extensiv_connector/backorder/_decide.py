"""One order against stock: the decision table, units and kits."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from decimal import Decimal

import attrs

from ..errors import UnitConversionError, ValidationError, Violation
from ..models import SalesOrder
from ._policy import (
    BackorderMode,
    BackorderPolicy,
    EffectiveRules,
    PolicyOverride,
    _apply,
    _Compiled,
)

__all__ = ["Action", "Decision", "decide"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_LISTED = 5
_NO_FACTORS: Mapping[str, Decimal] = {}
#: Whole, non-negative quantities as lines and stock usually are: one set lookup (the hash is
#: cached in the Decimal) instead of a comparison with 0 and the ``% 1`` or ``// 1`` that prove
#: a quantity whole in general.
_SMALL_WHOLE = frozenset(Decimal(n) for n in range(1025))
_ZERO_TUPLES = tuple((_ZERO,) * n for n in range(64))


def _zeros(n: int) -> tuple[Decimal, ...]:
    """``(Decimal(0),) * n``, shared for common sizes (tuples are immutable)."""
    return _ZERO_TUPLES[n] if n < 64 else (_ZERO,) * n


class Action(enum.Enum):
    """What to do with an order now."""

    SEND_FULL = "send_full"
    """Send every line in full."""
    SEND_PARTIAL = "send_partial"
    """Send ``line_quantities``; the rest stays backordered."""
    HOLD = "hold"
    """Send nothing; the order stays backordered."""


@attrs.frozen(kw_only=True, repr=False)
class Decision:
    """What happens to one order, and why.

    ``line_quantities``, ``shortages`` and ``primary_quantities`` are aligned with
    ``order.lines``. ``line_quantities`` is what goes to the warehouse now, in the unit each line
    was ordered in (cases stay cases); ``primary_quantities`` is the same in the warehouse's
    primary unit (for a kit line: kits). ``shortages`` is how much of each line stock could not
    cover, in the ordered unit (always zero in channel mode, which does not look at stock).
    ``consumed`` is the stock taken per stocked SKU (kit lines count against their
    components); it is empty for a held order. ``rules`` are the settings that applied after
    overrides; ``basis`` is a stable code for the reason (``covered``, ``channel``,
    ``no_partial``, ``nothing_available``, ``below_minimum_quantity``,
    ``below_minimum_fraction``, ``partial``) and ``reason`` says it in plain words, with no
    personal data.
    """

    order: SalesOrder
    action: Action
    line_quantities: tuple[Decimal, ...]
    shortages: tuple[Decimal, ...]
    primary_quantities: tuple[Decimal, ...]
    consumed: dict[str, Decimal]
    rules: EffectiveRules
    basis: str

    def __repr__(self) -> str:
        return (
            f"Decision(order_number={self.order.order_number!r}, action={self.action.name}, "
            f"line_quantities={_plain(self.line_quantities)}, "
            f"shortages={_plain(self.shortages)}, reason={self.reason!r})"
        )

    @property
    def order_number(self) -> str:
        return self.order.order_number

    @property
    def mode(self) -> BackorderMode:
        """The backorder mode that applied (after overrides)."""
        return self.rules.mode

    @property
    def sent(self) -> bool:
        """Whether anything goes to the warehouse (full or partial)."""
        return self.action is not Action.HOLD

    @property
    def held(self) -> bool:
        return self.action is Action.HOLD

    @property
    def backordered(self) -> tuple[Decimal, ...]:
        """Per line, what stays behind: ordered minus sent, in the ordered unit."""
        return tuple(
            line.quantity - sent
            for line, sent in zip(self.order.lines, self.line_quantities, strict=True)
        )

    @property
    def total_quantity(self) -> Decimal:
        """Sum of ``line_quantities`` (0 for a held order)."""
        return sum(self.line_quantities, _ZERO)

    @property
    def reason(self) -> str:
        """Why, in plain words: SKUs and quantities only, never names or addresses."""
        return _explain(self)

    def as_dict(self) -> dict[str, object]:
        """Plain data for logs, data frames and JSON (SKUs and quantities, no addresses)."""
        return {
            "order_number": self.order_number,
            "action": self.action.value,
            "mode": self.mode.value,
            "basis": self.basis,
            "reason": self.reason,
            "lines": [
                {
                    "sku": line.sku,
                    "unit": line.unit,
                    "ordered": line.quantity,
                    "send": sent,
                    "shortage": short,
                }
                for line, sent, short in zip(
                    self.order.lines, self.line_quantities, self.shortages, strict=True
                )
            ],
        }


def _plain(quantities: tuple[Decimal, ...]) -> str:
    return "(" + ", ".join(str(q) for q in quantities) + ("," if len(quantities) == 1 else "") + ")"


def _short_list(order: SalesOrder, shortages: tuple[Decimal, ...]) -> str:
    short = [
        f"{line.sku} short {amount}"
        for line, amount in zip(order.lines, shortages, strict=True)
        if amount > 0
    ]
    listed = ", ".join(short[:_LISTED])
    more = f", +{len(short) - _LISTED} more" if len(short) > _LISTED else ""
    return f"short on {len(short)} of {len(order.lines)} line(s): {listed}{more}"


def _explain(decision: Decision) -> str:
    rules = decision.rules
    basis = decision.basis
    suffix = " (override applied)" if rules.overridden else ""
    if basis == "covered":
        return "stock covers every line" + suffix
    if basis == "channel":
        return "backorders are managed by the warehouse: sent in full without a stock check" + (
            suffix
        )
    short = _short_list(decision.order, decision.shortages)
    if basis == "partial":
        return f"partial shipment, the rest stays backordered: {short}{suffix}"
    if basis == "no_partial":
        return f"held as backordered: {short}; partial shipments are not allowed{suffix}"
    if basis == "nothing_available":
        return f"held as backordered: nothing can be sent yet; {short}{suffix}"
    would = _partial_total(decision)
    if basis == "below_minimum_quantity":
        return (
            f"held as backordered: a partial shipment of {would} is below the minimum of "
            f"{rules.minimum_quantity}; {short}{suffix}"
        )
    ordered = sum((line.quantity for line in decision.order.lines), _ZERO)
    return (
        f"held as backordered: a partial shipment of {would} of {ordered} is below the "
        f"minimum fraction {rules.minimum_fraction}; {short}{suffix}"
    )


def _partial_total(decision: Decision) -> Decimal:
    """What a partial shipment would have carried (ordered minus shortages, per line; with
    line granularity only the complete lines)."""
    total = _ZERO
    for line, short in zip(decision.order.lines, decision.shortages, strict=True):
        if not (decision.rules.by_line and short):
            total += line.quantity - short
    return total


def decide(
    order: SalesOrder,
    stock: Mapping[str, Decimal],
    policy: BackorderPolicy | None = None,
    *,
    override: PolicyOverride | None = None,
) -> Decision:
    """Decide what to send for ``order`` given ``stock`` (SKU -> available, primary units).

    SKUs missing from ``stock`` have none. The policy's safety buffers are kept back; customer
    and order overrides apply, and ``override`` (if given) wins over both. Pure: neither
    argument is changed.

    Raises ``UnitConversionError`` when a line's unit cannot be converted or converts to a
    fraction of an integral unit, ``ValidationError`` for a negative quantity.
    """
    compiled = (policy or BackorderPolicy())._compiled
    rules = compiled.rules_for(order.order_number, order.customer)
    if override is not None:
        rules = _apply(rules, override)
    usable: dict[str, Decimal] = {}
    kits = compiled.kits
    for line in order.lines:
        components = kits.get(line.sku)
        for sku in (line.sku,) if components is None else (c for c, _ in components):
            if sku not in usable:
                usable[sku] = compiled.usable(sku, stock)
    return evaluate(order, rules, compiled, usable)


def _reject(order: SalesOrder, index: int, message: str) -> ValidationError:
    return ValidationError(
        [Violation(f"lines[{index}].quantity", message, rule="quantity")],
        subject=f"order {order.order_number}",
    )


def _fast_constructor() -> Callable[
    [
        SalesOrder,
        Action,
        tuple[Decimal, ...],
        tuple[Decimal, ...],
        tuple[Decimal, ...],
        dict[str, Decimal],
        EffectiveRules,
        str,
    ],
    Decision,
]:
    """A positional constructor for ``Decision`` that sets its slots directly.

    ``allocate`` builds one ``Decision`` per order; the generated keyword-only ``__init__`` of a
    frozen class costs about twice as much. ``Decision`` has no converters, validators or
    post-init hook, so the result is identical (a test checks it against ``Decision(...)``).
    """
    names = [field.name for field in attrs.fields(Decision)]
    setters = [Decision.__dict__[name].__set__ for name in names]
    assert len(setters) == 8
    s0, s1, s2, s3, s4, s5, s6, s7 = setters
    new = object.__new__

    def make(
        order: SalesOrder,
        action: Action,
        line_quantities: tuple[Decimal, ...],
        shortages: tuple[Decimal, ...],
        primary_quantities: tuple[Decimal, ...],
        consumed: dict[str, Decimal],
        rules: EffectiveRules,
        basis: str,
    ) -> Decision:
        decision: Decision = new(Decision)
        s0(decision, order)
        s1(decision, action)
        s2(decision, line_quantities)
        s3(decision, shortages)
        s4(decision, primary_quantities)
        s5(decision, consumed)
        s6(decision, rules)
        s7(decision, basis)
        return decision

    return make


_make_decision = _fast_constructor()


def evaluate(
    order: SalesOrder,
    rules: EffectiveRules,
    c: _Compiled,
    usable: Mapping[str, Decimal],
) -> Decision:
    """Core of ``decide``/``allocate``: ``usable`` is promisable stock per SKU (buffers already
    taken off); it is only read. The result's ``consumed`` says what to take from it.

    This is the hot path of ``allocate``: one frame, no per-line helper calls, no text (the
    reason is worded lazily from ``basis``)."""
    factors, default_factors, kits, check_integral, fractional = c.hot
    oms = rules.oms
    taken: dict[str, Decimal] = {}
    sent: list[Decimal] = []
    primary: list[Decimal] | None = None  # created at the first converted line
    shortages: list[Decimal] | None = None  # created at the first short line
    for line in order.lines:
        sku = line.sku
        quantity = line.quantity
        # A small whole quantity (the usual line) is proven non-negative and whole in one look.
        usual = quantity in _SMALL_WHOLE
        if not usual and quantity < _ZERO:
            raise _reject(order, len(sent), "must not be negative")
        unit = line.unit
        if unit:
            factor = factors.get(sku, _NO_FACTORS).get(unit) or default_factors.get(unit)
            if factor is None:
                raise UnitConversionError(
                    order.order_number, len(sent), sku, f"no conversion factor for unit {unit!r}"
                )
            need = quantity * factor
            if primary is None:
                primary = list(sent)
        else:
            factor = None
            need = quantity
        whole = usual and factor is None
        if check_integral and not whole and need % _ONE and sku not in fractional:
            detail = f"{quantity} {unit} = {need}" if unit else f"{quantity}"
            raise UnitConversionError(
                order.order_number, len(sent), sku, f"{detail} is a fraction of an integral unit"
            )
        components = kits.get(sku) if kits else None
        if components is None:
            # Most orders touch a SKU once: skip the Decimal arithmetic with nothing taken yet.
            already = taken.get(sku)
            have = usable.get(sku, _ZERO)
            if already is not None:
                have -= already
            if have >= need or not oms:
                if need:  # a zero line (e.g. the sent part of a re-evaluated order) takes none
                    taken[sku] = need if already is None else already + need
                if shortages is not None:
                    shortages.append(_ZERO)
                sent.append(quantity)
                if primary is not None:
                    primary.append(need)
                continue
            possible = have if have > _ZERO else _ZERO
            if check_integral and possible not in _SMALL_WHOLE and sku not in fractional:
                possible = possible // _ONE
        else:
            if primary is None:
                primary = list(sent)
            possible = need
            for component, per_kit in components:
                have = usable.get(component, _ZERO) - taken.get(component, _ZERO)
                if have < need * per_kit:
                    kits_possible = have // per_kit if have > _ZERO else _ZERO
                    if kits_possible < possible:
                        possible = kits_possible
            if possible == need or not oms:
                if need:
                    for component, per_kit in components:
                        taken[component] = taken.get(component, _ZERO) + need * per_kit
                if shortages is not None:
                    shortages.append(_ZERO)
                sent.append(quantity)
                if primary is not None:
                    primary.append(need)
                continue
        # Not covered: ``possible`` (< need) primary units could go, in whole units (kits are
        # always split in whole kits, computed exactly above); whole ordered units too.
        if factor is not None and factor != _ONE:
            possible_ordered = possible // factor
            possible = possible_ordered * factor
        else:
            possible_ordered = possible
        if shortages is None:
            shortages = [_ZERO] * len(sent)
        shortages.append(quantity - possible_ordered)
        if possible_ordered > _ZERO and rules.allow_partial and not rules.by_line:
            if components is None:
                taken[sku] = taken.get(sku, _ZERO) + possible
            else:
                for component, per_kit in components:
                    taken[component] = taken.get(component, _ZERO) + possible * per_kit
            sent.append(possible_ordered)
            if primary is not None:
                primary.append(possible)
        else:
            sent.append(_ZERO)
            if primary is not None:
                primary.append(_ZERO)
    line_quantities = tuple(sent)
    # Without units or kits the primary quantities are the line quantities themselves.
    primary_quantities = line_quantities if primary is None else tuple(primary)
    if shortages is None:
        return _make_decision(
            order,
            Action.SEND_FULL,
            line_quantities,
            _zeros(len(sent)),
            primary_quantities,
            taken,
            rules,
            "covered" if oms else "channel",
        )
    if not rules.allow_partial:
        basis = "no_partial"
    else:
        total = sum(sent, _ZERO)
        if total <= _ZERO:
            basis = "nothing_available"
        elif total < rules.minimum_quantity:
            basis = "below_minimum_quantity"
        elif rules.minimum_fraction and total < rules.minimum_fraction * sum(
            (line.quantity for line in order.lines), _ZERO
        ):
            basis = "below_minimum_fraction"
        else:
            return _make_decision(
                order,
                Action.SEND_PARTIAL,
                line_quantities,
                tuple(shortages),
                primary_quantities,
                taken,
                rules,
                "partial",
            )
    zeros = _zeros(len(sent))
    return _make_decision(
        order,
        Action.HOLD,
        zeros,
        tuple(shortages),
        zeros,
        {},
        rules,
        basis,
    )
