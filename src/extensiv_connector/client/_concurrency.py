"""Optimistic concurrency: a model with its ETag, and read-change-write with bounded retries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

from ..errors import PreconditionFailedError

__all__ = ["Versioned", "update_with_retry"]

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class Versioned(Generic[T]):
    """A resource as read, with the ``ETag`` to send back as ``If-Match``.

    Attribute reads fall through to the model, so ``client.orders.get(1).reference_num`` works;
    ``.value`` is the model itself and ``.etag`` the version (``None`` if the server sent none).
    """

    value: T
    etag: str | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.value, name)


def update_with_retry(
    read: Callable[[], Versioned[T]],
    write: Callable[[T, str | None], R],
    change: Callable[[T], T],
    *,
    attempts: int = 3,
) -> R:
    """Read, apply ``change``, write with the ETag; on 412 re-read and re-apply.

    ``change`` must be a pure function of the current state (it may run up to ``attempts``
    times). The last :class:`PreconditionFailedError` propagates when every attempt was stale.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        current = read()
        try:
            return write(change(current.value), current.etag)
        except PreconditionFailedError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
