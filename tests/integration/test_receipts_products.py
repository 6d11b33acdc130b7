"""send_receipts / receive_receipts and import_products / export_products against the sandbox."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from extensiv_connector.models import Product, Receipt, ReceiptLine, ReceiptStatus
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import Connector, MemoryStore, PushStatus

from .conftest import ConnectorFactory


def _asn(reference: str, **expected: int) -> Receipt:
    return Receipt(
        reference=reference,
        po_number=f"PO-{reference}",
        lines=[
            ReceiptLine(sku=sku.replace("_", "-"), expected_quantity=qty, line_reference=str(i + 1))
            for i, (sku, qty) in enumerate(expected.items())
        ],
    )


def test_receipt_is_sent_once_and_comes_back_with_the_received_variance(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    asn = _asn("ASN-1", SKU_000001=24, SKU_000002=5)

    sent = connector.send_receipts([asn])
    again = connector.send_receipts([asn])

    [outcome] = sent.outcomes
    assert PushStatus.SENT_FULL == outcome.status
    assert PushStatus.ALREADY_PRESENT == again.outcomes[0].status
    assert outcome.remote_id is not None
    assert 1 == sum(1 for d in sb.warehouse.receiver_docs() if d["referenceNum"] == "ASN-1")
    assert () == connector.receive_receipts().records  # not confirmed yet

    sb.warehouse.confirm_receiver(outcome.remote_id, received={"SKU-000001": 22, "SKU-000002": 5})
    got: list[Receipt] = []
    received = connector.receive_receipts(handler=got.append)

    assert list(received.records) == got
    [receipt] = got
    assert ("ASN-1", ReceiptStatus.RECEIVED, outcome.remote_id) == (
        receipt.reference,
        receipt.status,
        receipt.receiver_id,
    )
    assert {"SKU-000001": (Decimal(24), Decimal(22), Decimal(-2)),
            "SKU-000002": (Decimal(5), Decimal(5), Decimal(0))} == {
        line.sku: (line.expected_quantity, line.received_quantity, line.variance)
        for line in receipt.lines
    }  # fmt: skip
    assert () == connector.receive_receipts().records


def test_receipt_variance_survives_a_warehouse_that_does_not_keep_expected_qty(
    make_connector: ConnectorFactory,
) -> None:
    with Sandbox(catalog_size=2, options=WarehouseOptions(record_expected_qty=False)) as sb:
        connector = make_connector(config=sb.config, store_=MemoryStore())
        [outcome] = connector.send_receipts([_asn("ASN-1", SKU_000001=24)]).outcomes
        assert outcome.remote_id is not None
        sb.warehouse.confirm_receiver(outcome.remote_id, received={"SKU-000001": 20})

        [receipt] = connector.receive_receipts().records

    [line] = receipt.lines
    assert (Decimal(24), Decimal(20)) == (line.expected_quantity, line.received_quantity)


def test_receipt_with_an_unknown_field_value_is_rejected_not_sent(
    sb: Sandbox, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()

    result = connector.send_receipts([Receipt(reference="ASN-EMPTY", lines=[])])

    assert PushStatus.REJECTED == result.outcomes[0].status
    assert [] == [d for d in sb.warehouse.receiver_docs() if d["referenceNum"] == "ASN-EMPTY"]


@pytest.fixture
def connector(make_connector: ConnectorFactory) -> Connector:
    return make_connector()


def test_import_products_brings_the_catalog_then_only_changes(
    sb: Sandbox, connector: Connector
) -> None:
    first = connector.import_products()
    unacknowledged = connector.import_products()
    first.ack()

    assert [f"SKU-{i:06d}" for i in range(1, 7)] == sorted(p.sku for p in first.records)
    assert first.records == unacknowledged.records  # not acked yet: handed out again
    assert () == connector.import_products().records

    sb.warehouse.add_item("NEW-1", "brand new")
    assert ["NEW-1"] == [p.sku for p in connector.import_products().records]


def test_export_products_creates_updates_and_leaves_unchanged(
    sb: Sandbox, connector: Connector
) -> None:
    pulled = connector.import_products()
    pulled.ack()
    catalog = {p.sku: p for p in pulled.records}
    new = Product(sku="NEW-1", description="Widget", upc="000111222333", cost=Decimal("2.50"))
    renamed = attrs.evolve(catalog["SKU-000001"], description="Renamed by the OMS")
    same = catalog["SKU-000002"]

    result = connector.export_products([new, renamed, same])

    assert [("NEW-1", "created"), ("SKU-000001", "updated"), ("SKU-000002", "unchanged")] == [
        (o.sku, o.status) for o in result.outcomes
    ]
    assert {"created": 1, "updated": 1, "unchanged": 1, "rejected": 0} == result.counts
    assert sb.warehouse.find_item_id("NEW-1") == result.outcomes[0].item_id
    imported = {p.sku: p for p in connector.import_products().records}
    assert {"NEW-1", "SKU-000001"} == set(imported)
    assert "Renamed by the OMS" == imported["SKU-000001"].description
    assert "Widget" == imported["NEW-1"].description

    rerun = connector.export_products([new, renamed, same])
    assert ["unchanged"] * 3 == [o.status for o in rerun.outcomes]
    assert 1 == len(sb.warehouse.item_for_sku("NEW-1"))


def test_targeted_import_returns_only_the_named_skus(connector: Connector) -> None:
    result = connector.import_products(skus=["SKU-000003", "NO-SUCH-SKU"])

    assert ["SKU-000003"] == [p.sku for p in result.records]
