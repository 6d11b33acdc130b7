"""Hypothesis strategies for backorder rules: orders, stock snapshots, policies and batches.

They are product, not scaffolding: a host property-tests its own backorder rules with them::

    from hypothesis import given
    from extensiv_connector.backorder import allocate
    from extensiv_connector.testing.strategies import allocation_batches

    @given(allocation_batches())
    def test_we_never_oversell(batch):
        orders, stock, policy = batch
        result = allocate(orders, stock, policy)
        assert all(left >= 0 for left in result.remaining.values())

Defaults draw from a small SKU pool (``DEFAULT_SKUS``) and small quantities so that orders
compete for stock and ties in time and priority happen: that is where the interesting cases
are. Every strategy takes the SKUs to use, so a host can feed its own catalogue.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs
from hypothesis import strategies as st

from ..backorder import (
    AllocationOrder,
    BackorderMode,
    BackorderPolicy,
    PartialGranularity,
    PolicyOverride,
)
from ..models import OrderLine, SalesOrder

__all__ = [
    "DEFAULT_CUSTOMERS",
    "DEFAULT_SKUS",
    "allocation_batches",
    "backorder_policies",
    "order_lines",
    "policy_overrides",
    "sales_orders",
    "stock_snapshots",
]

#: The SKU pool used when none is given: small, so orders compete for the same stock.
DEFAULT_SKUS: tuple[str, ...] = ("SKU-A", "SKU-B", "SKU-C", "SKU-D")
#: Customer codes drawn for orders (``""`` = no customer); overrides are keyed by them.
DEFAULT_CUSTOMERS: tuple[str, ...] = ("", "CUST-1", "CUST-2")

_START = datetime(2025, 1, 1, 9, 0)


def _quantities(max_quantity: int, *, allow_zero: bool = False) -> st.SearchStrategy[Decimal]:
    return st.integers(0 if allow_zero else 1, max_quantity).map(Decimal)


def order_lines(
    skus: Sequence[str] = DEFAULT_SKUS,
    *,
    max_quantity: int = 6,
    units: Mapping[str, Sequence[str]] | None = None,
) -> st.SearchStrategy[OrderLine]:
    """Order lines for one of ``skus`` with a whole quantity from 1 to ``max_quantity``.

    ``units`` maps a SKU to unit names it may be ordered in (besides the primary unit ``""``);
    give the same names to ``BackorderPolicy.unit_factors`` or decisions raise
    ``UnitConversionError``.
    """
    units = units or {}

    def line_for(sku: str) -> st.SearchStrategy[OrderLine]:
        unit_names = st.sampled_from(("", *units.get(sku, ())))
        return st.builds(
            OrderLine,
            sku=st.just(sku),
            quantity=_quantities(max_quantity),
            unit=unit_names,
        )

    return st.sampled_from(tuple(skus)).flatmap(line_for)


def sales_orders(
    skus: Sequence[str] = DEFAULT_SKUS,
    *,
    min_lines: int = 1,
    max_lines: int = 4,
    max_quantity: int = 6,
    units: Mapping[str, Sequence[str]] | None = None,
    order_numbers: st.SearchStrategy[str] | None = None,
    customers: Sequence[str] = DEFAULT_CUSTOMERS,
    max_priority: int = 2,
    start: datetime = _START,
    distinct_times: int = 6,
) -> st.SearchStrategy[SalesOrder]:
    """Sales orders over ``skus`` (the same SKU may appear on several lines).

    ``ordered_at`` is one of ``distinct_times`` minutes after ``start`` and ``priority`` is in
    ``0..max_priority`` (higher is more urgent), so ties are common. Order numbers are
    ``SO-<n>`` unless ``order_numbers`` is given; lines may use ``units`` as in
    ``order_lines``. No personal data is generated (the ship-to address stays empty).
    """
    return st.builds(
        SalesOrder,
        order_number=order_numbers or st.integers(1, 99_999).map(lambda n: f"SO-{n:05d}"),
        lines=st.lists(
            order_lines(skus, max_quantity=max_quantity, units=units),
            min_size=min_lines,
            max_size=max_lines,
        ).map(tuple),
        ordered_at=st.integers(0, max(distinct_times - 1, 0)).map(
            lambda minutes: start + timedelta(minutes=minutes)
        ),
        priority=st.integers(0, max_priority),
        customer=st.sampled_from(tuple(customers) or ("",)),
    )


def stock_snapshots(
    skus: Sequence[str] = DEFAULT_SKUS,
    *,
    max_quantity: int = 15,
    allow_missing: bool = True,
) -> st.SearchStrategy[dict[str, Decimal]]:
    """Stock snapshots (SKU -> available, primary units) for ``skus``.

    With ``allow_missing`` some SKUs are left out, which must mean "none in stock".
    """
    values = _quantities(max_quantity, allow_zero=True)
    if allow_missing:
        return st.dictionaries(st.sampled_from(tuple(skus)), values)
    return st.fixed_dictionaries(dict.fromkeys(skus, values))


def policy_overrides() -> st.SearchStrategy[PolicyOverride]:
    """Overrides that change zero or more of mode, partial, granularity and minimums."""
    return st.builds(
        PolicyOverride,
        mode=st.none() | st.sampled_from(BackorderMode),
        allow_partial=st.none() | st.booleans(),
        partial_granularity=st.none() | st.sampled_from(PartialGranularity),
        minimum_partial_quantity=st.none() | _quantities(4, allow_zero=True),
        minimum_partial_fraction=st.none()
        | st.sampled_from((Decimal(0), Decimal("0.25"), Decimal("0.5"), Decimal(1))),
    )


def backorder_policies(
    skus: Sequence[str] = DEFAULT_SKUS,
    *,
    modes: Sequence[BackorderMode] = tuple(BackorderMode),
    allow_partial: st.SearchStrategy[bool] | None = None,
    buffers: bool = True,
    minimums: bool = True,
    customer_overrides: bool = False,
    customers: Sequence[str] = DEFAULT_CUSTOMERS,
    unit_factors: Mapping[str, Mapping[str, Decimal]] | None = None,
    kits: Mapping[str, Mapping[str, Decimal]] | None = None,
) -> st.SearchStrategy[BackorderPolicy]:
    """Backorder policies: every mode in ``modes``, partial on or off, both granularities and
    allocation orders, and optionally safety buffers, partial minimums and customer overrides.

    ``unit_factors`` and ``kits`` are passed through unchanged so the policy matches the orders
    a test generates (see ``allocation_batches``).
    """
    no_minimum = st.just(Decimal(0))
    return st.builds(
        BackorderPolicy,
        mode=st.sampled_from(tuple(modes)),
        allow_partial=allow_partial if allow_partial is not None else st.booleans(),
        partial_granularity=st.sampled_from(PartialGranularity),
        minimum_partial_quantity=_quantities(4, allow_zero=True) if minimums else no_minimum,
        minimum_partial_fraction=(
            st.sampled_from((Decimal(0), Decimal("0.25"), Decimal("0.5")))
            if minimums
            else no_minimum
        ),
        safety_buffer=(
            st.dictionaries(st.sampled_from(tuple(skus)), _quantities(3, allow_zero=True))
            if buffers
            else st.just({})
        ),
        default_safety_buffer=_quantities(2, allow_zero=True) if buffers else no_minimum,
        allocation_order=st.sampled_from(AllocationOrder),
        unit_factors=st.just({k: dict(v) for k, v in (unit_factors or {}).items()}),
        kits=st.just({k: dict(v) for k, v in (kits or {}).items()}),
        customer_overrides=(
            st.dictionaries(st.sampled_from(tuple(c for c in customers if c)), policy_overrides())
            if customer_overrides and any(customers)
            else st.just({})
        ),
    )


#: Unit factors and kits used by ``allocation_batches(units=True, kits=True)``.
_CASE_FACTORS = (Decimal(2), Decimal(6), Decimal(12))


@st.composite
def allocation_batches(
    draw: st.DrawFn,
    skus: Sequence[str] = DEFAULT_SKUS,
    *,
    min_orders: int = 1,
    max_orders: int = 8,
    modes: Sequence[BackorderMode] = tuple(BackorderMode),
    units: bool = False,
    kits: bool = False,
    customer_overrides: bool = False,
    max_stock: int = 15,
) -> tuple[list[SalesOrder], dict[str, Decimal], BackorderPolicy]:
    """A consistent ``(orders, stock, policy)`` batch for ``allocate``/``reevaluate``.

    Order numbers are unique within the batch. With ``units`` some SKUs may be ordered in a
    ``"Case"`` whose factor (2, 6 or 12) is in the policy; with ``kits`` a ``"KIT-1"`` SKU made
    of two of ``skus`` may be ordered. Stock is drawn per stocked SKU (kits have none of their
    own), scaled up for SKUs sold in cases.
    """
    pool = tuple(skus)
    factors: dict[str, dict[str, Decimal]] = {}
    order_units: dict[str, tuple[str, ...]] = {}
    if units:
        for sku in draw(st.lists(st.sampled_from(pool), unique=True, max_size=len(pool))):
            factors[sku] = {"Case": draw(st.sampled_from(_CASE_FACTORS))}
            order_units[sku] = ("Case",)
    kit_table: dict[str, dict[str, Decimal]] = {}
    order_skus = pool
    if kits and len(pool) >= 2:
        parts = draw(st.lists(st.sampled_from(pool), unique=True, min_size=2, max_size=2))
        kit_table["KIT-1"] = {part: Decimal(draw(st.integers(1, 3))) for part in parts}
        order_skus = (*pool, "KIT-1")
    policy = draw(
        backorder_policies(
            pool,
            modes=modes,
            customer_overrides=customer_overrides,
            unit_factors=factors,
            kits=kit_table,
        )
    )
    drafts = draw(
        st.lists(
            sales_orders(order_skus, units=order_units, max_lines=3),
            min_size=min_orders,
            max_size=max_orders,
        )
    )
    numbers = draw(
        st.lists(st.integers(1, 99_999), min_size=len(drafts), max_size=len(drafts), unique=True)
    )
    orders = [
        attrs.evolve(draft, order_number=f"SO-{number:05d}")
        for draft, number in zip(drafts, numbers, strict=True)
    ]
    stock: dict[str, Decimal] = {}
    for sku in pool:
        if draw(st.integers(0, 3)):  # a quarter of the SKUs are missing: none in stock
            scale = max(factors.get(sku, {"": Decimal(1)}).values())
            stock[sku] = Decimal(draw(st.integers(0, max_stock))) * scale
    return orders, stock, policy
