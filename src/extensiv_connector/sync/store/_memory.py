"""``MemoryStore``: the state store in a process's memory (tests, notebooks, one-off runs)."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from ...models import SalesOrder
from .._errors import LeaseLostError, StateStoreError
from .._records import (
    DEFAULT_RETRY_STATES,
    DEFAULT_SEEN_KEYS_LIMIT,
    BackorderEntry,
    Clock,
    Cursor,
    EntryKind,
    Fence,
    JournalEntry,
    Lease,
    LedgerClaim,
    LedgerClaimRequest,
    LedgerEntry,
    LedgerKind,
    LedgerSettle,
    LedgerState,
    RunStatus,
    claimed_entry,
    fence_holds,
    held_entry,
    may_claim,
    may_take_lease,
    taken_lease,
    updated_entry,
)
from ._clock import utc_now
from ._window import SeenWindow

__all__ = ["MemoryStore"]


@attrs.define
class _CursorState:
    watermark: datetime | None = None
    updated_at: datetime | None = None
    seen: SeenWindow = attrs.field(factory=SeenWindow)

    def snapshot(self, channel: str, action: str) -> Cursor:
        return Cursor(
            channel=channel,
            action=action,
            watermark=self.watermark,
            seen=self.seen.times,
            updated_at=self.updated_at,
        )


@attrs.define
class _Channel:
    ledger: dict[tuple[LedgerKind, str], LedgerEntry] = attrs.field(factory=dict)
    backorders: dict[str, BackorderEntry] = attrs.field(factory=dict)
    cursors: dict[str, _CursorState] = attrs.field(factory=dict)
    journal: dict[int, JournalEntry] = attrs.field(factory=dict)
    events: dict[str, datetime] = attrs.field(factory=dict)
    versions: dict[str, datetime] = attrs.field(factory=dict)
    leases: dict[str, Lease] = attrs.field(factory=dict)
    kv: dict[str, str] = attrs.field(factory=dict)

    def empty(self) -> bool:
        return not any(
            (
                self.ledger,
                self.backorders,
                self.cursors,
                self.journal,
                self.events,
                self.versions,
                self.leases,
                self.kv,
            )
        )


class MemoryStore:
    """A thread-safe in-memory :class:`StateStore`. State is lost when the process ends."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._channels: dict[str, _Channel] = {}
        self._next_entry_id = 1
        # Fencing tokens outlive releases and channel deletion: a token is never reused.
        self._lease_tokens: dict[tuple[str, str], int] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore(channels={len(self._channels)})"

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _ch(self, channel: str) -> _Channel:
        if self._closed:
            raise StateStoreError("the state store is closed")
        found = self._channels.get(channel)
        if found is None:
            found = self._channels[channel] = _Channel()
        return found

    def _check_fence(self, channel: str, fence: Fence | None) -> None:
        """Refuse a write whose lease was released or taken over (call under the lock)."""
        if fence is not None and not fence_holds(fence, self._ch(channel).leases.get(fence.action)):
            raise LeaseLostError(channel, fence.action)

    # ------------------------------------------------------------------ push ledger

    def ledger_get(self, channel: str, kind: LedgerKind, reference: str) -> LedgerEntry | None:
        with self._lock:
            return self._ch(channel).ledger.get((kind, reference))

    def ledger_get_many(
        self, channel: str, kind: LedgerKind, references: Collection[str]
    ) -> dict[str, LedgerEntry]:
        with self._lock:
            ledger = self._ch(channel).ledger
            found = ((r, ledger.get((kind, r))) for r in references)
            return {r: e for r, e in found if e is not None}

    def ledger_begin(
        self,
        channel: str,
        kind: LedgerKind,
        reference: str,
        *,
        fingerprint: str = "",
        sent_lines: Mapping[str, Decimal] | None = None,
        host_key: str = "",
        retry_states: Collection[LedgerState] = DEFAULT_RETRY_STATES,
        fence: Fence | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> LedgerClaim:
        with self._lock:
            self._check_fence(channel, fence)
            state = self._ch(channel)
            existing = state.ledger.get((kind, reference))
            claim_lease = (
                state.leases.get(existing.claim.action)
                if existing is not None and existing.claim is not None
                else None
            )
            now = self._clock()
            if not may_claim(existing, retry_states, fence=fence, claim_lease=claim_lease, now=now):
                assert existing is not None
                return LedgerClaim(entry=existing, claimed=False, previous=existing.state)
            entry = claimed_entry(
                existing,
                channel=channel,
                kind=kind,
                reference=reference,
                now=now,
                fingerprint=fingerprint,
                sent_lines=sent_lines,
                host_key=host_key,
                fence=fence,
            )
            state.ledger[(kind, reference)] = entry
            state.kv.update(metadata or {})
            previous = existing.state if existing is not None else None
            return LedgerClaim(entry=entry, claimed=True, previous=previous)

    def ledger_update(
        self,
        channel: str,
        kind: LedgerKind,
        reference: str,
        *,
        state: LedgerState,
        remote_id: int | None = None,
        sent_lines: Mapping[str, Decimal] | None = None,
        reasons: Collection[str] = (),
        fingerprint: str | None = None,
        fence: Fence | None = None,
        release: str | None = None,
    ) -> LedgerEntry:
        with self._lock:
            self._check_fence(channel, fence)
            ledger = self._ch(channel).ledger
            existing = ledger.get((kind, reference))
            if existing is None:
                raise StateStoreError(
                    f"channel {channel!r}: no {kind.value} ledger entry for reference {reference!r}"
                )
            entry = updated_entry(
                existing,
                now=self._clock(),
                state=state,
                remote_id=remote_id,
                sent_lines=sent_lines,
                reasons=reasons,
                fingerprint=fingerprint,
            )
            ledger[(kind, reference)] = entry
            if release is not None:
                self._ch(channel).backorders.pop(release, None)
            return entry

    def ledger_begin_many(
        self,
        channel: str,
        kind: LedgerKind,
        requests: Sequence[LedgerClaimRequest],
        *,
        retry_states: Collection[LedgerState] = DEFAULT_RETRY_STATES,
        fence: Fence | None = None,
    ) -> list[LedgerClaim]:
        with self._lock:  # re-entrant: the whole batch is one step
            self._check_fence(channel, fence)
            return [
                self.ledger_begin(
                    channel,
                    kind,
                    r.reference,
                    fingerprint=r.fingerprint,
                    sent_lines=r.sent_lines,
                    host_key=r.host_key,
                    retry_states=retry_states,
                    fence=fence,
                    metadata=r.metadata,
                )
                for r in requests
            ]

    def ledger_settle_many(
        self,
        channel: str,
        kind: LedgerKind,
        settles: Sequence[LedgerSettle],
        *,
        fence: Fence | None = None,
    ) -> None:
        with self._lock:  # re-entrant: the whole batch is one step
            self._check_fence(channel, fence)
            ledger = self._ch(channel).ledger
            for settle in settles:  # all or nothing: refuse before changing anything
                if (kind, settle.reference) not in ledger:
                    raise StateStoreError(
                        f"channel {channel!r}: no {kind.value} ledger entry for reference"
                        f" {settle.reference!r}"
                    )
            for s in settles:
                self.ledger_update(
                    channel,
                    kind,
                    s.reference,
                    state=s.state,
                    remote_id=s.remote_id,
                    reasons=s.reasons,
                    fence=fence,
                    release=s.release,
                )

    def ledger_list(
        self,
        channel: str,
        kind: LedgerKind | None = None,
        *,
        states: Collection[LedgerState] | None = None,
    ) -> list[LedgerEntry]:
        with self._lock:
            entries = [
                e
                for e in self._ch(channel).ledger.values()
                if (kind is None or e.kind is kind) and (states is None or e.state in states)
            ]
        return sorted(entries, key=lambda e: (e.created_at, e.kind.value, e.reference))

    def ledger_forget(self, channel: str, kind: LedgerKind, reference: str) -> bool:
        with self._lock:
            return self._ch(channel).ledger.pop((kind, reference), None) is not None

    def ledger_prune(
        self, channel: str, *, states: Collection[LedgerState], updated_before: datetime
    ) -> int:
        with self._lock:
            ledger = self._ch(channel).ledger
            doomed = [
                k
                for k, e in ledger.items()
                if e.state in states
                and e.state is not LedgerState.PENDING
                and e.updated_at < updated_before
            ]
            for key in doomed:
                del ledger[key]
            return len(doomed)

    # ------------------------------------------------------------------ backorder queue

    def backorder_put(
        self,
        channel: str,
        order: SalesOrder,
        *,
        key: str | None = None,
        reason: str = "",
        fence: Fence | None = None,
    ) -> BackorderEntry:
        key = order.order_number if key is None else key
        with self._lock:
            self._check_fence(channel, fence)
            held = self._ch(channel).backorders
            entry = held_entry(
                held.get(key),
                channel=channel,
                key=key,
                order=order,
                reason=reason,
                now=self._clock(),
            )
            held[key] = entry
            return entry

    def backorder_get(self, channel: str, key: str) -> BackorderEntry | None:
        with self._lock:
            return self._ch(channel).backorders.get(key)

    def backorder_list(self, channel: str) -> list[BackorderEntry]:
        with self._lock:
            entries = list(self._ch(channel).backorders.values())
        return sorted(entries, key=lambda e: (e.held_since, e.key))

    def backorder_remove(self, channel: str, key: str, *, fence: Fence | None = None) -> bool:
        with self._lock:
            self._check_fence(channel, fence)
            return self._ch(channel).backorders.pop(key, None) is not None

    # ------------------------------------------------------------------ cursors

    def cursor_get(self, channel: str, action: str) -> Cursor:
        with self._lock:
            found = self._ch(channel).cursors.get(action)
            if found is None:
                return Cursor(channel=channel, action=action)
            return found.snapshot(channel, action)

    def cursor_commit(
        self,
        channel: str,
        action: str,
        delivered: Mapping[str, datetime],
        *,
        overlap: timedelta,
        watermark: datetime | None = None,
        max_keys: int = DEFAULT_SEEN_KEYS_LIMIT,
    ) -> datetime | None:
        with self._lock:
            state = self._ch(channel).cursors.setdefault(action, _CursorState())
            candidates = [t for t in (state.watermark, watermark) if t is not None]
            candidates.extend(delivered.values())
            state.watermark = max(candidates) if candidates else None
            floor = None if state.watermark is None else state.watermark - overlap
            state.seen.add(delivered, floor=floor, max_keys=max_keys)
            state.updated_at = self._clock()
            return state.watermark

    def cursor_advance(
        self,
        channel: str,
        action: str,
        delivered: Mapping[str, datetime],
        *,
        overlap: timedelta,
        watermark: datetime | None = None,
        max_keys: int = DEFAULT_SEEN_KEYS_LIMIT,
    ) -> Cursor:
        with self._lock:
            self.cursor_commit(
                channel, action, delivered, overlap=overlap, watermark=watermark, max_keys=max_keys
            )
            return self.cursor_get(channel, action)

    def cursor_reset(self, channel: str, action: str) -> None:
        with self._lock:
            self._ch(channel).cursors.pop(action, None)

    # ------------------------------------------------------------------ journal

    def journal_add(self, entry: JournalEntry) -> JournalEntry:
        with self._lock:
            stored = attrs.evolve(entry, entry_id=self._next_entry_id)
            self._next_entry_id += 1
            self._ch(entry.channel).journal[self._next_entry_id - 1] = stored
            return stored

    def journal_update(self, entry: JournalEntry) -> JournalEntry:
        with self._lock:
            journal = self._ch(entry.channel).journal
            if entry.entry_id is None or entry.entry_id not in journal:
                raise StateStoreError(
                    f"channel {entry.channel!r}: no journal entry {entry.entry_id!r} to update"
                )
            journal[entry.entry_id] = entry
            return entry

    def journal_query(
        self,
        channel: str,
        *,
        action: str | None = None,
        reference: str | None = None,
        kind: EntryKind | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        with self._lock:
            entries = list(self._ch(channel).journal.values())
        found = [
            e
            for e in reversed(entries)
            if (action is None or e.action == action)
            and (reference is None or reference in e.references)
            and (kind is None or e.kind is kind)
            and (status is None or e.status is status)
        ]
        return found if limit is None else found[: max(limit, 0)]

    def journal_prune(self, channel: str, *, keep_last: int) -> int:
        with self._lock:
            journal = self._ch(channel).journal
            doomed = sorted(journal)[: max(len(journal) - max(keep_last, 0), 0)]
            for entry_id in doomed:
                del journal[entry_id]
            return len(doomed)

    # ------------------------------------------------------------------ webhook events

    def mark_event_seen(self, channel: str, event_id: str) -> bool:
        with self._lock:
            events = self._ch(channel).events
            if event_id in events:
                return False
            events[event_id] = self._clock()
            return True

    def event_seen(self, channel: str, event_id: str) -> bool:
        with self._lock:
            return event_id in self._ch(channel).events

    def forget_events(self, channel: str, *, seen_before: datetime) -> int:
        with self._lock:
            events = self._ch(channel).events
            doomed = [e for e, at in events.items() if at < seen_before]
            for event_id in doomed:
                del events[event_id]
            return len(doomed)

    def resource_version(self, channel: str, key: str) -> datetime | None:
        with self._lock:
            return self._ch(channel).versions.get(key)

    def advance_resource_version(self, channel: str, key: str, version: datetime) -> bool:
        with self._lock:
            versions = self._ch(channel).versions
            current = versions.get(key)
            if current is not None and version <= current:
                return False
            versions[key] = version
            return True

    # ------------------------------------------------------------------ leases

    def acquire_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        return self.take_lease(channel, action, owner, ttl_seconds) is not None

    def take_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> Lease | None:
        with self._lock:
            leases = self._ch(channel).leases
            now = self._clock()
            existing = leases.get(action)
            if not may_take_lease(existing, owner, now):
                return None
            next_token = self._lease_tokens.get((channel, action), 0) + 1
            lease = taken_lease(
                existing,
                channel=channel,
                action=action,
                owner=owner,
                now=now,
                ttl_seconds=ttl_seconds,
                next_token=next_token,
            )
            if lease.token == next_token:
                self._lease_tokens[(channel, action)] = next_token
            leases[action] = lease
            return lease

    def renew_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        with self._lock:
            leases = self._ch(channel).leases
            existing = leases.get(action)
            if existing is None or existing.owner != owner:
                return False
            now = self._clock()
            leases[action] = attrs.evolve(existing, expires_at=now + timedelta(seconds=ttl_seconds))
            return True

    def release_lease(self, channel: str, action: str, owner: str) -> bool:
        with self._lock:
            leases = self._ch(channel).leases
            existing = leases.get(action)
            if existing is None or existing.owner != owner:
                return False
            del leases[action]
            return True

    def lease_info(self, channel: str, action: str) -> Lease | None:
        with self._lock:
            existing = self._ch(channel).leases.get(action)
            return existing if existing is not None and existing.live(self._clock()) else None

    # ------------------------------------------------------------------ small metadata

    def kv_get(self, channel: str, key: str) -> str | None:
        with self._lock:
            return self._ch(channel).kv.get(key)

    def kv_set(self, channel: str, key: str, value: str | None) -> None:
        with self._lock:
            kv = self._ch(channel).kv
            if value is None:
                kv.pop(key, None)
            else:
                kv[key] = value

    def kv_delete(self, channel: str, keys: Collection[str]) -> int:
        with self._lock:
            kv = self._ch(channel).kv
            return sum(kv.pop(key, None) is not None for key in set(keys))

    def kv_get_many(self, entries: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        with self._lock:
            found = {(c, k): self._ch(c).kv.get(k) for c, k in set(entries)}
        return {entry: value for entry, value in found.items() if value is not None}

    # ------------------------------------------------------------------ channels

    def channels(self) -> list[str]:
        with self._lock:
            return sorted(name for name, ch in self._channels.items() if not ch.empty())

    def delete_channel(self, channel: str) -> None:
        with self._lock:
            self._ch(channel)  # raises if closed
            self._channels.pop(channel, None)

    def now(self) -> datetime:
        return self._clock()

    def close(self) -> None:
        with self._lock:
            self._closed = True
