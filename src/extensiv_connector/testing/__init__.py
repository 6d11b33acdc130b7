"""Test helpers shipped as public API: Hypothesis strategies, the pytest plugin, the
state-store contract class and ``ChannelStateMachine`` (the channel's promises as a stateful
property suite). Importing this package pulls in nothing heavy: Hypothesis only when it is
installed (the ``testing`` extra), the sandbox only when a machine runs."""

from __future__ import annotations

from typing import Any

try:
    from ._channel_machine import ChannelStateMachine
except ModuleNotFoundError as exc:  # without the testing extra the plugin must still load
    if exc.name != "hypothesis" and not (exc.name or "").startswith("hypothesis."):
        raise
    _MISSING: ModuleNotFoundError | None = exc
else:
    _MISSING = None

__all__ = ["ChannelStateMachine"]


def __getattr__(name: str) -> Any:
    if name == "ChannelStateMachine" and _MISSING is not None:
        raise ModuleNotFoundError(
            "ChannelStateMachine needs Hypothesis: pip install 'extensiv-connector[testing]'",
            name="hypothesis",
        ) from _MISSING
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
