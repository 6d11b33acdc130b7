"""The Journal facade: runs, statuses, logs, queries, summaries and CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import NotFoundError
from extensiv_connector.sync import (
    EntryKind,
    Journal,
    LeaseLostError,
    LogLevel,
    MemoryStore,
    RunStatus,
    SQLiteStore,
    StateStore,
)
from extensiv_connector.sync._journal import (
    MAX_ERROR_LENGTH,
    MAX_ERRORS,
    MAX_REFERENCE_LENGTH,
    MAX_REFERENCES,
)
from extensiv_connector.testing.store_contract import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[StateStore]:
    made: StateStore = (
        MemoryStore(clock=clock)
        if request.param == "memory"
        else SQLiteStore(tmp_path / "state.db", clock=clock)
    )
    yield made
    made.close()


@pytest.fixture
def journal(store: StateStore, clock: FakeClock) -> Journal:
    return Journal(store, "main", clock=clock)


def test_a_clean_run_is_a_success_with_counts_duration_and_references(
    journal: Journal, clock: FakeClock
) -> None:
    with journal.run("push_orders") as run:
        run.count("sent", 2)
        run.count("held")
        run.touch("SO-1", "SO-2")
        run.touch("SO-1")
        clock.advance(1.5)

    (entry,) = journal.last()
    assert (RunStatus.SUCCESS, {"sent": 2, "held": 1}, ("SO-1", "SO-2")) == (
        entry.status,
        entry.counts,
        entry.references,
    )
    assert timedelta(seconds=1.5) == entry.duration


def test_a_long_run_lists_the_first_references_and_counts_the_rest(journal: Journal) -> None:
    with journal.run("import_products") as run:
        for n in range(MAX_REFERENCES + 25):
            run.touch(f"item:{n}")
        run.touch("item:0")  # already listed: neither listed again nor counted

    (entry,) = journal.last()
    assert (MAX_REFERENCES, "item:0", f"item:{MAX_REFERENCES - 1}") == (
        len(entry.references),
        entry.references[0],
        entry.references[-1],
    )
    assert {"references_not_listed": 25} == dict(entry.counts)


def test_a_run_is_visible_as_running_while_it_runs(journal: Journal) -> None:
    with journal.run("receive_shipments"):
        (entry,) = journal.last()
        assert (RunStatus.RUNNING, None) == (entry.status, entry.finished_at)


def test_recorded_errors_make_a_partial_run(journal: Journal) -> None:
    with journal.run("push_orders") as run:
        run.count("sent")
        run.error("SO-2: SKU  not\nmapped")

    (entry,) = journal.last()
    assert (RunStatus.PARTIAL, ("SO-2: SKU not mapped",)) == (entry.status, entry.errors)


def test_an_explicit_status_wins(journal: Journal) -> None:
    with journal.run("check_connection") as run:
        run.error("slow answer")
        run.status = RunStatus.SUCCESS

    assert RunStatus.SUCCESS == journal.last()[0].status


def test_a_library_error_fails_the_run_and_is_described(journal: Journal) -> None:
    with pytest.raises(NotFoundError), journal.run("receive_receipts"):
        raise NotFoundError(404, "receiver 12 not found", method="GET", path="/inventory/receivers")

    (entry,) = journal.last()
    assert RunStatus.FAILED == entry.status
    assert entry.errors[0].startswith("NotFoundError: ")
    assert "receiver 12 not found" in entry.errors[0]


def test_a_foreign_exception_keeps_only_its_type_so_no_personal_data_leaks(
    journal: Journal,
) -> None:
    with pytest.raises(ValueError, match="Jane"), journal.run("push_orders"):
        raise ValueError("bad address for Jane Doe, 1 Main St")

    assert ("unexpected error: ValueError",) == journal.last()[0].errors


def test_errors_are_shortened_and_capped(journal: Journal) -> None:
    with journal.run("push_orders") as run:
        for n in range(MAX_ERRORS + 5):
            run.error(f"{n}:" + "x" * (MAX_ERROR_LENGTH * 2))

    errors = journal.last()[0].errors
    assert MAX_ERRORS + 1 == len(errors)
    assert MAX_ERROR_LENGTH == max(len(e) for e in errors)
    assert "... and 5 more errors" == errors[-1]


def test_manual_log_entries_are_found_by_reference_with_runs(journal: Journal) -> None:
    with journal.run("push_orders") as run:
        run.touch("SO-1")
    journal.log("called the customer", level=LogLevel.WARNING, reference="SO-1")
    journal.log("unrelated note")

    found = journal.by_reference("SO-1")

    assert [EntryKind.LOG, EntryKind.RUN] == [e.kind for e in found]
    assert (LogLevel.WARNING, "called the customer") == (found[0].level, found[0].message)


def test_last_and_by_action_are_newest_first_and_limited(journal: Journal) -> None:
    for action in ("a", "b", "a", "c"):
        journal.record_run(action, status=RunStatus.SUCCESS)

    assert ["c", "a"] == [e.action for e in journal.last(2)]
    assert 2 == len(journal.by_action("a"))
    assert 1 == len(journal.by_action("a", limit=1))


def test_summary_shows_last_run_and_last_success(journal: Journal, clock: FakeClock) -> None:
    with journal.run("push_orders") as run:
        run.count("sent", 3)
        clock.advance(2)
    with pytest.raises(NotFoundError), journal.run("push_orders"):
        raise NotFoundError(404, "gone")

    summary = journal.summary("push_orders")

    assert summary.last_run is not None
    assert summary.last_success is not None
    assert (RunStatus.FAILED, timedelta(0), {}) == (
        summary.last_status,
        summary.last_duration,
        summary.last_counts,
    )
    assert ({"sent": 3}, timedelta(seconds=2)) == (
        summary.last_success.counts,
        summary.last_success.duration,
    )
    assert 1 == len(summary.last_errors)


def test_summary_of_an_action_that_never_ran_is_empty(journal: Journal) -> None:
    summary = journal.summary("import_products")

    assert (None, None, None, {}, ()) == (
        summary.last_run,
        summary.last_success,
        summary.last_status,
        summary.last_counts,
        summary.last_errors,
    )


def test_journals_of_two_channels_are_separate(store: StateStore, clock: FakeClock) -> None:
    Journal(store, "a", clock=clock).record_run("x", status=RunStatus.SUCCESS)

    assert [] == Journal(store, "b", clock=clock).last()


def test_rows_export_as_csv_in_the_documented_column_order(journal: Journal) -> None:
    journal.record_run(
        "push_orders",
        status=RunStatus.PARTIAL,
        counts={"sent": 1, "rejected": 1},
        errors=["SO-2: rejected"],
        references=["SO-1", "SO-2"],
    )
    journal.log("note", reference="SO-1")
    stream = io.StringIO()

    written = journal.write_csv(stream)
    parsed = list(csv.DictReader(io.StringIO(stream.getvalue())))

    assert 2 == written == len(parsed)
    assert list(Journal.ROW_FIELDS) == list(parsed[0])
    assert ("log", "note", "SO-1") == (
        parsed[0]["kind"],
        parsed[0]["message"],
        parsed[0]["references"],
    )
    assert ("partial", "rejected=1;sent=1", "SO-1;SO-2", "2") == (
        parsed[1]["status"],
        parsed[1]["counts"],
        parsed[1]["references"],
        parsed[1]["reference_count"],
    )


_STATUSES = [RunStatus.SUCCESS, RunStatus.PARTIAL, RunStatus.FAILED]


@settings(max_examples=40, deadline=None)
@given(runs=st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(_STATUSES)), max_size=15))
def test_summaries_report_the_latest_run_and_success_per_action(
    runs: list[tuple[str, RunStatus]],
) -> None:
    journal = Journal(MemoryStore(clock=FakeClock()), "main", clock=FakeClock())
    written = [journal.record_run(action, status=status) for action, status in runs]

    summaries = journal.summaries()

    assert sorted({a for a, _ in runs}) == list(summaries)
    for action, summary in summaries.items():
        mine = [e for e in written if e.action == action]
        successes = [e for e in mine if e.status is RunStatus.SUCCESS]
        assert mine[-1] == summary.last_run
        assert (successes[-1] if successes else None) == summary.last_success


def test_long_references_are_stored_cut_and_still_found_by_the_full_reference(
    journal: Journal,
) -> None:
    huge = "Q" * 100_000
    with journal.run("push_orders") as run:
        run.touch(huge, "SO-1")
    journal.record_run("pull_shipments", status=RunStatus.SUCCESS, references=[huge])
    journal.log("note", reference=huge)

    stored = [e.references for e in journal.last()]
    cut = "Q" * (MAX_REFERENCE_LENGTH - 1) + "…"
    assert [(cut,), (cut,), (cut, "SO-1")] == stored
    assert 3 == len(journal.by_reference(huge))


def test_control_characters_are_escaped_in_journal_errors_and_references(
    journal: Journal,
) -> None:
    with journal.run("push_orders") as run:
        run.touch("Q\u0000R", "Q\ud800R")
        run.error("Q\u0000R: rejected")

    entry = journal.last()[0]
    assert ("Q\\u0000R", "Q\\ud800R") == entry.references
    assert ("Q\\u0000R: rejected",) == entry.errors
    assert [entry] == journal.by_reference("Q\ud800R")


def test_a_run_failing_after_its_entry_was_deleted_raises_its_own_error(
    journal: Journal, store: StateStore
) -> None:
    """A push stalled past its lease while the channel was deleted: it must say that it lost
    its lease, not that its (deleted) journal entry could not be updated."""

    def stalled_push() -> None:
        with journal.run("push_orders"):
            store.delete_channel("main")
            raise LeaseLostError("main", "push_orders")

    with pytest.raises(LeaseLostError):
        stalled_push()
