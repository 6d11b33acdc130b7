"""A string that never shows itself: repr, str and format all mask it."""

from __future__ import annotations

from typing import Any

__all__ = ["Secret"]

_MASK = "********"


class Secret:
    """A secret value, optionally remembered as an environment-variable reference.

    ``reveal()`` is the only way to read it. ``env`` names the variable it came from, so a
    configuration written back to TOML keeps the reference instead of the value.
    """

    __slots__ = ("_value", "env")

    def __init__(self, value: str, env: str | None = None) -> None:
        self._value = value
        self.env = env

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(env={self.env!r})" if self.env else f"Secret({_MASK!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Where a secret came from is provenance, not identity.
        return self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        # Pickling is how a secret leaks into caches and queues; refuse rather than guess.
        raise TypeError("Secret values are not picklable")
