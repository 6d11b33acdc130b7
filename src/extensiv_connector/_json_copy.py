"""One copy of JSON-like documents for every module that hands out or edits a copy."""

from __future__ import annotations

from typing import Any

__all__ = ["copy_json"]


def copy_json(value: Any) -> Any:
    """A copy of a JSON-like document: new dicts and lists, the same (immutable) leaves.

    As safe as a deep copy for whoever only replaces values inside dicts and lists (validation
    rules, a caller editing an unstructured document), at a fraction of its cost. Iterative,
    with a memo: a host's document may nest deeper than the interpreter's stack, or hold
    itself (the copy then holds itself too)."""
    if not isinstance(value, dict | list):
        return value
    root: Any = {} if isinstance(value, dict) else []
    copies = {id(value): root}
    pending = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, dict | list):
                copy = copies.get(id(item))
                if copy is None:
                    copy = copies[id(item)] = {} if isinstance(item, dict) else []
                    pending.append((item, copy))
                item = copy
            if isinstance(target, dict):
                target[key] = item
            else:
                target.append(item)
    return root
