"""Errors of the state layer. All derive from :class:`~extensiv_connector.errors.ExtensivError`."""

from __future__ import annotations

from datetime import datetime

from ..errors import ExtensivError

__all__ = ["LeaseHeldError", "LeaseLostError", "StateStoreError"]


class StateStoreError(ExtensivError):
    """The state store cannot do what was asked (missing record, unknown schema, closed store)."""


class LeaseHeldError(StateStoreError):
    """Another worker holds the lease for this channel's action; try again later.

    ``expires_at`` is when the holder's lease runs out unless it renews (``None`` if unknown).
    """

    def __init__(self, channel: str, action: str, expires_at: datetime | None = None) -> None:
        self.channel = channel
        self.action = action
        self.expires_at = expires_at
        until = f" until {expires_at.isoformat()}" if expires_at else ""
        super().__init__(
            f"channel {channel!r}: action {action!r} is already running elsewhere"
            f" (lease held{until})"
        )


class LeaseLostError(StateStoreError):
    """A lease this worker held expired and was taken by another worker (or released)."""

    def __init__(self, channel: str, action: str) -> None:
        self.channel = channel
        self.action = action
        super().__init__(f"channel {channel!r}: lease for action {action!r} was lost")
