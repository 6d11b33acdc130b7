"""Through ``Connector`` against the sandbox: explicit acknowledgement of un-handled pulls,
what a failing handler keeps, ``on_progress`` and the ``on_event`` operator hook."""

from __future__ import annotations

import pytest

from extensiv_connector.models import Product
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import (
    Connector,
    ConnectorEvent,
    EventKind,
    LeaseHeldError,
    MemoryStore,
)

from .conftest import ConnectorFactory

SKUS = [f"SKU-{i:06d}" for i in range(1, 7)]


class HandlerFailedError(Exception):
    pass


def test_an_unacknowledged_import_is_handed_out_again_until_ack(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector()

    first = connector.import_products()
    again = connector.import_products()
    acked = (again.ack(), again.ack())
    after = connector.import_products()

    assert SKUS == sorted(p.sku for p in first.records) == sorted(p.sku for p in again.records)
    assert (6, 0) == acked  # idempotent: the second ack has nothing left to write
    assert ((), 6) == (after.records, after.skipped)
    assert 6 == first.ack()  # an older result's late ack re-writes the same keys: harmless
    assert ((), 6) == (connector.import_products().records, after.skipped)


def test_a_failing_handler_keeps_what_it_handled_and_gets_the_rest_again(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector()
    handled: list[str] = []

    def fails_on_the_fourth(product: Product) -> None:
        if len(handled) == 3:
            raise HandlerFailedError
        handled.append(product.sku)

    with pytest.raises(HandlerFailedError):
        connector.import_products(handler=fails_on_the_fourth)
    rest = connector.import_products(handler=lambda p: None)

    assert SKUS == sorted(handled + [p.sku for p in rest.records])
    assert 3 == rest.skipped


def test_on_progress_counts_every_record_examined_and_ends_at_the_total(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector()
    calls: list[tuple[int, int | None]] = []
    levels: list[tuple[int, int | None]] = []

    connector.import_products(on_progress=lambda done, total: calls.append((done, total)))
    connector.receive_inventory_levels(on_progress=lambda done, total: levels.append((done, total)))

    assert [(n, None) for n in range(1, 7)] + [(6, 6)] == calls
    assert [(n, None) for n in range(1, 7)] + [(6, 6)] == levels  # one summary per SKU


def test_on_event_reports_each_action_with_counts_and_a_refused_lease(
    sb: Sandbox, store: MemoryStore
) -> None:
    events: list[ConnectorEvent] = []
    connector = Connector(sb.config, store=store, on_event=events.append)
    other = Connector(sb.config, store=store, on_event=events.append)

    connector.import_products(handler=lambda p: None)
    with connector._run("import_products"), pytest.raises(LeaseHeldError):
        other.import_products()

    kinds = [(e.kind, e.action) for e in events]
    assert [
        (EventKind.ACTION_STARTED, "import_products"),
        (EventKind.ACTION_FINISHED, "import_products"),
        (EventKind.RECORDS_ACKNOWLEDGED, "import_products"),
        (EventKind.ACTION_STARTED, "import_products"),
        (EventKind.LEASE_HELD, "import_products"),
        (EventKind.ACTION_FINISHED, "import_products"),
    ] == kinds
    finished = events[1]
    assert ("success", {"received": 6, "skipped": 0}) == (finished.status, dict(finished.counts))
    assert finished.duration_seconds is not None
    assert 6 == events[2].value


def test_a_broken_event_hook_never_fails_the_action(sb: Sandbox, store: MemoryStore) -> None:
    def broken(event: ConnectorEvent) -> None:
        raise RuntimeError("metrics backend down")

    with Connector(sb.config, store=store, on_event=broken) as connector:
        result = connector.import_products()

    assert 6 == len(result.records)


def test_on_event_reports_a_retried_request_with_its_path(sb: Sandbox, store: MemoryStore) -> None:
    events: list[ConnectorEvent] = []
    with Connector(sb.config, store=store, on_event=events.append) as connector:
        connector.client.customers.get()  # token first, so the scripted fault hits the items
        sb.faults.enqueue(503)
        result = connector.import_products()

    retries = [e for e in events if e.kind == EventKind.RETRY]
    assert 6 == len(result.records)
    assert 1 == len(retries)
    assert retries[0].detail.startswith("GET /customers/")
    assert [] == connector.client.retry_listeners  # closing the connector unhooks it
