"""Order numbers, SKUs and line references with control characters or huge sizes, pushed
through the connector: refused before the warehouse sees them, and journaled at a bounded size."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import PushStatus, SQLiteStore
from extensiv_connector.sync._journal import MAX_REFERENCE_LENGTH

from ..factories import sales_order
from .conftest import ConnectorFactory, reference_counts

SKU = "SKU-000001"


@pytest.mark.parametrize("number", ["Q\u0000R", "Q\u001bR", "Q\u007fR", "Q\ud800R"])
def test_order_number_with_control_character_is_rejected_and_never_sent(
    sb: Sandbox, make_connector: ConnectorFactory, number: str
) -> None:
    connector = make_connector()

    result = connector.push_orders([sales_order(number, (SKU, 1))])

    outcome = result.outcomes[0]
    assert PushStatus.REJECTED == outcome.status
    assert {} == reference_counts(sb)
    assert "order_number" in outcome.reason
    assert number not in outcome.reason  # the raw text is not echoed into messages/logs
    assert all(number not in e for e in connector.journal.last(1)[0].errors)
    assert [f"{number[0]}\\u{ord(number[1]):04x}R: {outcome.reason}"] == list(result.errors)


def test_sku_and_line_reference_with_control_characters_are_rejected_naming_the_field(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    order = sales_order("SO-1", (SKU, 1), ("SKU-\u0000002", 1))
    order = attrs.evolve(
        order, lines=[attrs.evolve(order.lines[0], line_reference="1\n"), order.lines[1]]
    )

    result = connector.push_orders([order])

    outcome = result.outcomes[0]
    assert PushStatus.REJECTED == outcome.status
    assert {} == reference_counts(sb)
    assert "lines[0].line_reference" in outcome.reason
    assert "lines[1].sku" in outcome.reason


def test_huge_order_number_is_rejected_and_journaled_capped(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    number = "Q" * 100_000

    result = connector.push_orders([sales_order(number, (SKU, 1))])

    assert PushStatus.REJECTED == result.outcomes[0].status
    assert {} == reference_counts(sb)
    run = connector.journal.last(1)[0]
    assert [MAX_REFERENCE_LENGTH] == [len(r) for r in run.references]
    assert run.references[0].endswith("…")
    assert [run] == connector.journal.by_reference(number, limit=1)


@pytest.mark.parametrize("number", ["Q\u0000R", "Q\ud800R"])
def test_rejected_hostile_order_number_is_journaled_in_sqlite_store(
    sb: Sandbox, make_connector: ConnectorFactory, tmp_path: Path, number: str
) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    connector = make_connector(store_=store)

    result = connector.push_orders([sales_order(number, (SKU, 1))])

    assert PushStatus.REJECTED == result.outcomes[0].status
    run = connector.journal.last(1)[0]
    assert {"rejected": 1} == dict(run.counts)
    assert [] == [e for e in run.errors if number in e]
