"""Exactly-once creates: the ledger records a reference before its request goes out.

An ambiguous failure (timeout, reset, 5xx, lost response) or a ``Duplicate`` answer is resolved
by looking the record up by reference and adopting it, once its lines show it is ours (a
record another system created under the reference is REJECTED, not adopted). The record is
re-sent only when the lookup proves it absent, which it does only where the server answered:
after a read timeout, a reset or a 502/504 the first request may still be in flight, so a
record not found stays PENDING for a later run to look up first. So does a claim taken over
from a worker that died or stalled before settling it (:func:`pending_step`), until the read
timeout has passed since the take-over: that worker sent only while it held its lease, which
ended before anyone could take it over. The engine itself never waits
or repeats: the client's one retry loop does, with one attempt budget per create, calling back
here through the create call's ``before_attempt`` (the lease check before every send) and
``resolve`` (the lookup after an unknown outcome) arguments. The same engine serves orders and
receipts.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs

from ..errors import (
    ApiError,
    AuthenticationError,
    DuplicateError,
    ExtensivError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from ._errors import LeaseLostError
from ._records import (
    DEFAULT_RETRY_STATES,
    Fence,
    LedgerClaim,
    LedgerClaimRequest,
    LedgerEntry,
    LedgerKind,
    LedgerSettle,
    LedgerState,
    payload_fingerprint,
)
from .store import LeaseHandle, StateStore, utc_now

__all__ = [
    "CLAIM_WINDOW",
    "FOREIGN_RECORD",
    "IN_FLIGHT",
    "SENT_ANSWER_LOST",
    "SETTLE_AFTER",
    "SETTLE_EVERY",
    "CreateCall",
    "CreateJob",
    "CreateOutcome",
    "PendingStep",
    "PushEngine",
    "claim_is_live",
    "item_key",
    "payload_lines",
    "pending_step",
]

log = logging.getLogger("extensiv_connector.sync")

_RESOLVE_STATES = frozenset({*DEFAULT_RETRY_STATES, LedgerState.PENDING})

#: Most claims written in one transaction. A run's first window is one job (its request
#: leaves as soon as that job is ready); each next window doubles, up to this.
CLAIM_WINDOW = 64
#: Outcomes settled per transaction (group commit) ...
SETTLE_EVERY = 32
#: ... or sooner, once the oldest unsettled outcome has waited this long (seconds).
SETTLE_AFTER = 0.5

#: The visible outcome when another live worker owns the claim of a reference.
CLAIMED_ELSEWHERE = "being sent by another worker right now (its claim is live)"


def claim_is_live(store: StateStore, channel: str, entry: LedgerEntry) -> bool:
    """Whether a ``PENDING`` entry's claimant may still be sending it: its lease is live and
    still carries the claim's token. An unowned claim counts as expired to a lease holder."""
    if entry.state is not LedgerState.PENDING or entry.claim is None:
        return False
    lease = store.lease_info(channel, entry.claim.action)
    return lease is not None and lease.token == entry.claim.token


#: The reason of a record found under our reference whose lines are not the ones we send.
FOREIGN_RECORD = "reference already used in the warehouse by a different order"
#: How a PENDING reason starts when the create may still be in flight (not found yet).
IN_FLIGHT = "may still be in flight"
#: The rest of that reason on a claim taken over from a worker that stopped mid-send.
TAKEN_OVER = "taken over from a worker that stopped before settling it; not found yet"
_TAKEN_OVER_REASON = f"{IN_FLIGHT}: {TAKEN_OVER}"


class PendingStep(enum.Enum):
    """What a push does about a reference it finds ``PENDING`` (see :func:`pending_step`)."""

    #: Another live worker owns the claim: neither look up nor send.
    LEAVE = "leave"
    #: The create may still be in flight: neither look up nor send yet.
    WAIT = "wait"
    #: Look it up and adopt it if found; if not, mark it in flight from now and do not send.
    ADOPT_ONLY = "adopt only"
    #: Look it up and adopt it if found; not finding it proves it absent: it may be sent.
    LOOK_UP = "look up"


def pending_step(
    entry: LedgerEntry,
    *,
    fence: Fence | None,
    claim_live: bool,
    now: datetime,
    in_flight_wait: timedelta,
) -> PendingStep:
    """The step for ``entry`` (found ``PENDING``) by a push holding ``fence`` at ``now``.

    Pure (no clock, no I/O; ``claim_live`` is :func:`claim_is_live`), so the rule is tested
    on its own. A create that may still be in flight is only adopted, never re-sent, until a
    lookup ``in_flight_wait`` (the client's read timeout) after its last possible send proves
    it absent:

    * an entry marked in flight (reason :data:`IN_FLIGHT`) waits until ``in_flight_wait``
      after that mark, whose time is never before the last possible send: the worker that
      marked it gave up on its own request, or (:data:`TAKEN_OVER`) a later worker found the
      claim's lease ended, after which its owner sends nothing more;
    * a claim of another lease with no outcome recorded (no reason: its owner stopped
      mid-send, or before it) may have been sent at any time while that lease was held, so
      until the lease ended, which the store no longer knows once the lease was taken over.
      The caller looks it up and, if it is absent, marks it in flight now (:data:`TAKEN_OVER`):
      now is after the lease ended, so the wait counted from that mark is safe;
    * a live claim of another worker is left alone; everything else (an outcome its owner
      recorded, our own claim) is looked up, and not finding it proves it absent.
    """
    marked = bool(entry.reasons) and entry.reasons[0].startswith(IN_FLIGHT)
    if marked and now - entry.updated_at < in_flight_wait:
        return PendingStep.WAIT
    if entry.claim == fence:
        return PendingStep.LOOK_UP
    if claim_live:
        return PendingStep.LEAVE
    return PendingStep.LOOK_UP if entry.reasons else PendingStep.ADOPT_ONLY


class CreateCall(Protocol):
    """Sends one payload through the client's retry loop, with the engine's hooks for that one
    request (``resolve`` and ``before_attempt`` of the resource ``create`` methods); returns the
    new remote id."""

    def __call__(
        self,
        payload: dict[str, Any],
        *,
        resolve: Callable[[str], None],
        before_attempt: Callable[[], None],
    ) -> int | None: ...


def item_key(sku: str | None, item_id: int | None) -> str:
    """How a line's item is named when comparing a found record with our payload."""
    return sku if sku else f"#{item_id}"


def payload_lines(payload: Mapping[str, Any]) -> dict[str, Decimal]:
    """Quantity per item of an order or receiver payload (``orderItems``/``receiveItems``)."""
    lines = payload.get("orderItems", payload.get("receiveItems"))
    return _summed(
        (item_key(ident.get("sku"), ident.get("id")), line.get("qty"))
        for line in (lines if isinstance(lines, list) else ())
        if isinstance(line, Mapping)
        for ident in [line.get("itemIdentifier") or {}]
    )


def _summed(pairs: Iterable[tuple[str, Any]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for key, qty in pairs:
        totals[key] = totals.get(key, Decimal(0)) + Decimal(str(qty if qty is not None else 0))
    return {key: qty.normalize() for key, qty in totals.items()}


@attrs.frozen(kw_only=True)
class CreateJob:
    """One record to create: its ledger reference, the payload, and what it sends per line.

    ``metadata`` is written with the claim (the comparison baseline); ``release`` is the
    backorder key dropped with the SENT settle. Both ride in the ledger's own transactions,
    which ``PushEngine.run`` batches: one per window of claims, one per group of settles.
    """

    reference: str
    payload: dict[str, Any]
    sent_lines: Mapping[str, Decimal] = attrs.field(factory=dict)
    host_key: str = ""
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    release: str | None = None


#: The reason on a create this run sent whose answer was lost, then found by reference.
SENT_ANSWER_LOST = "sent; the answer was lost, found in the warehouse by reference"


@attrs.frozen(kw_only=True)
class CreateOutcome:
    reference: str
    state: LedgerState  # SENT, REJECTED, or PENDING (unresolved: retried on the next run)
    remote_id: int | None = None
    adopted: bool = False  # the warehouse already had it (found by reference)
    reason: str = ""
    released: bool = False  # the job's backorder entry was dropped with the SENT settle


class PushEngine:
    """Runs create jobs with bounded concurrency, recording every step in the ledger.

    ``create`` sends one payload and returns the new remote id (see :class:`CreateCall`);
    ``lookup`` finds a record by reference and returns its remote id or ``None``;
    ``found_lines`` reads a found record's ``(item, quantity)`` lines (keyed by
    :func:`item_key`), so a record is adopted only when it is the one we meant to send. All
    are thin client calls. A create that may still be in flight (its own request's answer was
    lost, or its claim was taken over from a worker that stopped) is left PENDING and not
    looked up by :meth:`resolve_pending` until ``in_flight_wait`` seconds (the client's read
    timeout) have passed on ``clock`` (the store's) since it was marked so.

    With a ``lease``, every ledger write carries its fence (the store refuses it once another
    worker took the lease over) and every request, retries included, is preceded by a lease
    check (trusted, :class:`~.store.LeaseTrust`, or its token read back from the store), so a
    worker that lost its lease stops before its next request or write (``LeaseLostError``).
    """

    def __init__(
        self,
        store: StateStore,
        channel: str,
        kind: LedgerKind,
        *,
        create: CreateCall,
        lookup: Callable[[str], int | None],
        max_in_flight: int,
        lease: LeaseHandle | None = None,
        found_lines: Callable[[int], Iterable[tuple[str, Any]]] | None = None,
        in_flight_wait: float = 0.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._channel = channel
        self._kind = kind
        self._create = create
        self._lookup = lookup
        self._found_lines = found_lines
        self._in_flight_wait = in_flight_wait
        self._clock = clock
        self._max_in_flight = max(1, max_in_flight)  # no worker would leave the queue full
        self._lease = lease
        self._fence: Fence | None = lease.fence if lease is not None else None
        self._settles: _SettleBuffer | None = None
        #: References :meth:`resolve_pending` proved absent (no create of theirs may still
        #: be in flight): only these are sent again when their claim is taken over.
        self._cleared: set[str] = set()
        self._cleared_lock = threading.Lock()

    def _check(self) -> None:
        if self._lease is not None:
            self._lease.check()

    def _still_fenced(self) -> None:
        """Before a claimed job's first request: the lease still carries the claim's token.
        A claim waits in its window for a while, and a worker that stalled past its TTL
        meanwhile must not send what the next holder may take over. While the lease's last
        take or renewal is recent enough (:class:`~.store.LeaseTrust`: nobody else can have
        taken it yet) that is certain without asking; after that it is read from the store."""
        self._check()
        fence, lease = self._fence, self._lease
        if fence is None or lease is None or lease.trust.trusted():
            return
        current = self._store.lease_info(self._channel, fence.action)
        if current is None or current.token != fence.token:
            raise LeaseLostError(self._channel, fence.action)

    def resolve_pending(self, reference: str) -> CreateOutcome | None:
        """For a reference left PENDING by an earlier run: adopt it if the warehouse has it.

        Returns ``None`` when the lookup proves it absent (the caller may send it again; the
        claim it then takes over is sent after one more lookup), or a PENDING outcome when
        the lookup itself failed (try again later), another live worker owns the claim, or
        the earlier request may still be in flight (see :func:`pending_step`: nothing is
        looked up or written while it waits; a claim taken over from a worker that stopped
        mid-send is looked up, and if absent marked in flight from now).
        """
        entry = self._store.ledger_get(self._channel, self._kind, reference)
        step = PendingStep.LOOK_UP
        if entry is not None and entry.state is LedgerState.PENDING:
            step = pending_step(
                entry,
                fence=self._fence,
                claim_live=claim_is_live(self._store, self._channel, entry),
                now=self._clock(),
                in_flight_wait=timedelta(seconds=self._in_flight_wait),
            )
        if step is PendingStep.WAIT:
            return CreateOutcome(
                reference=reference,
                state=LedgerState.PENDING,
                reason=f"{IN_FLIGHT}: not looked up before the read timeout has passed",
            )
        if step is PendingStep.LEAVE:
            return CreateOutcome(
                reference=reference, state=LedgerState.PENDING, reason=CLAIMED_ELSEWHERE
            )
        self._check()
        try:
            remote_id = self._lookup(reference)
        except ExtensivError as exc:
            return CreateOutcome(
                reference=reference,
                state=LedgerState.PENDING,
                reason=f"outcome still unknown: {_short(exc)}",
            )
        if remote_id is None:
            if step is PendingStep.ADOPT_ONLY:
                return self._mark(reference, LedgerState.PENDING, reason=_TAKEN_OVER_REASON)
            with self._cleared_lock:
                self._cleared.add(reference)
            return None
        self._store.ledger_update(
            self._channel,
            self._kind,
            reference,
            state=LedgerState.SENT,
            remote_id=remote_id,
            fence=self._fence,
        )
        return CreateOutcome(
            reference=reference, state=LedgerState.SENT, remote_id=remote_id, adopted=True
        )

    def run(self, jobs: Iterable[CreateJob]) -> dict[str, CreateOutcome]:
        """Claim and send every job; returns outcomes by reference.

        ``jobs`` is consumed lazily, in this thread, while up to ``max_in_flight`` workers
        send what is already claimed: the first request leaves as soon as the first job is
        ready, and at most two claim windows of jobs are in memory at once. Claims are
        written a window at a time (one transaction, durable before any of its requests goes
        out); outcomes are settled in groups (see :data:`SETTLE_EVERY`), and whatever is
        left is settled before ``run`` returns or raises. A crash before a settle leaves
        its references ``PENDING``: the next run resolves them by reference lookup.
        """
        outcomes: dict[str, CreateOutcome] = {}
        done = threading.Lock()
        work: queue.Queue[tuple[CreateJob, LedgerClaim] | None] = queue.Queue(CLAIM_WINDOW)
        failures: list[BaseException] = []
        failed = threading.Event()
        workers: list[threading.Thread] = []

        def finish(outcome: CreateOutcome) -> None:
            with done:
                outcomes[outcome.reference] = outcome

        def serve() -> None:
            while (item := work.get()) is not None:
                if failed.is_set():
                    continue  # claimed but not sent: it stays PENDING for the next run
                try:
                    finish(self._send_claimed(*item))
                except BaseException as exc:  # re-raised by run() in the calling thread
                    failures.append(exc)
                    failed.set()

        settles = self._settles = _SettleBuffer(self._store, self._channel, self._kind, self._fence)
        window: list[CreateJob] = []
        size = 1
        try:
            for job in jobs:
                window.append(job)
                if len(window) >= size:
                    self._claim(window, work, workers, serve, finish, failed)
                    window, size = [], min(2 * size, CLAIM_WINDOW)
                if failed.is_set():
                    break
            if window and not failed.is_set():
                self._claim(window, work, workers, serve, finish, failed)
        except BaseException as exc:
            failures.insert(0, exc)
            failed.set()
        finally:
            for _ in workers:
                work.put(None)
            for worker in workers:
                worker.join()
            self._settles = None
            try:
                settles.flush()  # what was answered is recorded, even when the run failed
            except BaseException as exc:
                if not failures:
                    raise
                log.warning("settling a failed push's outcomes failed too: %s", _short(exc))
        if failures:
            raise failures[0]
        return outcomes

    def _claim(
        self,
        window: list[CreateJob],
        work: queue.Queue[tuple[CreateJob, LedgerClaim] | None],
        workers: list[threading.Thread],
        serve: Callable[[], None],
        finish: Callable[[CreateOutcome], None],
        failed: threading.Event,
    ) -> None:
        """Claim a window of jobs in one transaction, then queue the claimed ones for the
        workers (starting one more worker per job, up to ``max_in_flight``)."""
        self._check()
        claims = self._store.ledger_begin_many(
            self._channel,
            self._kind,
            [
                LedgerClaimRequest(
                    reference=job.reference,
                    fingerprint=payload_fingerprint(job.payload),
                    sent_lines=job.sent_lines,
                    host_key=job.host_key,
                    metadata=job.metadata,
                )
                for job in window
            ],
            retry_states=_RESOLVE_STATES,
            fence=self._fence,
        )
        for job, claim in zip(window, claims, strict=True):
            if not claim.claimed:
                finish(_unclaimed(job, claim))
                continue
            if len(workers) < self._max_in_flight:
                worker = threading.Thread(
                    target=serve, name=f"extensiv-push-{len(workers)}", daemon=True
                )
                worker.start()
                workers.append(worker)
            while not failed.is_set():
                try:
                    work.put((job, claim), timeout=0.1)
                    break
                except queue.Full:
                    continue

    def _send_claimed(self, job: CreateJob, claim: LedgerClaim) -> CreateOutcome:
        self._still_fenced()
        if claim.previous is LedgerState.PENDING:
            # Taken over from an expired claim: its owner may have sent it before it stopped.
            with self._cleared_lock:
                proven = job.reference in self._cleared
                self._cleared.discard(job.reference)
            try:
                found = self._adopt(job)
            except LeaseLostError:
                raise
            except ExtensivError as exc:
                if not proven:  # the wait starts now, as if the lookup had found nothing
                    return self._mark(job.reference, LedgerState.PENDING, reason=_TAKEN_OVER_REASON)
                return self._pending(job, f"outcome still unknown: {_short(exc)}")
            if found is not None:
                return found
            if not proven:
                # Not looked at by resolve_pending (which would have said when its owner's
                # request can be done): it may still be in flight, so wait from now on.
                return self._mark(job.reference, LedgerState.PENDING, reason=_TAKEN_OVER_REASON)
        return self._attempt(job)

    def _attempt(self, job: CreateJob) -> CreateOutcome:
        """Send the create once; the client's retry loop owns every repeat and wait.

        Inside that loop, the lease is checked before every send, and an unknown outcome calls
        ``resolve``: it adopts the record if the warehouse has it (and it is ours), leaves it
        PENDING if the lookup fails, and otherwise lets the loop decide: send again (within
        the same budget) where not finding it proves absence, or give up with the outcome
        unknown where the first request may still be in flight (PENDING: a later run looks it
        up before anything is sent).
        """
        looked_up = False
        sends = 0

        def before_attempt() -> None:
            nonlocal sends
            # Every send, not only the first: a retry after a stall past the TTL must not go
            # out under a lease another worker took over (the take-over wait counts on it).
            self._still_fenced()
            sends += 1  # counted before the send: 0 means nothing reached the server

        def resolve(_reference: str) -> None:
            nonlocal looked_up
            looked_up = True
            settled = self._resolve(job, "outcome unknown")
            if settled is not None:
                raise _Settled(settled)

        try:
            remote_id = self._create(job.payload, resolve=resolve, before_attempt=before_attempt)
        except _Settled as settled:  # only after an unknown outcome of our own send
            return _created_by_us(settled.outcome)
        except (ApiError, AuthenticationError, OutcomeUnknownError, TransportError) as exc:
            if sends == 0:  # failed before the first send (e.g. no token): nothing to look up
                return self._pending(job, f"not sent: {_short(exc)}")
            return self._failed(job, exc, looked_up=looked_up)
        return self._mark(job.reference, LedgerState.SENT, remote_id=remote_id, job=job)

    def _failed(self, job: CreateJob, exc: ExtensivError, *, looked_up: bool) -> CreateOutcome:
        """The outcome of a create the client's loop gave up on after sending it."""
        if isinstance(exc, DuplicateError):
            reason = "warehouse reported a duplicate reference that lookup cannot find"
            return self._resolve(job, reason) or self._pending(job, reason)
        if isinstance(exc, RateLimitedError):
            # Nothing was processed; the budget is spent, so the next push sends it again.
            return self._pending(job, f"rate limited: {_short(exc)}")
        if isinstance(exc, AuthenticationError):
            # Refused credentials, or a failed token refresh after a 401: the order was not
            # processed and nothing is wrong with it. Not REJECTED; the next push sends it.
            return self._pending(job, f"not sent, authentication failed: {_short(exc)}")
        if isinstance(exc, OutcomeUnknownError):
            # After a lookup: not found, but the request may still be in flight.
            found = None if looked_up else self._resolve(job, "outcome unknown")
            return _created_by_us(found) if found else self._in_flight(job, exc)
        if isinstance(exc, ServerError | TransportError):
            reason = f"outcome unknown: {_short(exc)}"
            if looked_up:  # proven absent after every try: the budget ran out
                return self._pending(job, f"gave up after retries: {_short(exc)}")
            found = self._resolve(job, reason)
            return _created_by_us(found) if found else self._pending(job, reason)
        assert isinstance(exc, ApiError)
        return self._mark(job.reference, LedgerState.REJECTED, reason=_api_reason(exc))

    def _in_flight(self, job: CreateJob, exc: ExtensivError) -> CreateOutcome:
        """PENDING, marked and timed, so no run looks it up before the request can be done."""
        return self._mark(job.reference, LedgerState.PENDING, reason=f"{IN_FLIGHT}: {_short(exc)}")

    def _resolve(self, job: CreateJob, reason: str) -> CreateOutcome | None:
        """Adopt the record if the warehouse has it; ``None`` when the lookup proves it absent;
        PENDING when the lookup fails (the next run resolves it by reference first)."""
        try:
            return self._adopt(job)
        except LeaseLostError:
            raise
        except ExtensivError as exc:
            return self._pending(job, f"{reason}; lookup failed: {_short(exc)}")

    def _pending(self, job: CreateJob, reason: str) -> CreateOutcome:
        """PENDING with ``reason``, recorded: an entry left PENDING without a reason is one
        whose owner stopped before settling it, which a later run must not send at once."""
        return self._mark(job.reference, LedgerState.PENDING, reason=reason)

    def _adopt(self, job: CreateJob) -> CreateOutcome | None:
        """The record found under the job's reference, adopted (SENT) when its lines are the
        job's; REJECTED when another system's record holds the reference; ``None`` if absent."""
        self._check()
        remote_id = self._lookup(job.reference)
        if remote_id is None:
            return None
        mismatch = self._foreign(job, remote_id)
        if mismatch:
            return self._mark(
                job.reference, LedgerState.REJECTED, reason=f"{FOREIGN_RECORD} ({mismatch})"
            )
        outcome = self._mark(job.reference, LedgerState.SENT, remote_id=remote_id, job=job)
        return attrs.evolve(outcome, adopted=True)

    def _foreign(self, job: CreateJob, remote_id: int) -> str:
        """How the record ``remote_id`` differs from the job's lines ("" when it is ours).

        One more GET, on the adopt path only (rare); a job without lines is not compared."""
        expected = payload_lines(job.payload)
        if self._found_lines is None or not expected:
            return ""
        self._check()
        found = _summed(self._found_lines(remote_id))
        if found == expected:
            return ""
        differing = sorted(
            k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k)
        )
        shown = "; ".join(
            f"{k}: {found.get(k, Decimal(0))} found, {expected.get(k, Decimal(0))} ours"
            for k in differing[:3]
        )
        return shown + (f" and {len(differing) - 3} more" if len(differing) > 3 else "")

    def _mark(
        self,
        reference: str,
        state: LedgerState,
        *,
        remote_id: int | None = None,
        reason: str = "",
        job: CreateJob | None = None,
    ) -> CreateOutcome:
        release = job.release if job is not None and state is LedgerState.SENT else None
        reasons = (reason,) if reason else ()
        settles = self._settles
        # Inside run(), outcomes are settled with others in one transaction; a PENDING mark of
        # a create that may still be in flight is written at once: its time is what keeps the
        # next run from looking the reference up too early, also after a crash.
        in_flight = state is LedgerState.PENDING and reason.startswith(IN_FLIGHT)
        if settles is not None and not in_flight:
            settles.add(
                LedgerSettle(
                    reference=reference,
                    state=state,
                    remote_id=remote_id,
                    reasons=reasons,
                    release=release,
                )
            )
        else:
            self._store.ledger_update(
                self._channel,
                self._kind,
                reference,
                state=state,
                remote_id=remote_id,
                reasons=reasons,
                fence=self._fence,
                release=release,
            )
        return CreateOutcome(
            reference=reference,
            state=state,
            remote_id=remote_id,
            reason=reason,
            released=release is not None,
        )


def _created_by_us(outcome: CreateOutcome) -> CreateOutcome:
    """An outcome found by lookup after our own send's answer was lost: this run created the
    record, so it counts as sent, not as already present (which means an earlier run or a lost
    ledger sent it)."""
    if not outcome.adopted:
        return outcome
    return attrs.evolve(outcome, adopted=False, reason=SENT_ANSWER_LOST)


class _Settled(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the resolve hook to end a create the lookup settled (adopted, or PENDING after
    a failed lookup); it passes through the client's retry loop to ``_attempt``."""

    def __init__(self, outcome: CreateOutcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def _unclaimed(job: CreateJob, claim: LedgerClaim) -> CreateOutcome:
    """The outcome of a job whose reference someone else recorded (nothing is sent)."""
    entry = claim.entry
    pending = entry.state is LedgerState.PENDING
    return CreateOutcome(
        reference=job.reference,
        state=entry.state,
        remote_id=entry.remote_id,
        adopted=entry.state is LedgerState.SENT,
        reason=CLAIMED_ELSEWHERE if pending else "already recorded by another push",
    )


class _SettleBuffer:
    """Group commit of a run's outcomes: written ``SETTLE_EVERY`` at a time, or as soon as
    one has waited ``SETTLE_AFTER`` seconds when the next arrives, and by ``flush``.

    Delaying a settle is safe, delaying a claim is not: until its settle commits, a sent
    reference stays ``PENDING``, which a later run resolves by lookup, never by re-sending.
    """

    def __init__(
        self, store: StateStore, channel: str, kind: LedgerKind, fence: Fence | None
    ) -> None:
        self._store = store
        self._channel = channel
        self._kind = kind
        self._fence = fence
        self._lock = threading.Lock()
        self._items: list[LedgerSettle] = []
        self._since = 0.0

    def add(self, settle: LedgerSettle) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._items:
                self._since = now
            self._items.append(settle)
            if len(self._items) < SETTLE_EVERY and now - self._since < SETTLE_AFTER:
                return
            batch, self._items = self._items, []
        self._write(batch)

    def flush(self) -> None:
        with self._lock:
            batch, self._items = self._items, []
        self._write(batch)

    def _write(self, batch: list[LedgerSettle]) -> None:
        if batch:
            self._store.ledger_settle_many(self._channel, self._kind, batch, fence=self._fence)


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _api_reason(exc: ApiError) -> str:
    detail = exc.hint or exc.error_code or ""
    return f"HTTP {exc.status} {exc.error_type or ''} {detail}".strip()
