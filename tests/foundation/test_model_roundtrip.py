"""structure(unstructure(x)) == x for every model, in both directions of the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector import wire
from extensiv_connector.testing.strategies import ALL_MODELS, models

CONVERTER = wire.make_converter()


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_model_survives_an_unstructure_structure_round_trip(
    cls: type[Any], data: st.DataObject
) -> None:
    original = data.draw(models(cls))

    expected = original
    actual = CONVERTER.structure(CONVERTER.unstructure(original), cls)

    assert expected == actual


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_every_model_survives_a_trip_through_json_text(cls: type[Any], data: st.DataObject) -> None:
    original = data.draw(models(cls))

    text = wire.dumps(CONVERTER.unstructure(original))
    actual = CONVERTER.structure(wire.loads(text), cls)

    assert original == actual
    assert isinstance(json.loads(text), dict)


def test_strategies_cover_every_public_model() -> None:
    from extensiv_connector import models as model_package

    public_classes = {
        name for name in model_package.__all__ if isinstance(getattr(model_package, name), type)
    }
    enums = {name for name in public_classes if name.endswith(("Status", "Kind"))}
    expected = public_classes - enums
    actual = {cls.__name__ for cls in ALL_MODELS}

    assert expected == actual
