"""check_connection, delete_channel, leases and the journal, end to end."""

from __future__ import annotations

import attrs
import pytest

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Address, Shipment
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import LeaseHeldError, LedgerKind, PushStatus, RunStatus

from ..factories import sales_order
from .conftest import ConnectorFactory, config_with, reference_counts


def test_check_connection_passes_with_good_credentials(
    make_connector: ConnectorFactory,
) -> None:
    result = make_connector().check_connection()

    assert result.ok
    assert ["customer", "facility", "carriers", "stock"] == [name for name, _, _ in result.steps]
    assert {"passed": 4, "failed": 0} == result.counts


def test_check_connection_steps_name_their_fields_and_still_unpack(
    make_connector: ConnectorFactory,
) -> None:
    result = make_connector().check_connection()

    stock = result.steps[-1]
    name, passed, detail = stock

    assert ("stock", True, detail) == (stock.name, stock.passed, stock.detail)
    assert ("stock", True) == (name, passed)


def test_check_connection_fails_with_bad_credentials_without_leaking_them(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    info = {**sb.connection_info(), "client_secret": "wrong-secret-value"}
    connector = make_connector(
        config=ChannelConfig.from_dict({"general": {"connection_name": "bad"}, "credentials": info})
    )

    result = connector.check_connection()

    assert not result.ok
    assert [("customer", False)] == [(name, ok) for name, ok, _ in result.steps]
    assert 1 == len(result.errors)
    summary = connector.journal.summary("check_connection")
    assert RunStatus.PARTIAL == summary.last_status
    text = repr(result) + repr(summary) + repr(connector)
    assert "wrong-secret-value" not in text
    assert sb.credentials.client_secret not in text


def test_check_connection_reports_a_facility_the_login_cannot_see(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    info = {**sb.connection_info(), "facility_id": 999}
    config = ChannelConfig.from_dict({"general": {"connection_name": "x"}, "credentials": info})

    result = make_connector(config=config).check_connection()

    assert ("facility", False) == result.steps[1][:2]
    assert not result.ok


def test_delete_channel_forgets_all_state_and_the_next_push_starts_clean(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    pushed = connector.push_orders(
        [sales_order("SO-1", ("SKU-000001", 2)), sales_order("SO-2", ("SKU-000002", 50))]
    )
    assert [PushStatus.SENT_FULL, PushStatus.HELD] == [o.status for o in pushed.outcomes]
    sb.warehouse.ship_order(pushed.outcomes[0].remote_id or 0)
    assert 1 == len(connector.receive_shipments().records)
    other = make_connector(
        config=attrs.evolve(
            sb.config,
            general=attrs.evolve(sb.config.general, connection_name="other", channel_id="other"),
        )
    )
    other.push_orders([sales_order("SO-9", ("SKU-000003", 1))])

    connector.delete_channel(force=True)  # SO-2 is held: dropping it must be asked for

    store, channel = connector.store, connector.channel
    assert [] == store.ledger_list(channel)
    assert [] == store.backorder_list(channel)
    assert None is store.cursor_get(channel, "receive_shipments").watermark
    assert [] == connector.journal.last(100)
    assert 1 == len(store.ledger_list(other.channel))  # other channels keep theirs
    nothing = connector.push_orders([])
    assert () == nothing.outcomes  # SO-2 is no longer held
    again = connector.push_orders([sales_order("SO-1", ("SKU-000001", 2))])
    assert PushStatus.ALREADY_PRESENT == again.outcomes[0].status  # adopted, never duplicated
    assert 1 == reference_counts(sb)["SO-1-1"]
    assert 1 == len(connector.receive_shipments().records)  # the cursor starts over too


def test_a_second_concurrent_run_of_the_same_action_is_refused(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    first, second = make_connector(), make_connector()
    pushed = first.push_orders([sales_order("SO-1", ("SKU-000001", 1))])
    sb.warehouse.ship_order(pushed.outcomes[0].remote_id or 0)
    seen: list[str] = []

    def handler(shipment: Shipment) -> None:
        with pytest.raises(LeaseHeldError) as caught:
            second.receive_shipments()
        seen.append(caught.value.action)
        # a different action of the same channel may run meanwhile
        assert PushStatus.SENT_FULL == (
            second.push_orders([sales_order("SO-2", ("SKU-000002", 1))]).outcomes[0].status
        )

    first.receive_shipments(handler=handler)

    assert ["receive_shipments"] == seen
    assert None is first.store.lease_info(first.channel, "receive_shipments")  # released


def test_journal_records_each_action(sb: Sandbox, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    connector.check_connection()
    pushed = connector.push_orders(
        [
            sales_order("SO-1", ("SKU-000001", 2)),
            sales_order("SO-2", ("SKU-000002", 50)),
            attrs.evolve(sales_order("SO-3", ("SKU-000003", 1)), ship_to=Address()),
        ]
    )
    sb.warehouse.ship_order(pushed.outcomes[0].remote_id or 0)
    connector.receive_shipments()
    connector.receive_inventory_levels(release_backorders=False)
    connector.synchronize_inventory({})
    connector.import_products()
    connector.journal.log("operator looked at SO-2", reference="SO-2")

    summaries = connector.journal.summaries()

    assert {
        "check_connection",
        "push_orders",
        "receive_shipments",
        "receive_inventory_levels",
        "synchronize_inventory",
        "import_products",
    } == set(summaries)
    push = summaries["push_orders"]
    assert push.last_run is not None
    assert RunStatus.PARTIAL == push.last_status, push  # one order was rejected
    assert {"sent_full": 1, "held": 1, "rejected": 1} == dict(push.last_counts)
    assert push.last_success is None
    assert [e for e in push.last_errors if e.startswith("SO-3:")]
    assert push.last_duration is not None
    assert RunStatus.SUCCESS == summaries["receive_shipments"].last_status
    assert 1 == summaries["receive_shipments"].last_counts["received"]
    assert ["log", "run"] == [e.kind.value for e in connector.journal.by_reference("SO-2")]
    rows = connector.journal.rows()
    assert 7 == len(rows)
    assert tuple(connector.journal.ROW_FIELDS) == tuple(rows[0])
    assert LedgerKind.ORDER == connector.store.ledger_list(connector.channel)[0].kind


def test_a_failed_action_is_journaled_as_failed(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    fast_retries = {"backoff_initial": 0.001, "backoff_max": 0.002}
    connector = make_connector(config=config_with(sb, client=fast_retries))
    sb.faults.configure(error_rate=1.0, error_statuses=(500,))

    with pytest.raises(Exception):  # noqa: B017, PT011 - any typed client error will do
        connector.receive_inventory_levels()

    summary = connector.journal.summary("receive_inventory_levels")
    assert RunStatus.FAILED == summary.last_status
    assert summary.last_errors
    assert None is connector.store.lease_info(connector.channel, "receive_inventory_levels")


def test_prune_bounds_the_journal_and_forgets_old_delivery_marks(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    from datetime import timedelta

    connector = make_connector()
    pushed = connector.push_orders([sales_order("SO-P", ("SKU-000001", 1))])
    order_id = pushed.outcomes[0].remote_id or 0
    sb.warehouse.ship_order(order_id)
    connector.receive_shipments(order_ids=[order_id]).ack()  # a targeted pull leaves a mark
    connector.check_connection()

    kept = connector.prune(keep_runs=100, forget_after=timedelta(days=30))
    dropped = connector.prune(keep_runs=1, forget_after=timedelta(seconds=-60))

    assert {"journal": 0, "events": 0, "ledger": 0, "baselines": 0} == kept
    # push, pull, check: keep the newest; the sent order's ledger entry stays (it may be
    # pushed again), and so does its baseline
    assert {"journal": 2, "events": 1, "ledger": 0, "baselines": 0} == dropped
    assert 1 == len(connector.journal.last(10))
