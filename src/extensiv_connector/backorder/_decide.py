"""One order against stock: the decision table, units and kits.

Reading order: ``DECISION_TABLE`` (mode x allow_partial x what stock allows -> action), then
``evaluate``, which for each order in turn takes each line from stock, says what stock allowed
(``stock_situation``), looks the outcome up in the table and builds the ``Decision``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import attrs

from ..errors import UnitConversionError, ValidationError, Violation
from ..models import SalesOrder
from ._policy import (
    BackorderMode,
    BackorderPolicy,
    EffectiveRules,
    LineTables,
    PolicyOverride,
    apply_override,
)

__all__ = [
    "DECISION_TABLE",
    "Action",
    "Decision",
    "Row",
    "Stock",
    "decide",
    "evaluate",
    "stock_situation",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_LISTED = 5
_NO_FACTORS: Mapping[str, Decimal] = {}
#: Whole, positive quantities as lines and stock usually are: one set lookup (the hash is
#: cached in the Decimal) instead of a comparison with 0 and the ``% 1`` or ``// 1`` that prove
#: a quantity whole in general. Zero is not in it: a zero line (e.g. the sent part of a
#: re-evaluated order) takes the other path, where it needs nothing and is never short.
_SMALL_WHOLE = frozenset(Decimal(n) for n in range(1, 1025))
_SHARED_ZEROS = 64
_ZERO_TUPLES = tuple((_ZERO,) * n for n in range(_SHARED_ZEROS))


def _zeros(n: int) -> tuple[Decimal, ...]:
    """``(Decimal(0),) * n``, shared for common sizes (tuples are immutable)."""
    return _ZERO_TUPLES[n] if n < _SHARED_ZEROS else (_ZERO,) * n


class Action(enum.Enum):
    """What to do with an order now."""

    SEND_FULL = "send_full"
    """Send every line in full."""
    SEND_PARTIAL = "send_partial"
    """Send ``line_quantities``; the rest stays backordered."""
    HOLD = "hold"
    """Send nothing; the order stays backordered."""


class Stock(str, enum.Enum):
    """What stock allows for one order: the third column of ``DECISION_TABLE``.

    (A ``str`` enum so the table lookup hashes in C.)
    """

    COVERED = "covered"
    """Every line can go in full. Channel mode never checks stock, so its orders are here."""
    SHORT = "short"
    """A line is short; partial shipments are off, so how much could go is not asked."""
    NOTHING = "nothing"
    """A line is short and nothing at all can go now."""
    TOO_FEW_UNITS = "too_few_units"
    """A line is short and what can go is fewer units than ``minimum_partial_quantity``."""
    TOO_SMALL_FRACTION = "too_small_fraction"
    """A line is short and what can go is less than ``minimum_partial_fraction`` of the order."""
    ENOUGH_FOR_PARTIAL = "enough_for_partial"
    """A line is short and what can go meets both partial minimums."""


class Row(NamedTuple):
    """One row of ``DECISION_TABLE``; ``None`` in a condition column matches any value."""

    mode: BackorderMode | None
    allow_partial: bool | None
    stock: Stock | None
    action: Action
    basis: str


_OMS = BackorderMode.MANAGE_IN_OMS
_CHANNEL = BackorderMode.MANAGE_IN_CHANNEL
_ANY = None

#: mode x allow_partial x what stock allows -> action and basis (``Decision.basis``). Exactly
#: one row matches every case ``evaluate`` meets; docs/backorders.md shows the same table.
# fmt: off
DECISION_TABLE: tuple[Row, ...] = (
    #   mode      partial  stock                     action               basis
    Row(_CHANNEL, _ANY,    _ANY,                     Action.SEND_FULL,    "channel"),
    Row(_OMS,     _ANY,    Stock.COVERED,            Action.SEND_FULL,    "covered"),
    Row(_OMS,     False,   Stock.SHORT,              Action.HOLD,         "no_partial"),
    Row(_OMS,     True,    Stock.NOTHING,            Action.HOLD,         "nothing_available"),
    Row(_OMS,     True,    Stock.TOO_FEW_UNITS,      Action.HOLD,         "below_minimum_quantity"),
    Row(_OMS,     True,    Stock.TOO_SMALL_FRACTION, Action.HOLD,         "below_minimum_fraction"),
    Row(_OMS,     True,    Stock.ENOUGH_FOR_PARTIAL, Action.SEND_PARTIAL, "partial"),
)
# fmt: on


def _matches(row: Row, mode: BackorderMode, allow_partial: bool, stock: Stock) -> bool:
    return (
        row.mode in (_ANY, mode)
        and row.allow_partial in (_ANY, allow_partial)
        and row.stock in (_ANY, stock)
    )


def _expand(table: tuple[Row, ...]) -> dict[tuple[bool, bool, Stock], tuple[Action, str]]:
    """The table as a dict keyed by (``EffectiveRules.oms``, ``allow_partial``, stock): one
    lookup per order. Refuses a table where two rows match the same case."""
    outcomes: dict[tuple[bool, bool, Stock], tuple[Action, str]] = {}
    for mode in BackorderMode:
        for allow_partial in (False, True):
            for stock in Stock:
                rows = [row for row in table if _matches(row, mode, allow_partial, stock)]
                if len(rows) > 1:
                    raise AssertionError(f"decision table: {len(rows)} rows match {rows[0]}")
                if rows:
                    key = (mode is BackorderMode.MANAGE_IN_OMS, allow_partial, stock)
                    outcomes[key] = (rows[0].action, rows[0].basis)
    return outcomes


_OUTCOMES = _expand(DECISION_TABLE)
# Module globals for the hot path: looking a member up on an enum class is slow.
_HOLD = Action.HOLD
_COVERED, _SHORT, _NOTHING = Stock.COVERED, Stock.SHORT, Stock.NOTHING
_TOO_FEW_UNITS, _TOO_SMALL_FRACTION = Stock.TOO_FEW_UNITS, Stock.TOO_SMALL_FRACTION
_ENOUGH_FOR_PARTIAL = Stock.ENOUGH_FOR_PARTIAL

Outcome = tuple[Action, str]


def _by_rules(oms: bool, allow_partial: bool) -> tuple[Outcome, Outcome | None]:
    """What ``evaluate`` needs of ``_OUTCOMES`` for one set of rules: the outcome when stock
    covers the order, and when a line is short without partial shipments (``stock_situation``
    then always says ``SHORT``; ``None`` when partials are on and it must be asked)."""
    covered = _OUTCOMES[oms, allow_partial, _COVERED]
    return covered, None if allow_partial else _OUTCOMES[oms, False, _SHORT]


#: ``_by_rules(oms, allow_partial)`` as ``_BY_RULES[oms][allow_partial]``: two tuple indexes
#: per change of rules instead of hashing two keys.
_BY_RULES = tuple(
    tuple(_by_rules(oms, partial) for partial in (False, True)) for oms in (False, True)
)


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
        rules = apply_override(rules, override)
    usable: dict[str, Decimal] = {}
    kits = compiled.kits
    for line in order.lines:
        components = kits.get(line.sku)
        for sku in (line.sku,) if components is None else (c for c, _ in components):
            if sku not in usable:
                usable[sku] = compiled.usable(sku, stock)
    [decision] = evaluate((order,), (0,), rules, None, compiled.lines, usable)
    assert decision is not None  # index 0 is in the sequence
    return decision


def _reject(order: SalesOrder, index: int, message: str) -> ValidationError:
    return ValidationError(
        [Violation(f"lines[{index}].quantity", message, rule="quantity")],
        subject=f"order {order.order_number}",
    )


class _Draft(Decision):
    """A ``Decision`` being filled in: ``evaluate`` builds one per order.

    Same slots as ``Decision`` (it adds none) but plain attribute stores, so ``evaluate`` sets
    the eight fields with the interpreter's slot stores, then turns the draft into a
    ``Decision`` by assigning ``__class__`` (Python allows it between classes of one memory
    layout). That costs about a third of setting a frozen instance's slots through their
    descriptors, and less than half of ``Decision(...)``. ``Decision`` has no converters,
    validators or post-init hook, so the result is the same object ``Decision(...)`` would
    build (a test checks it, and that it is still frozen).
    """

    __slots__ = ()
    # Both, or the slot stores go through a Python-level __setattr__/__delattr__ pair.
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__


def _factor(order: SalesOrder, index: int, sku: str, unit: str, tables: LineTables) -> Decimal:
    """Primary units per ``unit`` of ``sku``: the SKU's own factor, else the default."""
    factor = tables.factors.get(sku, _NO_FACTORS).get(unit) or tables.default_factors.get(unit)
    if factor is None:
        raise UnitConversionError(
            order.order_number, index, sku, f"no conversion factor for unit {unit!r}"
        )
    return factor


def _fraction_error(
    order: SalesOrder, index: int, sku: str, quantity: Decimal, unit: str, need: Decimal
) -> UnitConversionError:
    detail = f"{quantity} {unit} = {need}" if unit else f"{quantity}"
    return UnitConversionError(
        order.order_number, index, sku, f"{detail} is a fraction of an integral unit"
    )


def _kit_possible(
    components: tuple[tuple[str, Decimal], ...],
    need: Decimal,
    usable: Mapping[str, Decimal],
    taken: Mapping[str, Decimal],
) -> Decimal:
    """Whole kits (at most ``need``) the components' stock can still make."""
    possible = need
    for component, per_kit in components:
        have = usable.get(component, _ZERO) - taken.get(component, _ZERO)
        if have < need * per_kit:
            kits_possible = have // per_kit if have > _ZERO else _ZERO
            if kits_possible < possible:
                possible = kits_possible
    return possible


def _take_kit(
    components: tuple[tuple[str, Decimal], ...], kits: Decimal, taken: dict[str, Decimal]
) -> None:
    for component, per_kit in components:
        taken[component] = taken.get(component, _ZERO) + kits * per_kit


def _take_other_line(
    order: SalesOrder,
    index: int,
    rules: EffectiveRules,
    tables: LineTables,
    usable: Mapping[str, Decimal],
    taken: dict[str, Decimal],
) -> tuple[Decimal, Decimal, Decimal | None]:
    """``evaluate`` for a line that is not the usual one: in another unit, a kit, negative,
    fractional or large. Takes what goes from ``usable`` into ``taken`` and returns (sent in
    the ordered unit, shortage, sent in primary units or None when the line is in them)."""
    line = order.lines[index]
    sku = line.sku
    quantity = line.quantity
    usual = quantity in _SMALL_WHOLE
    if not usual and quantity < _ZERO:
        raise _reject(order, index, "must not be negative")
    unit = line.unit
    factor = _factor(order, index, sku, unit, tables) if unit else None
    need = quantity if factor is None else quantity * factor
    check_integral = tables.integral and sku not in tables.fractional
    if check_integral and not (usual and factor is None) and need % _ONE:
        raise _fraction_error(order, index, sku, quantity, unit, need)
    components = tables.kits.get(sku)
    converted = factor is not None or components is not None
    if components is None:
        have = usable.get(sku, _ZERO) - taken.get(sku, _ZERO)
        covered = have >= need or not need  # a zero line needs nothing, even from below zero
        possible = have if have > _ZERO else _ZERO
        if check_integral and possible not in _SMALL_WHOLE:
            possible = possible // _ONE
    else:
        possible = _kit_possible(components, need, usable, taken)
        covered = possible == need
    if covered or not rules.oms:
        if need:  # a zero line (e.g. the sent part of a re-evaluated order) takes none
            if components is None:
                taken[sku] = taken.get(sku, _ZERO) + need
            else:
                _take_kit(components, need, taken)
        return quantity, _ZERO, need if converted else None
    # Not covered: ``possible`` (< need) primary units could go, in whole units (kits are
    # always split in whole kits, computed exactly above); whole ordered units too.
    if factor is not None and factor != _ONE:
        possible_ordered = possible // factor
        possible = possible_ordered * factor
    else:
        possible_ordered = possible
    shortage = quantity - possible_ordered
    if not (possible_ordered > _ZERO and rules.allow_partial and not rules.by_line):
        return _ZERO, shortage, _ZERO if converted else None
    if components is None:
        taken[sku] = taken.get(sku, _ZERO) + possible
    else:
        _take_kit(components, possible, taken)
    return possible_ordered, shortage, possible if converted else None


def stock_situation(order: SalesOrder, rules: EffectiveRules, sent: list[Decimal]) -> Stock:
    """What stock allows for an order with a short line, given what ``evaluate`` could
    send (``sent``, in the ordered unit); the partial minimums are checked in this order."""
    if not rules.allow_partial:
        return _SHORT
    total = sum(sent, _ZERO)
    if total <= _ZERO:
        return _NOTHING
    if total < rules.minimum_quantity:
        return _TOO_FEW_UNITS
    if rules.minimum_fraction and total < rules.minimum_fraction * sum(
        (line.quantity for line in order.lines), _ZERO
    ):
        return _TOO_SMALL_FRACTION
    return _ENOUGH_FOR_PARTIAL


def evaluate(
    orders: Sequence[SalesOrder],
    sequence: Iterable[int],
    base: EffectiveRules,
    rules_for: Callable[[str, str], EffectiveRules] | None,
    tables: LineTables,
    usable: dict[str, Decimal],
) -> list[Decision | None]:
    """Core of ``decide``/``allocate``: decide ``orders[i]`` for each ``i`` of ``sequence`` in
    turn, each against what the ones before it left, and return the decisions in the order of
    ``orders`` (``None`` where ``sequence`` has no index).

    ``usable`` is promisable stock per SKU (buffers already taken off); each decision's
    ``consumed`` is taken from it. An order's rules are ``rules_for(order_number, customer)``,
    or ``base`` without ``rules_for``.

    Per order: take each line from ``usable`` in turn, in full when stock covers it (always in
    channel mode), else what can go when the rules split lines by unit; if a line is short, say
    what stock allows (``stock_situation``); look the action up in ``DECISION_TABLE`` (compiled
    into ``_OUTCOMES``); build the ``Decision`` (no text: the reason is worded lazily from
    ``basis``).

    The hot path of ``allocate``, so it is one loop: the usual line (a whole quantity from 1 to
    1,024 in the primary unit, not a kit) is taken inline, any other through
    ``_take_other_line``; what depends only on the rules is looked up when they change.
    """
    _factors, _default_factors, kits, whole_units, fractional = tables  # one unpack
    decisions: list[Decision | None] = [None] * len(orders)
    new = object.__new__
    rules = base
    oms = rules.oms
    allow_partial = rules.allow_partial
    split_units = allow_partial and not rules.by_line
    covered_outcome, short_outcome = _BY_RULES[oms][allow_partial]
    for index in sequence:
        order = orders[index]
        if rules_for is not None:
            order_rules = rules_for(order.order_number, order.customer)
            if order_rules is not rules:
                rules = order_rules
                oms = rules.oms
                allow_partial = rules.allow_partial
                split_units = allow_partial and not rules.by_line
                covered_outcome, short_outcome = _BY_RULES[oms][allow_partial]
        # Take the lines: per line the quantity sent (ordered unit), the shortages (None while
        # no line is short), the primary quantities (None while no line converts), and the
        # stock taken per stocked SKU.
        taken: dict[str, Decimal] = {}
        sent: list[Decimal] = []
        primary: list[Decimal] | None = None  # created at the first converted line or kit
        shortages: list[Decimal] | None = None  # created at the first short line
        for line in order.lines:
            sku = line.sku
            quantity = line.quantity
            # The usual line: a small whole quantity (one set lookup proves it whole and > 0).
            if line.unit or quantity not in _SMALL_WHOLE or (kits and sku in kits):
                send, shortage, send_primary = _take_other_line(
                    order, len(sent), rules, tables, usable, taken
                )
                if send_primary is not None and primary is None:
                    primary = list(sent)
                if shortage:
                    if shortages is None:
                        shortages = [_ZERO] * len(sent)
                    shortages.append(shortage)
                elif shortages is not None:
                    shortages.append(_ZERO)
                sent.append(send)
                if primary is not None:
                    primary.append(send if send_primary is None else send_primary)
                continue
            # Most orders touch a SKU once: skip the Decimal arithmetic with nothing taken yet.
            already = taken.get(sku)
            have = usable.get(sku, _ZERO)
            if already is not None:
                have -= already
            if have >= quantity or not oms:
                taken[sku] = quantity if already is None else already + quantity
                if shortages is not None:
                    shortages.append(_ZERO)
                sent.append(quantity)
                if primary is not None:
                    primary.append(quantity)
                continue
            possible = have if have > _ZERO else _ZERO
            if (
                whole_units
                and possible is not _ZERO
                and possible not in _SMALL_WHOLE
                and sku not in fractional
            ):
                possible = possible // _ONE
            if shortages is None:
                shortages = [_ZERO] * len(sent)
            shortages.append(quantity - possible)
            if split_units and possible > _ZERO:
                taken[sku] = possible if already is None else already + possible
            else:
                possible = _ZERO
            sent.append(possible)
            if primary is not None:
                primary.append(possible)
        # Look the outcome up and build the decision.
        if shortages is None:
            action, basis = covered_outcome
            line_quantities = tuple(sent)
            # Without units or kits the primary quantities are the line quantities themselves.
            primary_quantities = line_quantities if primary is None else tuple(primary)
            count = len(sent)
            short = _ZERO_TUPLES[count] if count < _SHARED_ZEROS else _zeros(count)
        else:
            action, basis = (
                short_outcome or _OUTCOMES[oms, allow_partial, stock_situation(order, rules, sent)]
            )
            short = tuple(shortages)
            if action is _HOLD:
                line_quantities = primary_quantities = _zeros(len(sent))
                taken = {}
            else:
                line_quantities = tuple(sent)
                primary_quantities = line_quantities if primary is None else tuple(primary)
        draft: Any = new(_Draft)  # Any: the fields are read-only to the type checker
        draft.order = order
        draft.action = action
        draft.line_quantities = line_quantities
        draft.shortages = short
        draft.primary_quantities = primary_quantities
        draft.consumed = taken
        draft.rules = rules
        draft.basis = basis
        draft.__class__ = Decision
        decisions[index] = draft
        for sku, amount in taken.items():
            usable[sku] = usable.get(sku, _ZERO) - amount
    return decisions
