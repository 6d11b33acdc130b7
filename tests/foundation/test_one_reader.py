"""One reader: ``wire`` (with its helper modules) is the only code that turns documents into
models. Read from the source, so a second structurer cannot creep in unnoticed."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import extensiv_connector
from extensiv_connector import _structure
from extensiv_connector.config import ChannelConfig
from extensiv_connector.errors import ConfigError

PACKAGE_DIR = Path(extensiv_connector.__file__).parent
CREDENTIALS = {
    "client_id": "client-abc",
    "client_secret": "s3cr3t-value",
    "user_login_id": "42",
    "customer_id": 418,
    "facility_id": 12,
}
#: ``wire`` and the helper modules it owns.
WIRE = {"wire.py", "_wire_codegen.py", "_structure.py"}
#: Walks model types to generate test data, never reads a document.
TYPE_WALKERS = {"testing/_model_strategies.py"}


def sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        name = path.relative_to(PACKAGE_DIR).as_posix()
        yield name, ast.parse(path.read_text(encoding="utf-8"), filename=name)


def dotted(node: ast.expr) -> str:
    """``cattrs.preconf.json.make_converter`` for that attribute chain, ``""`` otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id, *reversed(parts)])


def cattrs_uses(tree: ast.Module) -> list[str]:
    """Calls into cattrs (building a converter, structuring), classes built on its classes and
    names imported from it; ``cattrs.Converter`` in an annotation is not a use."""
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and dotted(node.func).startswith("cattrs."):
            uses.append(f"line {node.lineno}: {dotted(node.func)}()")
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if dotted(base).startswith("cattrs."):
                    uses.append(f"line {node.lineno}: class {node.name}({dotted(base)})")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cattrs"):
            uses.append(f"line {node.lineno}: from {node.module} import ...")
    return uses


def type_walks(tree: ast.Module) -> list[str]:
    """Calls that a structurer needs to walk an attrs model's field types."""
    walking = {"attrs.resolve_types", "typing.get_origin", "typing.get_type_hints"}
    return [
        f"line {node.lineno}: {dotted(node.func)}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and dotted(node.func) in walking
    ]


def test_no_module_outside_wire_builds_a_cattrs_converter_or_structures_with_cattrs() -> None:
    found = {name: uses for name, tree in sources() if (uses := cattrs_uses(tree))}

    assert "wire.py" in found  # the check sees wire's own converter
    assert {} == {name: uses for name, uses in found.items() if name not in WIRE}


def test_no_module_outside_wire_walks_model_types_to_structure_them() -> None:
    found = {name: walks for name, tree in sources() if (walks := type_walks(tree))}

    assert {"wire.py", "_structure.py"} <= set(found)
    assert {} == {name: w for name, w in found.items() if name not in WIRE | TYPE_WALKERS}


def test_the_configuration_is_read_by_wires_strict_structurer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[type] = []
    real = _structure.structure_strict

    def spy(data: object, cls: type, path: str, form: _structure.StrictForm) -> object:
        seen.append(cls)
        return real(data, cls, path, form)

    monkeypatch.setattr("extensiv_connector._settings_loader.structure_strict", spy)
    config = ChannelConfig.from_dict(
        {"credentials": CREDENTIALS, "backorder": {"minimum_partial_quantity": 2}}, environ={}
    )

    assert ChannelConfig in seen
    assert Decimal(2) == config.backorder.minimum_partial_quantity


def test_a_bad_setting_is_a_config_error_naming_its_dotted_path() -> None:
    data = {"credentials": CREDENTIALS, "backorder": {"kits": {"K": {"A": "x"}}}}
    with pytest.raises(ConfigError) as caught:
        ChannelConfig.from_dict(data, environ={})

    assert "backorder.kits.K.A" == caught.value.path
