"""``SeenWindow``: the dedupe keys a cursor remembers, updated in time proportional to the
batch (not to the window), so a long pull stays linear.

The rule is :meth:`Cursor.advanced`'s: keys older than ``watermark - overlap`` are dropped and
at most ``max_keys`` of the newest (by time, then key) are kept.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from datetime import datetime

__all__ = ["SeenWindow"]


class SeenWindow:
    """Dedupe key -> modification time, with a min-heap to evict the oldest cheaply.

    The heap may hold stale pairs (a key re-delivered with a new time); they are skipped when
    popped and compacted away when they outnumber the live keys.
    """

    def __init__(self) -> None:
        self.times: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []

    def add(
        self, delivered: Mapping[str, datetime], *, floor: datetime | None, max_keys: int
    ) -> None:
        for key, when in delivered.items():
            self.times[key] = when
            heapq.heappush(self._heap, (when, key))
        heap, times = self._heap, self.times
        while heap and ((floor is not None and heap[0][0] < floor) or len(times) > max_keys):
            when, key = heapq.heappop(heap)
            if times.get(key) == when:
                del times[key]
        if len(heap) > 2 * len(times) + 1024:
            self._heap = [(t, k) for k, t in times.items()]
            heapq.heapify(self._heap)
