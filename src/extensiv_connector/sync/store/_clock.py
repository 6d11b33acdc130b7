"""The real clock and worker identity: the only places the state layer reads the environment."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timezone

__all__ = ["default_owner", "utc_now"]


def utc_now() -> datetime:
    """The default store clock: an aware UTC ``datetime``."""
    return datetime.now(timezone.utc)


def default_owner() -> str:
    """A lease owner id unique to this process and call: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
