"""Typed records kept by a state store, and the pure rules every store applies to them.

Everything here is pure: no clock, no I/O. Stores pass the current time in, so the memory and
SQLite backends (and a host's own backend) decide exactly the same way.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from ..models import SalesOrder

__all__ = [
    "DEFAULT_RETRY_STATES",
    "DEFAULT_SEEN_KEYS_LIMIT",
    "BackorderEntry",
    "Clock",
    "Cursor",
    "EntryKind",
    "Fence",
    "JournalEntry",
    "Lease",
    "LedgerClaim",
    "LedgerClaimRequest",
    "LedgerEntry",
    "LedgerKind",
    "LedgerSettle",
    "LedgerState",
    "LogLevel",
    "RunStatus",
    "payload_fingerprint",
]

#: A zero-argument callable returning "now". Stores take one so tests can control time.
Clock = Callable[[], datetime]

#: Cap on the dedupe keys a cursor remembers inside its overlap window (newest kept).
DEFAULT_SEEN_KEYS_LIMIT = 50_000


def _decimal_map(value: Mapping[str, Decimal | int | str]) -> dict[str, Decimal]:
    return {str(k): v if isinstance(v, Decimal) else Decimal(v) for k, v in value.items()}


def _str_tuple(value: Collection[str]) -> tuple[str, ...]:
    return tuple(value)


def _int_map(value: Mapping[str, int]) -> dict[str, int]:
    return {str(k): int(v) for k, v in value.items()}


def _time_map(value: Mapping[str, datetime]) -> dict[str, datetime]:
    return dict(value)


# --------------------------------------------------------------------------- push ledger


class LedgerKind(str, enum.Enum):
    """What a ledger entry records the creation of."""

    ORDER = "order"
    RECEIPT = "receipt"


class LedgerState(str, enum.Enum):
    """Where one push stands.

    ``PENDING`` is written *before* the create request goes out; a ``PENDING`` entry found later
    means the outcome is unknown and must be resolved by looking the reference up remotely.
    """

    PENDING = "pending"  # recorded, request may or may not have reached the warehouse
    SENT = "sent"  # created remotely; remote_id is known
    HELD = "held"  # backordered, nothing sent
    REJECTED = "rejected"  # refused (validation or API), reasons say why; nothing created
    CANCELED = "canceled"  # canceled after sending, or withdrawn by the host

    @property
    def final(self) -> bool:
        """Whether the warehouse side is settled (no request outstanding)."""
        return self is not LedgerState.PENDING


#: States from which :meth:`StateStore.ledger_begin` may start a new attempt by default:
#: a held order may be sent once stock arrives, a rejected one once the host fixed it.
DEFAULT_RETRY_STATES: frozenset[LedgerState] = frozenset({LedgerState.HELD, LedgerState.REJECTED})


@attrs.frozen
class Fence:
    """Proof of holding a lease: the lease's ``action`` name and its fencing ``token``.

    Tokens grow with every acquisition of one (channel, lease), so a write carrying an old
    token is recognised (and refused) once another worker took the lease over.
    """

    action: str
    token: int


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """One reference in the push ledger of a channel.

    ``sent_lines`` maps a line key (line reference or SKU, the connector's choice) to the
    quantity actually sent, so a partial send and its later remainder can be told apart.
    ``fingerprint`` is a hash of the payload sent (see :func:`payload_fingerprint`).
    ``claim`` is the fence of the lease the last claim was made under (``None``: made without
    one); while the entry is ``PENDING`` it says who may still be sending it.
    """

    channel: str
    kind: LedgerKind
    reference: str
    state: LedgerState
    created_at: datetime
    updated_at: datetime
    remote_id: int | None = None
    fingerprint: str = ""
    sent_lines: dict[str, Decimal] = attrs.field(factory=dict, converter=_decimal_map)
    reasons: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    attempts: int = 0
    host_key: str = ""
    claim: Fence | None = None


@attrs.frozen(kw_only=True)
class LedgerClaim:
    """Answer of ``ledger_begin``: the entry as it now stands, and whether the caller owns it.

    ``claimed`` is True when the caller just recorded ``PENDING`` and must now send (exactly one
    concurrent caller gets True). When False, ``entry`` is what someone else recorded: ``SENT``
    means "already present", ``PENDING`` means "outcome unknown: look it up by reference".
    """

    entry: LedgerEntry
    claimed: bool
    #: The state the entry was in before this call (``None``: there was no entry). A claim
    #: taken over from ``PENDING`` must look the reference up before sending again.
    previous: LedgerState | None = None


@attrs.frozen(kw_only=True)
class LedgerClaimRequest:
    """One reference to claim in :meth:`StateStore.ledger_begin_many` (the arguments
    ``ledger_begin`` takes per reference)."""

    reference: str
    fingerprint: str = ""
    sent_lines: Mapping[str, Decimal] | None = None
    host_key: str = ""
    #: Key-value pairs written with the claim, only when it succeeds (as ``ledger_begin``).
    metadata: Mapping[str, str] | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class LedgerSettle:
    """One outcome to record in :meth:`StateStore.ledger_settle_many` (the arguments
    ``ledger_update`` takes per reference; ``None`` keeps the stored value)."""

    reference: str
    state: LedgerState
    remote_id: int | None = None
    reasons: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    #: A backorder key to stop holding in the same transaction.
    release: str | None = None


def claim_expired(entry: LedgerEntry, claim_lease: Lease | None, now: datetime) -> bool:
    """Whether the owner of a ``PENDING`` claim provably stopped: the lease it was made under
    is released, expired, or now carries another token. An unowned claim (no fence) proves
    nothing, so it never expires by itself (see :func:`may_claim`)."""
    claim = entry.claim
    if claim is None:
        return False
    if claim_lease is None or not claim_lease.live(now):
        return True
    return claim_lease.token != claim.token


def may_claim(
    existing: LedgerEntry | None,
    retry_states: Collection[LedgerState],
    *,
    fence: Fence | None = None,
    claim_lease: Lease | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether a new attempt may start over ``existing``.

    ``PENDING`` is claimable only when it is in ``retry_states`` *and* its claim expired
    (``claim_lease`` is the current lease named by ``existing.claim``). An unowned PENDING
    entry may be taken over only by a fenced caller: every writer of this library holds the
    channel's lease, so the unowned claim was left by a crashed older run or a direct caller.
    """
    if existing is None:
        return True
    if existing.state not in retry_states:
        return False
    if existing.state is not LedgerState.PENDING:
        return True
    if existing.claim is None:
        return fence is not None
    if existing.claim == fence:
        return False  # our own claim, still in flight
    return claim_expired(existing, claim_lease, now if now is not None else existing.updated_at)


def fence_holds(fence: Fence, current: Lease | None) -> bool:
    """Whether a write carrying ``fence`` may go ahead: the lease still carries its token
    (not released, not taken over). Expiry alone does not matter: until someone else takes
    the lease, nobody else can have written under it."""
    return current is not None and current.token == fence.token


def claimed_entry(
    existing: LedgerEntry | None,
    *,
    channel: str,
    kind: LedgerKind,
    reference: str,
    now: datetime,
    fingerprint: str,
    sent_lines: Mapping[str, Decimal] | None,
    host_key: str,
    fence: Fence | None = None,
) -> LedgerEntry:
    """The PENDING entry recorded when a claim succeeds."""
    return LedgerEntry(
        channel=channel,
        kind=kind,
        reference=reference,
        state=LedgerState.PENDING,
        created_at=existing.created_at if existing else now,
        updated_at=now,
        remote_id=existing.remote_id if existing else None,
        fingerprint=fingerprint,
        sent_lines=dict(sent_lines) if sent_lines is not None else {},
        reasons=(),
        attempts=(existing.attempts if existing else 0) + 1,
        host_key=host_key or (existing.host_key if existing else ""),
        claim=fence,
    )


def updated_entry(
    existing: LedgerEntry,
    *,
    now: datetime,
    state: LedgerState,
    remote_id: int | None,
    sent_lines: Mapping[str, Decimal] | None,
    reasons: Collection[str],
    fingerprint: str | None,
) -> LedgerEntry:
    """``existing`` moved to ``state``; ``None`` arguments keep the stored value."""
    return attrs.evolve(
        existing,
        state=state,
        updated_at=now,
        remote_id=existing.remote_id if remote_id is None else remote_id,
        sent_lines=existing.sent_lines if sent_lines is None else dict(sent_lines),
        reasons=tuple(reasons),
        fingerprint=existing.fingerprint if fingerprint is None else fingerprint,
    )


def settles_per_reference(settles: Sequence[LedgerSettle]) -> list[LedgerSettle]:
    """One settle per reference (first-seen order) that leaves the entry as the given ones
    applied in turn would: the last state and reasons, and the last remote id given (a settle
    without one keeps the stored value). Releases are the caller's to drop, every one."""
    merged: dict[str, LedgerSettle] = {}
    for settle in settles:
        earlier = merged.get(settle.reference)
        if earlier is not None and settle.remote_id is None and earlier.remote_id is not None:
            settle = attrs.evolve(settle, remote_id=earlier.remote_id)
        merged[settle.reference] = settle
    return list(merged.values())


def payload_fingerprint(document: Any) -> str:
    """A stable SHA-256 hex digest of a JSON-like document (key order does not matter).

    Decimals and datetimes are hashed by their text, so ``Decimal("1.0")`` and
    ``Decimal("1.00")`` differ: hash the exact payload that was sent.
    """
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- backorders


@attrs.frozen(kw_only=True)
class BackorderEntry:
    """A host order held as backordered, kept for re-evaluation.

    ``key`` defaults to the order number. ``held_since`` never changes while the order stays
    held; ``updated_at`` and ``evaluations`` move each time it is put back after a re-check.
    The order itself is left out of ``repr`` (it carries addresses).
    """

    channel: str
    key: str
    order: SalesOrder = attrs.field(repr=False)
    held_since: datetime
    updated_at: datetime
    reason: str = ""
    evaluations: int = 1

    @property
    def order_number(self) -> str:
        return self.order.order_number


def held_entry(
    existing: BackorderEntry | None,
    *,
    channel: str,
    key: str,
    order: SalesOrder,
    reason: str,
    now: datetime,
) -> BackorderEntry:
    """The entry after (re-)holding ``order``: the first ``held_since`` is kept."""
    return BackorderEntry(
        channel=channel,
        key=key,
        order=order,
        held_since=existing.held_since if existing else now,
        updated_at=now,
        reason=reason,
        evaluations=(existing.evaluations + 1) if existing else 1,
    )


# --------------------------------------------------------------------------- cursors


@attrs.frozen(kw_only=True)
class Cursor:
    """Progress of one incremental pull (``action``) of a channel.

    ``watermark`` is the highest ``lastModifiedDate`` handed to the host. ``seen`` maps the
    dedupe keys delivered inside the overlap window to their modification time, so records
    fetched again by the inclusive, overlapping query are recognised and skipped.
    """

    channel: str
    action: str
    watermark: datetime | None = None
    seen: dict[str, datetime] = attrs.field(factory=dict, converter=_time_map, repr=False)
    updated_at: datetime | None = None

    def since(self, overlap: timedelta) -> datetime | None:
        """Lower bound for the next query: the watermark minus the overlap (None = from start)."""
        return None if self.watermark is None else self.watermark - overlap

    def is_delivered(self, key: str) -> bool:
        """Whether the record with this dedupe key already reached the host."""
        return key in self.seen

    def advanced(
        self,
        delivered: Mapping[str, datetime],
        *,
        overlap: timedelta,
        now: datetime,
        watermark: datetime | None = None,
        max_keys: int = DEFAULT_SEEN_KEYS_LIMIT,
    ) -> Cursor:
        """The cursor after the host handled ``delivered`` (dedupe key -> modification time).

        The watermark moves to the newest time seen (or ``watermark`` if later) and never
        backwards; remembered keys older than ``watermark - overlap`` are dropped, and at most
        ``max_keys`` of the newest are kept.
        """
        candidates = [t for t in (self.watermark, watermark) if t is not None]
        candidates.extend(delivered.values())
        new_mark = max(candidates) if candidates else None
        merged = {**self.seen, **delivered}
        if new_mark is not None:
            floor = new_mark - overlap
            merged = {k: t for k, t in merged.items() if t >= floor}
        if len(merged) > max_keys:
            newest = sorted(merged.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
            merged = dict(newest[:max_keys])
        return attrs.evolve(self, watermark=new_mark, seen=merged, updated_at=now)


# --------------------------------------------------------------------------- journal


class EntryKind(str, enum.Enum):
    RUN = "run"  # one execution of a sync action
    LOG = "log"  # a manual log line


class RunStatus(str, enum.Enum):
    RUNNING = "running"  # started, not finished (a crash leaves it so)
    SUCCESS = "success"
    PARTIAL = "partial"  # finished, some records failed
    FAILED = "failed"  # the action itself failed


class LogLevel(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@attrs.frozen(kw_only=True)
class JournalEntry:
    """One journal line: a sync-action run (``kind=RUN``) or a manual log entry (``kind=LOG``).

    ``entry_id`` is assigned by the store (increasing within a store). ``errors`` are short
    strings without secrets or personal data; ``references`` are the record references the run
    touched (left out of ``repr``; there can be thousands).
    """

    channel: str
    kind: EntryKind
    action: str
    started_at: datetime
    entry_id: int | None = None
    finished_at: datetime | None = None
    status: RunStatus | None = None
    level: LogLevel | None = None
    message: str = ""
    counts: dict[str, int] = attrs.field(factory=dict, converter=_int_map)
    errors: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    references: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, repr=False)

    @property
    def duration(self) -> timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def as_row(self) -> dict[str, str | int | float | None]:
        """A flat, CSV-friendly dict (see ``Journal.ROW_FIELDS`` for the column order)."""
        duration = self.duration
        return {
            "entry_id": self.entry_id,
            "channel": self.channel,
            "kind": self.kind.value,
            "action": self.action,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": duration.total_seconds() if duration is not None else None,
            "status": self.status.value if self.status else None,
            "level": self.level.value if self.level else None,
            "message": self.message,
            "counts": ";".join(f"{k}={v}" for k, v in sorted(self.counts.items())),
            "errors": " | ".join(self.errors),
            "reference_count": len(self.references),
            "references": ";".join(self.references),
        }


# --------------------------------------------------------------------------- leases


@attrs.frozen(kw_only=True)
class Lease:
    """Who runs ``action`` of ``channel`` right now, and until when unless renewed."""

    channel: str
    action: str
    owner: str
    acquired_at: datetime
    expires_at: datetime
    #: The fencing token: grows with every acquisition of this (channel, action); kept by
    #: renewals and by re-acquisition by the same live owner.
    token: int = 0

    def live(self, now: datetime) -> bool:
        return now < self.expires_at

    @property
    def fence(self) -> Fence:
        return Fence(self.action, self.token)


def may_take_lease(existing: Lease | None, owner: str, now: datetime) -> bool:
    """A lease is free when absent, expired, or already ours (re-acquiring renews it)."""
    return existing is None or existing.owner == owner or not existing.live(now)


def taken_lease(
    existing: Lease | None,
    *,
    channel: str,
    action: str,
    owner: str,
    now: datetime,
    ttl_seconds: float,
    next_token: int,
) -> Lease:
    """The lease after ``owner`` takes it (call only when :func:`may_take_lease`): a live
    lease of the same owner keeps its start and token, anything else starts afresh with
    ``next_token``."""
    keep = existing is not None and existing.owner == owner and existing.live(now)
    return Lease(
        channel=channel,
        action=action,
        owner=owner,
        acquired_at=existing.acquired_at if keep and existing else now,
        expires_at=now + timedelta(seconds=ttl_seconds),
        token=existing.token if keep and existing else next_token,
    )
