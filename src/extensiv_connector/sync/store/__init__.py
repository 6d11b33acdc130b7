"""State stores: the ``StateStore`` protocol and its in-memory and SQLite backends."""

from ._clock import default_owner, utc_now
from ._lease import DEFAULT_LEASE_TTL, LeaseHandle, hold_lease
from ._memory import MemoryStore
from ._protocol import StateStore
from ._sqlite import SCHEMA_VERSION, SQLiteStore

__all__ = [
    "DEFAULT_LEASE_TTL",
    "SCHEMA_VERSION",
    "LeaseHandle",
    "MemoryStore",
    "SQLiteStore",
    "StateStore",
    "default_owner",
    "hold_lease",
    "utc_now",
]
