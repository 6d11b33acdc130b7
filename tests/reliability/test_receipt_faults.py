"""Receipts (ASNs) through injected faults: each receiver is created exactly once."""

from __future__ import annotations

import collections
import time

import pytest

from extensiv_connector.config import ChannelConfig
from extensiv_connector.models import Receipt, ReceiptLine
from extensiv_connector.sandbox import Sandbox, WarehouseOptions
from extensiv_connector.sync import Connector, LedgerKind, MemoryStore, PushStatus

RECEIPTS = 300
MAX_RUNS = 5
READ_TIMEOUT = 2.0  # the sandbox answers in milliseconds


@pytest.mark.parametrize(
    "server_refuses_duplicates",
    [True, False],
    ids=["duplicates-refused", "duplicates-accepted"],
)
def test_faulty_receipt_sends_create_each_receiver_exactly_once(
    server_refuses_duplicates: bool,
) -> None:
    """With the server's duplicate check off, a blind re-send would create a second receiver:
    only the ledger and the lookup by reference keep it exactly once."""
    receipts = [
        Receipt(
            reference=f"ASN-{n:04d}",
            lines=[
                ReceiptLine(sku=f"SKU-{n % 20 + 1:06d}", expected_quantity=5, line_reference="1")
            ],
        )
        for n in range(RECEIPTS)
    ]
    options = WarehouseOptions(enforce_unique_references=server_refuses_duplicates)
    with Sandbox(catalog_size=20, seed=11, options=options) as sb:
        config = ChannelConfig.from_dict(
            {
                "general": {"connection_name": "receipts"},
                "credentials": sb.connection_info(),
                "client": {
                    "backoff_initial": 0.001,
                    "backoff_max": 0.005,
                    "read_timeout": READ_TIMEOUT,
                },
            }
        )
        # Mostly lost-after-commit: the case where blindly re-sending would duplicate.
        sb.faults.configure(seed=11, lost_response_rate=0.2, error_rate=0.05, reset_rate=0.05)
        statuses: list[collections.Counter[PushStatus]] = []
        with Connector(config, store=MemoryStore()) as connector:
            for _ in range(MAX_RUNS):
                result = connector.send_receipts(receipts)
                statuses.append(collections.Counter(o.status for o in result.outcomes))
                done = statuses[-1][PushStatus.SENT_FULL] + statuses[-1][PushStatus.ALREADY_PRESENT]
                if done == RECEIPTS:
                    break
                # A create a reset left unknown is looked up only a read timeout later.
                time.sleep(READ_TIMEOUT)
            injected = dict(sb.faults.injected)
            sb.faults.clear()
            ledger = {
                e.reference: e.remote_id
                for e in connector.store.ledger_list(connector.channel, LedgerKind.RECEIPT)
            }
        # The sandbox seeds its stock through receivers of its own ("SEED-..."): leave them out.
        docs = [d for d in sb.warehouse.receiver_docs() if d["referenceNum"].startswith("ASN-")]

    assert injected.get("lost", 0) >= RECEIPTS // 10, injected
    assert RECEIPTS == sum(
        statuses[-1][s] for s in (PushStatus.SENT_FULL, PushStatus.ALREADY_PRESENT)
    )
    per_reference = collections.Counter(d["referenceNum"] for d in docs)
    assert {r.reference for r in receipts} == set(per_reference)
    assert [] == [ref for ref, n in per_reference.items() if n != 1]
    assert {d["referenceNum"]: d["readOnly"]["receiverId"] for d in docs} == ledger
