"""The ``StateStore`` protocol: everything the connector persists, namespaced by channel.

A host may supply its own backend (PostgreSQL, Redis, ...) by implementing these methods and
running :class:`extensiv_connector.testing.store_contract.StoreContract` against it.

Rules every implementation follows (the contract tests check them):

* every method is atomic; ``ledger_begin``, ``ledger_update``, ``backorder_put``,
  ``cursor_commit``, ``cursor_advance``, ``mark_event_seen``, ``advance_resource_version`` and
  the lease methods are read-modify-write and must be serialised against concurrent callers
  (threads and, for shared backends, processes);
* timestamps written by the store come from its injectable clock, which ``now()`` reads;
* records returned are immutable snapshots (frozen attrs);
* a channel's state never leaks into another channel, and ``delete_channel`` removes all of it
  (except the last fencing token handed out per lease, which must never be handed out again),
  live leases included: call it only while no push of the channel runs
  (``Connector.delete_channel`` holds the push leases while it deletes).

Exclusive claims and fencing (schema version 3 of the SQLite store):

* every lease carries a fencing ``token`` (:attr:`Lease.token`). Taking a lease that is free,
  expired or another owner's hands out a token greater than every token handed out before for
  that (channel, action), also across ``release_lease`` and ``delete_channel``; renewing, and
  re-taking one's own live lease, keep the token. A store may use one counter for all leases.
  Another owner takes a lease only once it has expired, and a take or renewal sets its expiry
  to at least "now" (taken when the call starts) plus the TTL: a holder trusts its lease
  without a read for a while on that promise (``LeaseTrust``).
* a write that carries a ``fence`` (:class:`Fence`: lease action + token) is refused with
  ``LeaseLostError``, and changes nothing, unless that lease still carries that token (it was
  not released and nobody took it over). The check and the write are one atomic step.
* ``ledger_begin(..., fence=f)`` records ``f`` as the entry's ``claim``. A ``PENDING`` entry
  is claimed again only if ``PENDING`` is in ``retry_states`` **and** its claim provably
  expired: the lease named by ``entry.claim`` is released, expired or carries another token.
  A ``PENDING`` entry without a claim fence is taken over only by a fenced caller, and a
  caller never re-claims its own fence's claim. Of concurrent callers exactly one wins.
* ``LedgerClaim.previous`` is the state before the call; a take-over from ``PENDING`` must be
  resolved by lookup before anything is sent again.

Batches (a push's claims and settles, amortised over many references):

* ``ledger_begin_many`` is ``ledger_begin`` for each request in turn, all in ONE atomic step:
  the fence is checked once, and either every claim decision and its metadata is written or,
  on an error, nothing is. A reference repeated in one call is decided against the first
  request's claim (which is then the caller's own, so it is not claimed again).
* ``ledger_settle_many`` is ``ledger_update`` for each settle in turn, in one atomic step; an
  unknown reference or a lost fence refuses the whole batch and changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

from ...models import SalesOrder
from .._records import (
    DEFAULT_RETRY_STATES,
    DEFAULT_SEEN_KEYS_LIMIT,
    BackorderEntry,
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
)

__all__ = ["StateStore"]


@runtime_checkable
class StateStore(Protocol):
    """Persistent state of one or more channels (see the module docstring for the rules)."""

    # ------------------------------------------------------------------ push ledger

    def ledger_get(self, channel: str, kind: LedgerKind, reference: str) -> LedgerEntry | None:
        """The ledger entry for ``reference``, or None if it was never pushed."""
        ...

    def ledger_get_many(
        self, channel: str, kind: LedgerKind, references: Collection[str]
    ) -> dict[str, LedgerEntry]:
        """The entries of those references that have one, by reference, in one read (a push
        screens its whole batch this way)."""
        ...

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
        """Record ``PENDING`` before sending, if no entry exists or it is in ``retry_states``
        (a ``PENDING`` entry only once its claim expired: see the module docstring).

        Atomic: of concurrent callers for one reference exactly one gets ``claimed=True``.
        Otherwise nothing is written and the existing entry is returned with ``claimed=False``.
        A successful claim increments ``attempts``, keeps ``created_at`` and records ``fence``
        as ``entry.claim``; ``previous`` is the state before the call. ``LeaseLostError`` if
        ``fence`` no longer holds. ``metadata`` (key-value pairs, as ``kv_set``) is written in
        the same transaction, only when the claim succeeds.
        """
        ...

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
        """Move an existing entry to ``state``; ``None`` arguments keep the stored values and
        ``reasons`` is replaced. ``release`` names a backorder key to stop holding in the same
        transaction. Raises ``StateStoreError`` if the entry does not exist (nothing is
        changed then) and ``LeaseLostError`` if ``fence`` no longer holds."""
        ...

    def ledger_begin_many(
        self,
        channel: str,
        kind: LedgerKind,
        requests: Sequence[LedgerClaimRequest],
        *,
        retry_states: Collection[LedgerState] = DEFAULT_RETRY_STATES,
        fence: Fence | None = None,
    ) -> list[LedgerClaim]:
        """``ledger_begin`` for every request, in order, as one transaction; one answer per
        request, in the same order. ``LeaseLostError`` (nothing written) if ``fence`` no
        longer holds. A push claims a window of references this way before sending them."""
        ...

    def ledger_settle_many(
        self,
        channel: str,
        kind: LedgerKind,
        settles: Sequence[LedgerSettle],
        *,
        fence: Fence | None = None,
    ) -> None:
        """``ledger_update`` for every settle, in order, as one transaction (nothing is read
        back: a push settles its outcomes in groups and needs no answer).
        ``StateStoreError`` if any reference has no entry and ``LeaseLostError`` if
        ``fence`` no longer holds (nothing is changed then)."""
        ...

    def ledger_list(
        self,
        channel: str,
        kind: LedgerKind | None = None,
        *,
        states: Collection[LedgerState] | None = None,
    ) -> list[LedgerEntry]:
        """Entries of the channel (optionally one kind, some states), oldest first."""
        ...

    def ledger_forget(self, channel: str, kind: LedgerKind, reference: str) -> bool:
        """Remove one entry (True if it existed), e.g. after the host deleted the order."""
        ...

    def ledger_prune(
        self, channel: str, *, states: Collection[LedgerState], updated_before: datetime
    ) -> int:
        """Delete the entries in ``states`` last updated before ``updated_before``; returns
        how many. ``PENDING`` entries are never deleted (their outcome is unknown). Deleted
        data must not stay readable in the backend's files (SQLite: ``secure_delete`` and a
        WAL checkpoint)."""
        ...

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
        """Hold ``order`` under ``key`` (default: its order number). Re-putting keeps the first
        ``held_since`` and counts one more evaluation. ``LeaseLostError`` if ``fence`` no
        longer holds."""
        ...

    def backorder_get(self, channel: str, key: str) -> BackorderEntry | None: ...

    def backorder_list(self, channel: str) -> list[BackorderEntry]:
        """Held orders, oldest ``held_since`` first (ties by key)."""
        ...

    def backorder_remove(self, channel: str, key: str, *, fence: Fence | None = None) -> bool:
        """Stop holding ``key`` (True if it was held). ``LeaseLostError`` if ``fence`` no
        longer holds."""
        ...

    # ------------------------------------------------------------------ cursors

    def cursor_get(self, channel: str, action: str) -> Cursor:
        """The cursor of ``action`` (an empty cursor if the action never advanced)."""
        ...

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
        """Apply the :meth:`Cursor.advanced` rule to the stored cursor in one transaction and
        return the new watermark, without reading the remembered keys back.

        Pulls call this once per batch of acknowledged records, so its cost must follow the
        batch, not the window: keep the keys in an indexed table (or equivalent), not a blob.
        """
        ...

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
        """Atomically apply :meth:`Cursor.advanced` to the stored cursor and save it.

        Call only after the host has handled the ``delivered`` records."""
        ...

    def cursor_reset(self, channel: str, action: str) -> None:
        """Forget the cursor: the next pull starts from the beginning."""
        ...

    # ------------------------------------------------------------------ journal

    def journal_add(self, entry: JournalEntry) -> JournalEntry:
        """Store a new entry; returns it with ``entry_id`` assigned (increasing)."""
        ...

    def journal_update(self, entry: JournalEntry) -> JournalEntry:
        """Replace the entry with the same ``entry_id`` and channel (``StateStoreError`` if
        there is none)."""
        ...

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
        """Matching entries, newest (highest ``entry_id``) first."""
        ...

    def journal_prune(self, channel: str, *, keep_last: int) -> int:
        """Delete all but the newest ``keep_last`` entries of the channel; returns how many."""
        ...

    # ------------------------------------------------------------------ webhook events

    def mark_event_seen(self, channel: str, event_id: str) -> bool:
        """Remember a webhook event id; True if it was new (process it), False if a repeat."""
        ...

    def event_seen(self, channel: str, event_id: str) -> bool:
        """Whether ``event_id`` is remembered (read only; ``mark_event_seen`` records it)."""
        ...

    def forget_events(self, channel: str, *, seen_before: datetime) -> int:
        """Drop remembered event ids first seen before ``seen_before``; returns how many."""
        ...

    def resource_version(self, channel: str, key: str) -> datetime | None:
        """The newest event time applied for a resource key (e.g. ``order:123``)."""
        ...

    def advance_resource_version(self, channel: str, key: str, version: datetime) -> bool:
        """Record ``version`` if it is newer than the stored one. True if it was newer (apply
        the event), False if an equal or newer event was already applied (drop it)."""
        ...

    # ------------------------------------------------------------------ leases

    def acquire_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        """Take the lease if free, expired or already ``owner``'s (then it is renewed)."""
        ...

    def take_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> Lease | None:
        """Like :meth:`acquire_lease`, returning the lease with its fencing token (``None``
        if another owner holds it live). A new holder gets a token greater than any before."""
        ...

    def renew_lease(self, channel: str, action: str, owner: str, ttl_seconds: float) -> bool:
        """Extend ``owner``'s lease, keeping its token; False if another owner holds it or it
        was released."""
        ...

    def release_lease(self, channel: str, action: str, owner: str) -> bool:
        """Give the lease up; False if ``owner`` did not hold it."""
        ...

    def lease_info(self, channel: str, action: str) -> Lease | None:
        """The live lease of ``action``, or None if free (expired leases count as free)."""
        ...

    # ------------------------------------------------------------------ small metadata

    def kv_get(self, channel: str, key: str) -> str | None: ...

    def kv_set(self, channel: str, key: str, value: str | None) -> None:
        """Set a small string value; ``None`` deletes it."""
        ...

    def kv_delete(self, channel: str, keys: Collection[str]) -> int:
        """Delete many keys at once (absent keys are ignored); returns how many existed."""
        ...

    def kv_get_many(self, entries: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The values of many ``(channel, key)`` entries, of any channels, in one read; absent
        entries are left out of the answer."""
        ...

    # ------------------------------------------------------------------ channels

    def channels(self) -> list[str]:
        """Every channel with any stored state, sorted."""
        ...

    def delete_channel(self, channel: str) -> None:
        """Remove all state of ``channel``: ledger, backorders, cursors, journal, events,
        resource versions, leases and metadata."""
        ...

    def close(self) -> None:
        """Release resources; the store must not be used afterwards."""
        ...

    # ------------------------------------------------------------------ time

    def now(self) -> datetime:
        """The store's current time, read from the clock it stamps entries and judges lease
        expiry with (the injected ``clock=``; an aware UTC ``datetime`` by default). A push
        measures how long a claim has been in flight against it, so both sides of that
        comparison come from one clock."""
        ...
