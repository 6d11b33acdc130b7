"""State stores: the ``StateStore`` protocol and its memory, SQLite and PostgreSQL backends."""

from ._clock import default_owner, utc_now
from ._lease import DEFAULT_LEASE_TTL, LeaseHandle, LeaseTrust, hold_lease
from ._memory import MemoryStore
from ._open import describe_store_url, open_store
from ._postgres import PostgresStore
from ._protocol import StateStore
from ._sqlite import SCHEMA_VERSION, SQLiteStore

__all__ = [
    "DEFAULT_LEASE_TTL",
    "SCHEMA_VERSION",
    "LeaseHandle",
    "LeaseTrust",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "StateStore",
    "default_owner",
    "describe_store_url",
    "hold_lease",
    "open_store",
    "utc_now",
]
