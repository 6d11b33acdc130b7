"""The API reference builds from the docstrings with no warning and no undocumented public name."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "build_api_reference.py"


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_api_reference", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_api_reference_builds_with_no_problem(builder: ModuleType, tmp_path: Path) -> None:
    problems = builder.build(tmp_path)

    assert [] == problems
    errors_page = (tmp_path / "extensiv_connector" / "errors.html").read_text(encoding="utf-8")
    assert "LeaseHeldError" in errors_page
    assert (tmp_path / "extensiv_connector" / "sync.html").is_file()
    assert not list(tmp_path.rglob("_*.html"))  # private modules stay out of the reference


def write_package(root: Path, name: str, body: str) -> None:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text(body, encoding="utf-8")


def test_an_undocumented_public_function_is_a_problem(
    builder: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_package(
        tmp_path,
        "undocumented_pkg",
        '"""A package."""\n__all__ = ["f", "g"]\n\n'
        "def f() -> None:\n    pass\n\n"
        'def g() -> None:\n    """Documented."""\n',
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    problems = builder.build(tmp_path / "out", ["undocumented_pkg"])

    assert ["undocumented_pkg.f: function has no docstring"] == problems


def test_an_annotation_pdoc_cannot_resolve_is_a_problem(
    builder: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_package(
        tmp_path,
        "unresolvable_pkg",
        '"""A package."""\nfrom __future__ import annotations\n'
        '__all__ = ["f"]\n\n'
        'def f(values: Undefined[int]) -> None:\n    """Documented."""\n',
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    problems = builder.build(tmp_path / "out", ["unresolvable_pkg"])

    assert 1 == len(problems)
    assert problems[0].startswith("pdoc: Error parsing type annotation Undefined[int]")
