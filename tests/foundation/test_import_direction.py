"""The import direction drawn in docs/architecture.md is the one the code follows.

The table in the "Import direction" section lists, for every top-level unit of the package, the
units it may import. The code's actual import graph (read from the source, deferred imports
included) must be a subset of it, and every unit must have a row, so the document cannot drift
from the code in either direction.
"""

from __future__ import annotations

import re
from pathlib import Path

import extensiv_connector

from .test_architecture import import_graph

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(extensiv_connector.__file__).parent
ROOT_UNIT = "(root)"


def declared_imports(markdown: str) -> dict[str, set[str]]:
    """Rows of the "Import direction" table: ``unit -> units it may import``."""
    section = markdown.split("## Import direction", 1)[1].split("\n## ", 1)[0]
    allowed: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        units = re.findall(r"`([^`]+)`", cells[0])
        targets = set(re.findall(r"`([^`]+)`", cells[1]))
        for unit in units:
            allowed[unit] = targets
    return allowed


def actual_imports() -> dict[str, set[str]]:
    graph = import_graph(PACKAGE_DIR, "extensiv_connector")
    units = {
        path.stem if path.is_file() else path.name
        for path in PACKAGE_DIR.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    actual: dict[str, set[str]] = {unit: set() for unit in [*units, ""]}
    for here, theres in graph.items():
        actual.setdefault(here, set()).update(theres)
    return {(unit or ROOT_UNIT): targets for unit, targets in actual.items()}


def test_declared_table_reads_units_and_their_allowed_imports() -> None:
    markdown = (
        "## Import direction\n\n| unit | may import |\n|---|---|\n"
        "| `a`, `b` | `c` (and nothing else) |\n| `c` | nothing of ours |\n\n"
        "## Next\n| `d` | `e` |\n"
    )

    assert {"a": {"c"}, "b": {"c"}, "c": set()} == declared_imports(markdown)


def test_every_unit_of_the_package_has_a_row_in_the_import_direction_table() -> None:
    declared = declared_imports((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))

    assert [] == sorted(set(actual_imports()) - set(declared))


def test_code_imports_only_what_the_import_direction_table_allows() -> None:
    declared = declared_imports((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))

    violations = sorted(
        f"{unit} imports {target}"
        for unit, targets in actual_imports().items()
        for target in targets - declared.get(unit, set())
    )

    assert [] == violations
