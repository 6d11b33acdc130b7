"""Generated readers fill frozen models through a draft subclass and then assign ``__class__``:
what comes out must be indistinguishable from the model built by its ``__init__`` (same class,
same values, every slot set, still frozen), on every path that builds models."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector import wire
from extensiv_connector._draft import draft_of
from extensiv_connector.testing.strategies import ALL_MODELS, models

CONVERTER = wire.make_converter()


def assert_same_as_init(model: Any) -> None:
    cls = type(model)
    values = {f.name: getattr(model, f.name) for f in attrs.fields(cls)}  # every slot is set
    assert cls(**values) == model
    for child in values.values():
        for item in child if isinstance(child, tuple) else (child,):
            if attrs.has(type(item)):
                assert_same_as_init(item)


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_models_read_from_records_and_pages_are_their_own_class_and_frozen(
    cls: type[Any], data: st.DataObject
) -> None:
    record = CONVERTER.unstructure(data.draw(models(cls)))
    from_record = CONVERTER.structure(wire.loads(wire.dumps(record)), cls)
    page = wire.dumps({"totalResults": 1, "ResourceList": [record]})
    (from_page,) = wire.read_collection(page, cls).records

    for model in (from_record, from_page):
        assert cls is type(model)
        assert_same_as_init(model)
        name = attrs.fields(cls)[0].name
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(model, name, None)


def _as_ours(cls: type[Any]) -> type[Any]:
    """``cls`` as if it were one of the library's models (only those get drafts)."""
    cls.__module__ = "extensiv_connector.models"
    return cls


def test_a_name_that_is_no_identifier_gets_no_draft() -> None:
    @_as_ours
    @attrs.frozen
    class Plain:
        a: int

    assert draft_of(Plain, ["a", "not a name"]) is None
    assert draft_of(Plain, ["a", "class"]) is None


@pytest.mark.parametrize("refusal", [TypeError, ValueError])
def test_a_class_that_refuses_subclasses_gets_no_draft_and_is_still_read(
    refusal: type[Exception],
) -> None:
    @_as_ours
    @attrs.frozen
    class Sealed:
        a: int

        def __init_subclass__(cls, **kwargs: Any) -> None:
            raise refusal("sealed")

    assert draft_of(Sealed, ["a"]) is None
    assert Sealed(a=1) == CONVERTER.structure({"a": 1}, Sealed)


def test_a_class_with_its_own_new_gets_no_draft_and_is_still_read() -> None:
    """A draft is made by calling it: only where that makes a plain empty instance."""

    @_as_ours
    @attrs.frozen
    class Renewed:
        a: int

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return super().__new__(cls)

    assert draft_of(Renewed, ["a"]) is None
    assert Renewed(a=1) == CONVERTER.structure({"a": 1}, Renewed)


def test_a_host_class_gets_no_draft_so_it_has_no_subclass_it_did_not_make() -> None:
    """A draft would show in ``__subclasses__()`` (cattrs' ``include_subclasses`` reads it)."""

    @attrs.frozen
    class Shape:
        a: int

    read = [
        CONVERTER.structure({"a": 1}, Shape),
        *wire.read_collection('{"ResourceList": [{"a": 1}]}', Shape).records,
    ]

    assert (None, [], [Shape(a=1)] * 2) == (draft_of(Shape, ["a"]), Shape.__subclasses__(), read)


def test_host_classes_whose_init_or_hash_is_their_own_are_built_by_it() -> None:
    @attrs.frozen(init=False)
    class Trimmed:
        b: str

        def __init__(self, b: str) -> None:
            self.__attrs_init__(b=b.strip())

    @attrs.frozen(cache_hash=True)
    class Cached:
        a: int

    trimmed = CONVERTER.structure({"b": " x "}, Trimmed)
    cached = CONVERTER.structure({"a": 1}, Cached)

    assert (Trimmed(b="x"), hash(Cached(a=1))) == (trimmed, hash(cached))


def test_a_draft_is_made_once_per_class() -> None:
    @_as_ours
    @attrs.frozen
    class Twice:
        a: int

    first = draft_of(Twice, ["a"])

    assert first is not None
    assert first is draft_of(Twice, ["a"])
    assert issubclass(first, Twice)
