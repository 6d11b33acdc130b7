"""The receiver's de-duplication and ordering on the library's own state stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from extensiv_connector.sync.store import MemoryStore, SQLiteStore, StateStore
from extensiv_connector.webhooks import EventOutcome, WebhookReceiver, parse_event

from ._support import FakeConnector, Signer, make_event


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        sqlite = SQLiteStore(tmp_path / "state.db")
        yield sqlite
        sqlite.close()


def test_duplicates_and_late_events_are_skipped_with_a_real_store(
    store: StateStore, signer: Signer
) -> None:
    connector = FakeConnector()
    # a real store in the fake connector on purpose (the fake declares its own FakeStore)
    connector.store = store  # type: ignore[assignment]
    receiver = WebhookReceiver(connector, fetch_key=lambda url: signer.key_document())
    documents = [
        make_event("OrderConfirm", 10, when="2026-02-11T16:42:19.0630000", data={"OrderId": 1}),
        make_event("OrderConfirm", 10, when="2026-02-11T16:42:19.0630000", data={"OrderId": 1}),
        make_event("OrderUpdate", 9, when="2026-02-11T16:40:00.0000000", data={"OrderId": 1}),
        make_event("OrderUpdate", 11, when="2026-02-11T16:42:19.0630000", data={"OrderId": 1}),
        make_event("OrderUpdate", 12, when="2026-02-11T16:50:00.0000000", data={"OrderId": 1}),
    ]
    outcomes = [receiver.process(parse_event(document)) for document in documents]
    assert [
        EventOutcome.PROCESSED,
        EventOutcome.DUPLICATE,
        EventOutcome.STALE,
        EventOutcome.PROCESSED,
        EventOutcome.PROCESSED,
    ] == outcomes
    assert [("receive_shipments", (1,))] * 3 == connector.calls
