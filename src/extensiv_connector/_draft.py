"""Frozen slotted models filled in at the interpreter's speed.

Generated readers build frozen attrs models without their ``__init__`` (values already
checked), so they used to set each slot through its descriptor: a C call per field. A draft is
a subclass of the model that adds no slots and has ``object.__setattr__``, so plain attribute
stores on it are the interpreter's specialised slot stores; assigning ``__class__`` then turns
it into the model (Python allows that between classes of one memory layout). For a ten-field
summary that is under half the time of the descriptor calls, and the result is the object
``cls(...)`` would have built: same class, same slots, still frozen.
"""

from __future__ import annotations

import keyword
import threading
from collections.abc import Iterable
from typing import Any

__all__ = ["draft_lines", "draft_of", "fillable"]

_DRAFTS: dict[type, type | None] = {}
_OWN_MODULES = __name__.rpartition(".")[0] + "."
_LOCK = threading.Lock()


def draft_of(cls: type, names: Iterable[str]) -> type | None:
    """The draft class of ``cls`` (created once), or ``None`` when one cannot stand in for it:
    a host's class, a name that is not a plain identifier, or a layout Python refuses to swap.

    A draft is a real subclass: ``cls.__subclasses__()`` lists it, and so do a host's
    ``__init_subclass__`` registries and cattrs' ``include_subclasses``. Only the library's own
    models get one; a host's classes are filled through their slots' descriptors."""
    if not cls.__module__.startswith(_OWN_MODULES):
        return None
    if not all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
        return None
    with _LOCK:
        if cls in _DRAFTS:
            return _DRAFTS[cls]
        draft: type | None
        try:
            draft = type(cls)(
                f"_Draft{cls.__name__}",
                (cls,),
                {
                    "__slots__": (),
                    # Both, or the stores go through a Python-level __setattr__/__delattr__.
                    "__setattr__": object.__setattr__,
                    "__delattr__": object.__delattr__,
                    # ``draft()`` is then an empty instance: a third faster than
                    # ``object.__new__(draft)``, which goes through a checking wrapper.
                    "__init__": object.__init__,
                    "__module__": cls.__module__,
                    "__qualname__": f"{cls.__qualname__}._draft",
                },
            )
            made_by: Any = (type(draft).__call__, draft.__new__)
            if made_by != (type.__call__, object.__new__):  # a metaclass's call, a __new__
                raise TypeError("draft() would not be a plain empty instance")
            probe: object = draft()
            probe.__class__ = cls
        except Exception:  # a refusal of any kind: no draft, the slow way
            draft = None
        _DRAFTS[cls] = draft
        return draft


def draft_lines(var: str, draft: str, cls: str, stores: Iterable[tuple[str, str]]) -> list[str]:
    """Source lines that build into ``var`` a model from ``(slot name, value expression)``
    pairs; ``draft`` and ``cls`` are the names bound to the draft and the model class."""
    return [
        f"{var} = {draft}()",
        *(f"{var}.{name} = {value}" for name, value in stores),
        f"{var}.__class__ = {cls}",
    ]


def fillable(cls: type) -> bool:
    """Whether a model of ``cls`` is what its slots hold: its ``__init__`` is the one attrs
    wrote (a class's own ``__init__``, ``init=False``, may change values) and it caches no hash
    (``cache_hash=True`` keeps one in a slot the generated code would leave unset)."""
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False
    return getattr(cls, "_attrs_cached_hash", None) is None
