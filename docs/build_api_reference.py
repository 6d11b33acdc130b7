"""Build the API reference from the docstrings with pdoc, treating every problem as an error.

    .venv/bin/python docs/build_api_reference.py            # writes site/api/, exits 1 on problems

A problem is any warning pdoc raises while rendering (an annotation it cannot resolve, a module
that does not import...) and any public module, class or function without a docstring. "Public"
means reachable without an underscore: the modules whose dotted names have no ``_`` part, and the
names in their ``__all__``. ``tests/foundation/test_api_reference.py`` runs the same build into a
temporary directory, so the suite fails on the first undocumented public name.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pdoc
import pdoc.doc
import pdoc.extract
import pdoc.render

PACKAGE = "extensiv_connector"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "site" / "api"


def public_modules(package: str = PACKAGE) -> list[str]:
    """Every importable module of ``package`` whose dotted name has no underscored part."""
    root = importlib.import_module(package)
    found = [
        info.name
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    return [package, *sorted(found)]


def missing_docstrings(modules: Iterable[str]) -> list[str]:
    """Public modules, and classes and functions in their ``__all__``, that have no docstring."""
    missing: list[str] = []
    seen: set[tuple[str, str]] = set()
    for name in modules:
        module = pdoc.doc.Module(importlib.import_module(name))
        if not module.docstring:
            missing.append(f"{name}: module has no docstring")
        for member in module.members.values():
            if not isinstance(member, (pdoc.doc.Class, pdoc.doc.Function)):
                continue
            # A re-exported object is reported once, where it is defined.
            if member.taken_from in seen or member.name.startswith("_"):
                continue
            seen.add(member.taken_from)
            if not member.docstring:
                kind = "class" if isinstance(member, pdoc.doc.Class) else "function"
                missing.append(f"{'.'.join(member.taken_from)}: {kind} has no docstring")
    return missing


def _specs(modules: Sequence[str]) -> list[str]:
    """``modules`` minus those pdoc already adds as submodules of an earlier one (pdoc warns
    about a module that is named twice)."""
    specs: list[str] = []
    covered: set[str] = set()
    for name in modules:
        if name not in covered:
            specs.append(name)
            covered.update(pdoc.extract.walk_specs([name]))
    # pdoc walks into underscored submodules of a package without ``__all__``: keep them out.
    return [*specs, r"!.*\._"]


def build(output: Path, modules: Sequence[str] | None = None) -> list[str]:
    """Render the reference into ``output``; return every problem found (empty when clean)."""
    modules = list(modules) if modules is not None else public_modules()
    # The docstrings are reStructuredText: ``literal``, :class:`Name`, ``::`` blocks.
    pdoc.render.configure(docformat="restructuredtext", show_source=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*_specs(modules), output_directory=output)
    problems = [f"pdoc: {warning.message}" for warning in caught]
    return sorted(set(problems)) + missing_docstrings(modules)


def main(argv: Sequence[str]) -> int:
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    problems = build(output)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s); the reference is not publishable", file=sys.stderr)
        return 1
    print(f"API reference written to {output / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
