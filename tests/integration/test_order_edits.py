"""Order edits through the client against the sandbox: concurrent editors never lose a change."""

from __future__ import annotations

import threading

import attrs
import pytest

from extensiv_connector.client import ExtensivClient
from extensiv_connector.errors import ValidationError
from extensiv_connector.models import Order
from extensiv_connector.sandbox import Sandbox
from extensiv_connector.sync import Connector, MemoryStore

from .conftest import sales_order


def test_concurrent_editors_each_keep_their_change(sb: Sandbox) -> None:
    with Connector(sb.config, store=MemoryStore()) as connector:
        [outcome] = connector.push_orders([sales_order("SO-EDIT", ("SKU-000001", 1))]).outcomes
    order_id = outcome.remote_id or 0
    clients = [ExtensivClient.from_config(sb.config) for _ in range(4)]
    start = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def editor(client: ExtensivClient, tag: str) -> None:
        def change(order: Order) -> Order:
            return attrs.evolve(order, description=f"{order.description or ''}[{tag}]")

        try:
            start.wait()
            client.orders.edit(order_id, change, attempts=20)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=editor, args=(c, f"e{i}")) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    final = clients[0].orders.get(order_id, detail="OrderItems").value
    for client in clients:
        client.close()

    assert [] == errors
    assert ["[e0]", "[e1]", "[e2]", "[e3]"] == sorted(
        f"[{part}" for part in (final.description or "").split("[") if part
    )
    assert [1] == [int(line.qty or 0) for line in final.order_items]  # lines untouched


def test_update_takes_what_get_returned_and_refuses_an_order_without_id(sb: Sandbox) -> None:
    with Connector(sb.config, store=MemoryStore()) as connector:
        [outcome] = connector.push_orders([sales_order("SO-VER", ("SKU-000002", 1))]).outcomes
    with ExtensivClient.from_config(sb.config) as client:
        got = client.orders.get(outcome.remote_id or 0, detail="OrderItems")
        updated = client.orders.update(got, got.etag)
        with pytest.raises(ValidationError, match=r"readOnly\.orderId"):
            client.orders.update(Order(reference_num="SO-VER"), got.etag)

    assert (outcome.remote_id, True) == (updated.order_id, updated.etag != got.etag)


def test_update_of_an_order_read_without_its_lines_is_refused_before_any_put(sb: Sandbox) -> None:
    with Connector(sb.config, store=MemoryStore()) as connector:
        [outcome] = connector.push_orders([sales_order("SO-NOLINES", ("SKU-000002", 1))]).outcomes
    with ExtensivClient.from_config(sb.config) as client:
        got = client.orders.get(outcome.remote_id or 0)  # default detail: no lines
        with pytest.raises(ValidationError, match=r"detail=.OrderItems"):
            client.orders.update(attrs.evolve(got.value, notes="n"), got.etag)
        after = client.orders.get(outcome.remote_id or 0, detail="OrderItems")
        assert got.etag == after.etag  # nothing was sent
        assert [1] == [int(line.qty or 0) for line in after.value.order_items]


def test_update_of_a_receiver_read_without_its_lines_is_refused_before_any_put(
    sb: Sandbox,
) -> None:
    with ExtensivClient.from_config(sb.config) as client:
        created = client.receivers.create(
            {
                "referenceNum": "R-NOLINES",
                "receiveItems": [{"itemIdentifier": {"sku": "SKU-000001"}, "qty": 2}],
            }
        )
        receiver_id = created.value.receiver_id or 0
        got = client.receivers.get(receiver_id)  # default detail: no lines
        with pytest.raises(ValidationError, match=r"detail=.ReceiveItems"):
            client.receivers.update(attrs.evolve(got.value, notes="n"), got.etag)
        assert got.etag == client.receivers.get(receiver_id).etag
