"""The sync-action journal of one channel: runs, manual log entries, queries, summaries, export.

``Journal`` is a thin facade over a :class:`StateStore`. A run is written when it starts (status
``running``, so a crashed run stays visible) and rewritten when it finishes::

    journal = Journal(store, "main")
    with journal.run("push_orders") as run:
        run.count("sent")
        run.touch("SO-1001")
        run.error("SO-1002: SKU not mapped")    # -> status "partial"
    journal.summary("push_orders").last_status  # RunStatus.PARTIAL
"""

from __future__ import annotations

import contextlib
import csv
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import IO

import attrs

from .._text import display_text
from ..errors import ExtensivError
from ._records import Clock, EntryKind, JournalEntry, LogLevel, RunStatus
from .store._clock import utc_now
from .store._protocol import StateStore

__all__ = [
    "INTERRUPTED_RUN",
    "MAX_ERRORS",
    "MAX_ERROR_LENGTH",
    "MAX_REFERENCES",
    "MAX_REFERENCE_LENGTH",
    "ActionSummary",
    "Journal",
    "RunRecorder",
]

#: Longest error string kept (longer ones are cut and end with "…").
MAX_ERROR_LENGTH = 300
#: Most error strings kept per run; the rest are counted in one closing line.
MAX_ERRORS = 100
#: References one run records; a pull of 100,000 records would otherwise hold (and write) every
#: dedupe key, so its memory would grow with the run. The rest are counted, not listed.
MAX_REFERENCES = 10_000
#: Longest reference kept (longer ones are cut and end with "…"): a rejected 100,000-character
#: order number would otherwise be stored in full, one ~100 KB row per run.
MAX_REFERENCE_LENGTH = 200
#: The error line of a run whose process ended before it finished (killed, crashed, lost power):
#: the next run of the same action finds it still ``running`` and closes it as failed.
INTERRUPTED_RUN = "interrupted: the process ended before the run finished"


log = logging.getLogger("extensiv_connector.sync")


def _short(message: str) -> str:
    # Control characters (e.g. from a rejected order number) are escaped: journal lines end up
    # on terminals and in CSV files.
    return display_text(" ".join(message.split()), MAX_ERROR_LENGTH)


def _reference(reference: str) -> str:
    # Escaped like error text: a lone surrogate cannot be stored by a UTF-8 database at all.
    return display_text(reference, MAX_REFERENCE_LENGTH)


def describe_exception(exc: BaseException) -> str:
    """A journal-safe line for an exception. Library errors promise no secrets or personal data
    in their message; for anything else only the type is kept (its text could hold either)."""
    if isinstance(exc, ExtensivError):
        return _short(f"{type(exc).__name__}: {exc}")
    return f"unexpected error: {type(exc).__name__}"


@attrs.define
class RunRecorder:
    """Collects what one run did; :meth:`Journal.run` finishes it for you.

    Status at finish, unless set explicitly: ``failed`` if the block raised, ``partial`` if
    errors were recorded, else ``success``.
    """

    _journal: Journal = attrs.field(repr=False)
    entry: JournalEntry
    counts: dict[str, int] = attrs.field(factory=dict)
    errors: list[str] = attrs.field(factory=list)
    references: dict[str, None] = attrs.field(factory=dict, repr=False)  # ordered set
    status: RunStatus | None = None
    _dropped_errors: int = 0

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name`` (e.g. ``sent``, ``held``, ``rejected``)."""
        self.counts[name] = self.counts.get(name, 0) + n

    def error(self, message: str) -> None:
        """Record a short error line (no secrets, no personal data)."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(_short(message))
        else:
            self._dropped_errors += 1

    def touch(self, *references: str) -> None:
        """Record references of records this run handled (order numbers, receipt references)."""
        for reference in map(_reference, references):
            if len(self.references) < MAX_REFERENCES or reference in self.references:
                self.references[reference] = None
            else:
                self.count("references_not_listed")

    def finish(self, status: RunStatus | None = None) -> JournalEntry:
        """Write the finished run and return it (called by :meth:`Journal.run`)."""
        errors = list(self.errors)
        if self._dropped_errors:
            errors.append(f"... and {self._dropped_errors} more errors")
        final = status or self.status or (RunStatus.PARTIAL if errors else RunStatus.SUCCESS)
        self.entry = self._journal.store.journal_update(
            attrs.evolve(
                self.entry,
                finished_at=self._journal.clock(),
                status=final,
                counts=dict(self.counts),
                errors=tuple(errors),
                references=tuple(self.references),
            )
        )
        return self.entry


@attrs.frozen(kw_only=True)
class ActionSummary:
    """What the channel screen shows for one sync action."""

    action: str
    last_run: JournalEntry | None
    last_success: JournalEntry | None

    @property
    def last_status(self) -> RunStatus | None:
        return self.last_run.status if self.last_run else None

    @property
    def last_duration(self) -> timedelta | None:
        return self.last_run.duration if self.last_run else None

    @property
    def last_counts(self) -> Mapping[str, int]:
        return self.last_run.counts if self.last_run else {}

    @property
    def last_errors(self) -> tuple[str, ...]:
        return self.last_run.errors if self.last_run else ()


class Journal:
    """The journal of ``channel`` in ``store``. ``clock`` stamps start and finish times."""

    #: Column order of :meth:`rows` and :meth:`write_csv`.
    ROW_FIELDS: tuple[str, ...] = (
        "entry_id",
        "channel",
        "kind",
        "action",
        "started_at",
        "finished_at",
        "duration_seconds",
        "status",
        "level",
        "message",
        "counts",
        "errors",
        "reference_count",
        "references",
    )

    def __init__(self, store: StateStore, channel: str, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.channel = channel
        self.clock = clock

    def __repr__(self) -> str:
        return f"Journal(channel={self.channel!r})"

    # ------------------------------------------------------------------ writing

    def start(self, action: str) -> RunRecorder:
        """Write a ``running`` entry for ``action`` and return its recorder (call ``finish``)."""
        entry = self.store.journal_add(
            JournalEntry(
                channel=self.channel,
                kind=EntryKind.RUN,
                action=action,
                started_at=self.clock(),
                status=RunStatus.RUNNING,
            )
        )
        return RunRecorder(self, entry)

    def unfinished(self, action: str, *, before: int) -> list[JournalEntry]:
        """Runs of ``action`` older than entry ``before`` that are still ``running``."""
        return [
            entry
            for entry in self.store.journal_query(
                self.channel, action=action, kind=EntryKind.RUN, status=RunStatus.RUNNING
            )
            if entry.entry_id is not None and entry.entry_id < before
        ]

    def close_interrupted(self, action: str, *, before: int) -> list[JournalEntry]:
        """Mark every ``running`` entry of ``action`` older than entry ``before`` as failed
        with :data:`INTERRUPTED_RUN`, and return them as rewritten.

        Only for a caller that holds every lease a run of ``action`` can hold (so none of those
        runs is alive): ``action_scope`` does this when a run starts. The entry's
        ``finished_at`` is when the interruption was found, not when the process died."""
        now = self.clock()
        return [
            self.store.journal_update(
                attrs.evolve(
                    entry,
                    finished_at=max(now, entry.started_at),
                    status=RunStatus.FAILED,
                    errors=(*entry.errors, INTERRUPTED_RUN),
                )
            )
            for entry in self.unfinished(action, before=before)
        ]

    @contextlib.contextmanager
    def run(self, action: str) -> Iterator[RunRecorder]:
        """Journal the ``with`` block as one run of ``action``; an exception marks it failed
        (with a safe one-line description) and propagates."""
        recorder = self.start(action)
        try:
            yield recorder
        except BaseException as exc:
            recorder.error(describe_exception(exc))
            try:
                recorder.finish(RunStatus.FAILED)
            except ExtensivError as journal_error:
                # The action's own error is the one to raise (e.g. LeaseLostError after the
                # channel was deleted, which took this run's entry with it).
                log.warning(
                    "could not journal the failed %s run: %s",
                    action,
                    describe_exception(journal_error),
                )
            raise
        recorder.finish()

    def record_run(
        self,
        action: str,
        *,
        status: RunStatus,
        started_at: datetime | None = None,
        counts: Mapping[str, int] | None = None,
        errors: Iterable[str] = (),
        references: Iterable[str] = (),
    ) -> JournalEntry:
        """Write a finished run in one call; it finishes now and started at ``started_at``
        (default: now)."""
        now = self.clock()
        return self.store.journal_add(
            JournalEntry(
                channel=self.channel,
                kind=EntryKind.RUN,
                action=action,
                started_at=now if started_at is None else started_at,
                finished_at=now,
                status=status,
                counts=dict(counts or {}),
                errors=tuple(_short(e) for e in errors),
                references=tuple(dict.fromkeys(map(_reference, references))),
            )
        )

    def log(
        self,
        message: str,
        *,
        level: LogLevel = LogLevel.INFO,
        reference: str = "",
        action: str = "",
    ) -> JournalEntry:
        """Add a manual log entry (optionally about one record reference and/or action)."""
        now = self.clock()
        return self.store.journal_add(
            JournalEntry(
                channel=self.channel,
                kind=EntryKind.LOG,
                action=action,
                started_at=now,
                finished_at=now,
                level=level,
                message=_short(message),
                references=(_reference(reference),) if reference else (),
            )
        )

    # ------------------------------------------------------------------ queries

    def last(self, n: int = 20) -> list[JournalEntry]:
        """The newest ``n`` entries (runs and logs), newest first."""
        return self.store.journal_query(self.channel, limit=n)

    def by_action(self, action: str, limit: int | None = None) -> list[JournalEntry]:
        """Entries of one action, newest first."""
        return self.store.journal_query(self.channel, action=action, limit=limit)

    def by_reference(self, reference: str, limit: int | None = None) -> list[JournalEntry]:
        """Entries that touched one record reference, newest first (a reference longer than
        :data:`MAX_REFERENCE_LENGTH` is looked up as stored: cut)."""
        return self.store.journal_query(self.channel, reference=_reference(reference), limit=limit)

    def summary(self, action: str) -> ActionSummary:
        """Last run, last success, and through them duration, counts and errors."""
        last = self.store.journal_query(self.channel, action=action, kind=EntryKind.RUN, limit=1)
        ok = self.store.journal_query(
            self.channel, action=action, kind=EntryKind.RUN, status=RunStatus.SUCCESS, limit=1
        )
        return ActionSummary(
            action=action,
            last_run=last[0] if last else None,
            last_success=ok[0] if ok else None,
        )

    def summaries(self) -> dict[str, ActionSummary]:
        """A summary per action that ever ran, by action name."""
        runs = self.store.journal_query(self.channel, kind=EntryKind.RUN)
        return {action: self.summary(action) for action in sorted({r.action for r in runs})}

    # ------------------------------------------------------------------ export

    def rows(self, entries: Iterable[JournalEntry] | None = None) -> list[dict[str, object]]:
        """Entries (default: all, newest first) as flat dicts in :attr:`ROW_FIELDS` order."""
        chosen = self.store.journal_query(self.channel) if entries is None else entries
        return [dict(e.as_row()) for e in chosen]

    def write_csv(self, stream: IO[str], entries: Iterable[JournalEntry] | None = None) -> int:
        """Write :meth:`rows` as CSV with a header; returns the number of data rows."""
        rows = self.rows(entries)
        writer = csv.DictWriter(stream, fieldnames=self.ROW_FIELDS)
        writer.writeheader()
        writer.writerows({k: _csv_safe(v) for k, v in row.items()} for row in rows)
        return len(rows)


# OWASP CSV injection: spreadsheets run cells starting with these as formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
