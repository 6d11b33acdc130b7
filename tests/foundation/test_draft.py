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


def test_a_name_that_is_no_identifier_gets_no_draft() -> None:
    @attrs.frozen
    class Plain:
        a: int

    assert draft_of(Plain, ["a", "not a name"]) is None
    assert draft_of(Plain, ["a", "class"]) is None


def test_a_class_that_refuses_subclasses_gets_no_draft_and_is_still_read() -> None:
    @attrs.frozen
    class Sealed:
        a: int

        def __init_subclass__(cls, **kwargs: Any) -> None:
            raise TypeError("sealed")

    assert draft_of(Sealed, ["a"]) is None
    assert Sealed(a=1) == CONVERTER.structure({"a": 1}, Sealed)


def test_a_class_with_its_own_new_gets_no_draft_and_is_still_read() -> None:
    """A draft is made by calling it: only where that makes a plain empty instance."""

    @attrs.frozen
    class Renewed:
        a: int

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return super().__new__(cls)

    assert draft_of(Renewed, ["a"]) is None
    assert Renewed(a=1) == CONVERTER.structure({"a": 1}, Renewed)


def test_a_draft_is_made_once_per_class() -> None:
    @attrs.frozen
    class Twice:
        a: int

    first = draft_of(Twice, ["a"])

    assert first is not None
    assert first is draft_of(Twice, ["a"])
    assert issubclass(first, Twice)
