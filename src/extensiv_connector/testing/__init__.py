"""Test helpers shipped as public API: Hypothesis strategies, the pytest plugin and the
state-store contract class. Importing this package pulls in nothing heavy; the strategies
module needs Hypothesis and the sandbox fixture needs the ``sandbox`` extra."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._channel_machine import ChannelStateMachine

__all__ = ["ChannelStateMachine"]


def __getattr__(name: str) -> Any:
    # Imported on first use: it needs Hypothesis and the sandbox extra.
    if name == "ChannelStateMachine":
        from ._channel_machine import ChannelStateMachine

        return ChannelStateMachine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
