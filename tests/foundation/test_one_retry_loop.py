"""Exactly one retry loop for API requests: ``Transport._call`` in ``client/_transport.py``.

Read from the source (AST): a loop that sleeps, or a loop that catches a transient API failure
(429, 5xx, transport errors, an unknown outcome), anywhere else is a second retry loop with a
budget of its own, multiplying the first (4 push attempts x 5 transport attempts = 20 POSTs).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import extensiv_connector

PACKAGE_DIR = Path(extensiv_connector.__file__).parent

THE_LOOP = "client/_transport.py:Transport._call"

# Loops that wait for something other than an API answer, each with its reason.
NOT_API_RETRIES = {
    # polls for a lease another worker holds (store call, no HTTP)
    "sync/store/_lease.py:hold_lease",
    # reconnects to PostgreSQL (the state store's own connection, no HTTP)
    "sync/store/_postgres.py:PostgresStore._run",
    # waits while a poll holds the lease of the action a webhook wants to run
    "webhooks/_dispatch.py:Dispatcher._perform",
}

TRANSIENT = frozenset(
    {
        "RateLimitedError",
        "ServerError",
        "TransportError",
        "ConnectionFailedError",
        "TimeoutError_",
        "OutcomeUnknownError",
        "ApiError",
        "RequestException",
    }
)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _sleeps(loop: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call) and "sleep" in _name(node.func).lower()
        for node in ast.walk(loop)
    )


def _catches_transient_failures(loop: ast.AST) -> bool:
    for node in ast.walk(loop):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if {_name(t) for t in caught} & TRANSIENT:
                return True
    return False


def retry_loops(source: str, where: str) -> Iterator[str]:
    """``where:Qualified.name`` of every function holding a loop that sleeps or catches a
    transient API failure."""

    def visit(node: ast.AST, scope: list[str]) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from visit(child, [*scope, child.name])
                continue
            if isinstance(child, (ast.For, ast.AsyncFor, ast.While)) and (
                _sleeps(child) or _catches_transient_failures(child)
            ):
                yield f"{where}:{'.'.join(scope)}"
            yield from visit(child, scope)

    yield from visit(ast.parse(source), [])


def library_retry_loops() -> set[str]:
    found: set[str] = set()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        where = path.relative_to(PACKAGE_DIR).as_posix()
        found.update(retry_loops(path.read_text(encoding="utf-8"), where))
    return found


def test_the_scanner_finds_a_nested_retry_loop_like_the_old_push_engine() -> None:
    source = """
class PushEngine:
    def _attempt(self, job):
        for _ in range(self._max_attempts):
            try:
                return self._create(job.payload)
            except RateLimitedError as exc:
                self._sleep(exc.retry_after)
            except (OutcomeUnknownError, ServerError):
                continue

def waits_in_a_helper():
    while True:
        try:
            return send()
        except errors.TransportError:
            pass

def polls():
    for page in pages():
        handle(page)
"""
    found = set(retry_loops(source, "m.py"))

    assert {"m.py:PushEngine._attempt", "m.py:waits_in_a_helper"} == found


def test_the_transport_holds_the_only_retry_loop_for_api_requests() -> None:
    found = library_retry_loops()

    assert THE_LOOP in found  # the scan really sees the loop it protects
    assert {THE_LOOP} == found - NOT_API_RETRIES


def test_every_excused_loop_still_exists() -> None:
    assert set() == NOT_API_RETRIES - library_retry_loops()
