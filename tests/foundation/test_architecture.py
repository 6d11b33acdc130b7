"""The code base's own shape: one exception tree, and no import cycle between packages."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import extensiv_connector
from extensiv_connector import errors

PACKAGE_DIR = Path(extensiv_connector.__file__).parent
_TREE_LINE = re.compile(r"^    (?P<indent>(?:[│ ] {3}|[├└]── )*)(?P<name>[A-Z]\w+)\b")


def all_modules() -> list[ModuleType]:
    names = [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="extensiv_connector.")
        if not info.name.endswith(".__main__")
    ]
    return [extensiv_connector, *(importlib.import_module(name) for name in sorted(names))]


def is_public(module: ModuleType) -> bool:
    return not any(part.startswith("_") for part in module.__name__.split("."))


def exception_classes(namespace: Mapping[str, object]) -> Iterator[tuple[str, type]]:
    for name, value in namespace.items():
        if inspect.isclass(value) and issubclass(value, BaseException):
            yield name, value


def drawn_tree() -> dict[str, str | None]:
    """``{class name: parent name}`` as drawn in ``errors.py``'s docstring."""
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        match = _TREE_LINE.match(line)
        if match is None:
            continue
        depth = len(match["indent"]) // 4
        del stack[depth:]
        parents[match["name"]] = stack[-1] if stack else None
        stack.append(match["name"])
    return parents


def test_the_drawn_tree_is_read_from_the_errors_docstring() -> None:
    tree = drawn_tree()

    assert None is tree["ExtensivError"]
    assert "BadRequestError" == tree["DuplicateError"]
    assert "ExtensivError" == tree["OutcomeUnknownError"]


def test_every_exception_class_defined_in_the_library_is_an_extensiv_error_in_the_tree() -> None:
    tree = drawn_tree()
    outside_the_root: list[str] = []
    not_drawn: list[str] = []
    for module in all_modules():
        for name, cls in exception_classes(vars(module)):
            # Underscored classes are internal control-flow signals that never escape their module.
            if cls.__module__ != module.__name__ or name.startswith("_"):
                continue
            if not issubclass(cls, errors.ExtensivError):
                outside_the_root.append(f"{module.__name__}.{name}")
            if name not in tree:
                not_drawn.append(f"{module.__name__}.{name}")

    assert [] == outside_the_root
    assert [] == not_drawn


def test_public_modules_export_only_extensiv_errors() -> None:
    foreign: list[str] = []
    for module in filter(is_public, all_modules()):
        exported = getattr(module, "__all__", [])
        namespace = {name: getattr(module, name) for name in exported}
        for name, cls in exception_classes(namespace):
            if not issubclass(cls, errors.ExtensivError):
                foreign.append(f"{module.__name__}.{name}")

    assert [] == foreign


def test_every_class_in_the_drawn_tree_exists_under_the_parent_drawn_for_it() -> None:
    defined = {
        name: cls
        for module in all_modules()
        for name, cls in exception_classes(vars(module))
        if cls.__module__.startswith("extensiv_connector")
    }
    wrong: list[str] = []
    for name, parent in drawn_tree().items():
        cls = defined.get(name)
        if cls is None:
            wrong.append(f"{name}: not defined anywhere")
        elif parent is not None and parent not in [base.__name__ for base in cls.__bases__]:
            wrong.append(f"{name}: drawn under {parent}, bases are {cls.__bases__}")

    assert [] == wrong


def test_old_import_paths_give_the_same_error_classes() -> None:
    from extensiv_connector import backorder, sandbox, sync, webhooks

    assert errors.LeaseHeldError is sync.LeaseHeldError
    assert errors.StateStoreError is sync.StateStoreError
    assert errors.UnitConversionError is backorder.UnitConversionError
    assert errors.WebhookOverloadedError is webhooks.WebhookOverloadedError
    assert errors.SandboxError is sandbox.SandboxError
    assert issubclass(sandbox.SandboxError, ValueError)


def test_every_private_module_says_what_it_exports_with_all() -> None:
    private = [module for module in all_modules() if not is_public(module)]
    without = {module.__name__ for module in private if not hasattr(module, "__all__")}

    assert "extensiv_connector.sync._push_engine" in {module.__name__ for module in private}
    assert [] == sorted(without)


# --------------------------------------------------------------------------- import graph


def top_level_unit(module: str) -> str:
    """``extensiv_connector.sync.store._sqlite`` -> ``sync``; the package itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def import_graph(package_dir: Path, package: str) -> dict[str, set[str]]:
    """Edges between the top-level packages and modules of ``package``, read from the source.

    Every import counts, including ones inside functions and ``if TYPE_CHECKING:`` blocks: a
    deferred import still ties the two packages together.
    """
    graph: dict[str, set[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        is_init = parts[-1] == "__init__"
        if is_init:
            parts.pop()
        here = top_level_unit(".".join(parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = parts if is_init else parts[:-1]
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                targets = [target]
                if target == package:  # ``from extensiv_connector import sync``
                    targets += [f"{package}.{alias.name}" for alias in node.names]
            for target in targets:
                there = top_level_unit(target)
                if target.split(".")[0] == package and there and there != here:
                    graph.setdefault(here, set()).add(there)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_cycle_finder_reports_a_three_package_circle_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}}

    assert [["a", "b", "c"]] == cycles(graph)


def test_import_graph_sees_relative_absolute_and_deferred_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .sub import thing\n")
    (pkg / "sub" / "__init__.py").write_text("def f():\n    from ..other import x\n")
    (pkg / "other.py").write_text("from pkg import sub\nimport pkg.sub.deep\n")

    graph = import_graph(pkg, "pkg")

    assert {"": {"sub"}, "sub": {"other"}, "other": {"sub"}} == graph
    assert [["other", "sub"]] == cycles(graph)


def test_there_is_no_import_cycle_between_the_top_level_packages() -> None:
    graph = import_graph(PACKAGE_DIR, "extensiv_connector")

    assert "errors" in graph.get("webhooks", set())  # the graph is really read
    assert [] == cycles(graph)


# --------------------------------------------------------------------------- standing alone

REPOSITORY = Path(__file__).resolve().parents[2]
# Built from pieces so that this file does not match itself.
_OUTSIDE = re.compile("|".join(["shared" + "/", "extensiv-api" + r"\.md", "reference " + "§"]))


def test_the_project_cites_no_document_outside_the_repository() -> None:
    files = [REPOSITORY / name for name in ("README.md", "CHANGELOG.md", "pyproject.toml")]
    for folder in ("src", "tests", "docs", "bench"):
        files += [
            p for p in (REPOSITORY / folder).rglob("*") if p.suffix in {".py", ".md", ".toml"}
        ]

    citing = [
        f"{path.relative_to(REPOSITORY)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OUTSIDE.search(line)
    ]

    assert [] == citing
