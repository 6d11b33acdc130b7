"""What the bench scripts share: a sandbox in its own process, interleaved rounds, and the
min/median/max line every figure is printed as.

Rounds are interleaved (A B C, A B C, ...) in one process so that a noisy neighbour slows every
contender alike; ratios are taken per round (A_i / B_i) and then summarised, so one slow round
shows as a wide max rather than a shifted median.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = [
    "Rounds",
    "cpu_and_wall",
    "external_sandbox",
    "fmt_ratio",
    "fmt_seconds",
    "process_cpu",
    "spread",
]


@contextlib.contextmanager
def external_sandbox(*args: str) -> Iterator[dict[str, Any]]:
    """``python -m extensiv_connector.sandbox ARGS`` (a separate process, as a real server is,
    so its CPU does not compete with the client's GIL); yields its connection info."""
    command = [sys.executable, "-m", "extensiv_connector.sandbox", "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=10)


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds process ``pid`` has used so far (``None`` without ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_and_wall(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(process CPU seconds, wall seconds, result) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def fmt_ratio(values: Sequence[float]) -> str:
    low, mid, high = spread(values)
    return f"{low:.2f} / {mid:.2f} / {high:.2f}x"


def fmt_seconds(values: Sequence[float]) -> str:
    low, mid, high = spread(values)
    if high < 0.01:
        return f"{low * 1e3:.2f} / {mid * 1e3:.2f} / {high * 1e3:.2f} ms"
    return f"{low:.3f} / {mid:.3f} / {high:.3f} s"


class Rounds:
    """Named measurements collected over interleaved rounds."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def ratios(self, numerator: str, denominator: str) -> list[float]:
        return [
            a / b for a, b in zip(self.values[numerator], self.values[denominator], strict=True)
        ]

    def __getitem__(self, name: str) -> list[float]:
        return self.values[name]
