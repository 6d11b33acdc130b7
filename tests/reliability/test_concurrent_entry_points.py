"""Entry points of one channel racing each other, as threads and as processes, with faults on
and a warehouse that accepts duplicate references: every held order is sent exactly once,
withdrawn by the host, or still held; nothing is lost and nothing is sent twice."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime
from pathlib import Path

import pytest

from extensiv_connector.models import OrderLine, SalesOrder
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import Connector, LeaseHeldError, LeaseLostError, SQLiteStore

from . import _race

PAIRS = list(itertools.combinations_with_replacement(_race.ENTRY_POINTS, 2))


def _balanced(books: _race.Books) -> tuple[list[str], list[str], list[str]]:
    return books.duplicated, books.lost, books.canceled_but_held


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_two_entry_points_racing_in_threads_send_every_held_order_exactly_once(
    tmp_path: Path, a: str, b: str
) -> None:
    seed = PAIRS.index((a, b))
    books = _race.scenario(
        40, a, b, "threads", tmp_path, faults=_race.FAULTS, cancel=4, seed_faults=seed
    )

    assert ([], [], []) == _balanced(books)
    assert frozenset() == books.held  # the stock covers every order that was not canceled


PROCESS_PAIRS = [
    ("push", "inventory"),
    ("push", "webhook"),
    ("inventory", "webhook"),
    ("inventory", "cancel"),
    ("webhook", "pull"),
    ("push", "push"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("a", "b"), PROCESS_PAIRS, ids=[f"{a}-{b}" for a, b in PROCESS_PAIRS])
def test_two_entry_points_racing_in_processes_send_every_held_order_exactly_once(
    tmp_path: Path, a: str, b: str
) -> None:
    books = _race.scenario(
        120, a, b, "processes", tmp_path, faults=_race.FAULTS, cancel=6, seed_faults=len(a)
    )

    assert ([], [], []) == _balanced(books)
    assert frozenset() == books.held


@pytest.mark.slow
def test_push_and_inventory_release_in_two_processes_create_one_order_per_reference(
    tmp_path: Path,
) -> None:
    """The issue's reproducer (2,000 held orders there: 3,645 warehouse orders), scaled down."""
    books = _race.scenario(500, "push", "inventory", "processes", tmp_path)

    assert (500, 500, []) == (sum(books.references.values()), len(books.references), books.lost)


@pytest.mark.slow
def test_a_push_outliving_a_short_lease_is_never_run_twice(tmp_path: Path) -> None:
    """A push that runs many lease lifetimes (1 s) while another worker keeps trying: the
    lease renews in the background, so the other worker is refused; should a renewal ever
    come too late, the first push stops (LeaseLostError) and the new holder resolves its
    claims by lookup. Either way each reference reaches the warehouse once."""
    options = WarehouseOptions(enforce_unique_references=False)
    state = tmp_path / "state.sqlite3"
    orders = [
        SalesOrder(
            order_number=f"L-{i:04d}",
            lines=[OrderLine(sku=_race.SKUS[i % 5], quantity=1, line_reference="1")],
            ship_to=_race._SHIP_TO,
            ordered_at=datetime(2026, 1, 1),
        )
        for i in range(120)
    ]
    with Sandbox(catalog_size=5, initial_stock=1000, options=options) as sb:
        sb.faults.configure(latency_ms=60)  # 120 orders, 4 in flight: about 2 s of pushing
        info = sb.connection_info()
        done = threading.Event()
        outcomes: dict[str, int] = {"refused": 0, "lost": 0, "ran": 0}

        def push_long() -> None:
            with Connector(_race.config(info, lease_seconds=1), store=SQLiteStore(state)) as c:
                try:
                    c.push_orders(orders)
                except LeaseLostError:
                    outcomes["lost"] += 1
                c.store.close()
            done.set()

        long = threading.Thread(target=push_long)
        long.start()
        with Connector(_race.config(info, lease_seconds=1), store=SQLiteStore(state)) as other:
            while not done.wait(0.1):
                try:
                    other.push_orders(orders)
                    outcomes["ran"] += 1
                except LeaseHeldError:
                    outcomes["refused"] += 1
                except LeaseLostError:
                    outcomes["lost"] += 1
            long.join()
            sb.faults.clear()
            final = other.push_orders(orders)
            other.store.close()
        references = _race.references(sb)

    assert outcomes["refused"] + outcomes["ran"] > 0, outcomes  # the other worker did try
    assert {"already_present"} == {o.status.value for o in final.outcomes}
    assert (len(orders), {1}) == (len(references), set(references.values()))
