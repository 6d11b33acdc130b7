"""Synchronisation: the state store, push ledger, backorder queue, cursors, leases and journal."""

from ._connector import ACTIONS, Connector
from ._errors import LeaseHeldError, LeaseLostError, StateStoreError
from ._inventory import available_to_promise, level_changes
from ._journal import ActionSummary, Journal, RunRecorder
from ._plan import PlannedPush
from ._pull import ProgressCallback
from ._records import (
    DEFAULT_RETRY_STATES,
    BackorderEntry,
    Clock,
    Cursor,
    EntryKind,
    Fence,
    JournalEntry,
    Lease,
    LedgerClaim,
    LedgerEntry,
    LedgerKind,
    LedgerState,
    LogLevel,
    RunStatus,
    payload_fingerprint,
)
from ._results import (
    ActionResult,
    CancelOutcome,
    CancelResult,
    CheckResult,
    InventorySyncResult,
    LevelChange,
    ProductOutcome,
    ProductResult,
    PullResult,
    PushOutcome,
    PushResult,
    PushStatus,
)
from ._scope import targeted_lease_name
from ._telemetry import ConnectorEvent, EventHook, EventKind
from .store import (
    LeaseHandle,
    MemoryStore,
    SQLiteStore,
    StateStore,
    hold_lease,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_RETRY_STATES",
    "ActionResult",
    "ActionSummary",
    "BackorderEntry",
    "CancelOutcome",
    "CancelResult",
    "CheckResult",
    "Clock",
    "Connector",
    "ConnectorEvent",
    "Cursor",
    "EntryKind",
    "EventHook",
    "EventKind",
    "Fence",
    "InventorySyncResult",
    "Journal",
    "JournalEntry",
    "Lease",
    "LeaseHandle",
    "LeaseHeldError",
    "LeaseLostError",
    "LedgerClaim",
    "LedgerEntry",
    "LedgerKind",
    "LedgerState",
    "LevelChange",
    "LogLevel",
    "MemoryStore",
    "PlannedPush",
    "ProductOutcome",
    "ProductResult",
    "ProgressCallback",
    "PullResult",
    "PushOutcome",
    "PushResult",
    "PushStatus",
    "RunRecorder",
    "RunStatus",
    "SQLiteStore",
    "StateStore",
    "StateStoreError",
    "available_to_promise",
    "hold_lease",
    "level_changes",
    "payload_fingerprint",
    "targeted_lease_name",
]
