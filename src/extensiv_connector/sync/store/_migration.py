"""``Migration``: one versioned schema step, shared by the SQLite and PostgreSQL stores."""

from __future__ import annotations

import attrs

__all__ = ["Migration"]


@attrs.frozen
class Migration:
    """One schema step: applied once, in order, inside one transaction."""

    version: int
    description: str
    statements: tuple[str, ...]
