"""Tests import a name from its public module whenever one exports it.

A test that reaches into ``pkg._private`` for a name ``pkg`` exports pins an implementation
detail: moving the name between private modules would break the test without changing
behaviour. Private modules stay importable for what only they hold.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
PACKAGE = "extensiv_connector"


def private_imports_of_public_names(source: str) -> list[str]:
    """``module.name -> public module`` for each ``from pkg._x import name`` that ``pkg``
    exports in its ``__all__``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.ImportFrom) and node.module):
            continue
        parts = node.module.split(".")
        private_at = [i for i, part in enumerate(parts) if part.startswith("_")]
        if parts[0] != PACKAGE or not private_at:
            continue
        public_name = ".".join(parts[: private_at[0]])
        exported = set(getattr(importlib.import_module(public_name), "__all__", ()))
        found += [
            f"{node.module}.{alias.name} -> {public_name}"
            for alias in node.names
            if alias.name in exported
        ]
    return found


def test_finder_flags_a_private_import_of_an_exported_name_and_nothing_else() -> None:
    source = (
        "from extensiv_connector.client._errors import error_from_response\n"
        "from extensiv_connector.client._pagination import page_size_for\n"
        "from extensiv_connector.client import Client\n"
    )

    expected = [
        "extensiv_connector.client._errors.error_from_response -> extensiv_connector.client"
    ]

    assert expected == private_imports_of_public_names(source)


def test_no_test_imports_an_exported_name_from_a_private_module() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}: {hit}"
        for path in sorted(TESTS.rglob("*.py"))
        for hit in private_imports_of_public_names(path.read_text(encoding="utf-8"))
    ]

    assert [] == offenders
