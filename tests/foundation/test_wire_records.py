"""``converter.structure(record, Model)`` reads a parsed record through the typed mirror
(``msgspec.convert`` into the class's mirror Struct, then the mirror's build) and gives exactly
what the general path gives, models or errors, for any document: before and after the typed
reader has learned a class's unknown keys, whatever Python values the document holds.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector import _wire_codegen, _wire_typed, wire
from extensiv_connector.errors import WireFormatError
from extensiv_connector.models import Order, StockSummary, WebhookEvent
from extensiv_connector.testing.strategies import ALL_MODELS, json_values, models
from extensiv_connector.wire import _Structurer

from .test_wire_pages import RELS, needs_msgspec, new_typed_reader
from .test_wire_reader import mutate, pascal

GENERAL = _Structurer(compiled=False)
CONVERTER = wire.make_converter()
pytestmark = needs_msgspec


def outcome(read: Any, document: Any) -> Any:
    try:
        return ("value", read(document))
    except WireFormatError as exc:
        return ("error", exc.json_path, str(exc))


class Spy:
    """A typed reader's ``record_reader`` that counts the records its mirror read."""

    def __init__(self, typed: _wire_typed.TypedReader) -> None:
        self.typed = typed
        self.fallbacks = 0

    def reader(self, cls: type[Any]) -> Any:
        structurer = _Structurer()

        def fallback(data: Any) -> Any:
            self.fallbacks += 1
            return structurer.reader(cls)(data)

        return self.typed.record_reader(cls, fallback)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> _wire_typed.TypedReader:
    """A fresh converter over a typed reader that has learned nothing yet."""
    reader = new_typed_reader()
    monkeypatch.setattr(wire, "_TYPED", reader)
    return reader


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_structure_agrees_with_the_general_path_on_any_document_before_and_after_learning(
    cls: type[Any], data: st.DataObject
) -> None:
    document = CONVERTER.unstructure(data.draw(models(cls)))
    if data.draw(st.booleans()):
        document = pascal(document)
    document = mutate(document, cast(st.DrawFn, data.draw))  # same drawing, typed as one
    converter = wire.make_converter()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wire, "_TYPED", new_typed_reader())
        expected = outcome(GENERAL.reader(cls), document)

        first = outcome(lambda d: converter.structure(d, cls), document)
        again = outcome(lambda d: converter.structure(d, cls), document)  # keys learned

    assert expected == first
    assert expected == again


# Python values a parsed document never holds, but a caller's may: the general path decides.
ODD_VALUES = [
    Decimal("NaN"),
    Decimal("-Infinity"),
    Decimal("1E+41"),
    Decimal("1E-41"),
    Decimal("0E+99999"),
    Decimal("2.50"),
    1.5,
    float("nan"),
    True,
    10**40,
    10**40 - 1,  # the widest integer the typed path takes itself: a cache miss, never cached
    -(10**40) + 1,
    10**41,
    2**63,
    2**31,  # just outside the shared Decimal cache's span
    2**31 - 1,  # the widest it remembers
    -(2**31) + 1,
    "7",
    " 7 ",
    "1" * 101,
    "2026-11-30T12:00:00.1234567",
    b"bytes",
    (1, 2),
    OrderedDict(a=1),
    {"nested": {"deep": [1, 2]}},
]
SLOTS = [
    (StockSummary, lambda v: {"itemIdentifier": {"sku": "A", "id": 1}, "onHand": v}),
    (StockSummary, lambda v: {"itemIdentifier": {"sku": "A", "id": v}}),
    (StockSummary, lambda v: {"qualifier": v}),
    (StockSummary, lambda v: {"facilityId": v, "x-extra": v}),
    (Order, lambda v: {"referenceNum": "R", "readOnly": {"orderId": v}}),
    (Order, lambda v: {"referenceNum": "R", "readOnly": {"creationDate": v}}),
    (WebhookEvent, lambda v: {"wmsEventId": 1, "eventType": "X", "data": v}),
    (Order, lambda v: {"referenceNum": "R", "_embedded": {RELS + "orders/item": [{"qty": v}]}}),
]


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
@pytest.mark.parametrize(("cls", "make"), SLOTS, ids=lambda v: getattr(v, "__name__", "slot"))
def test_odd_python_values_anywhere_give_the_general_answer(
    value: Any, cls: type[Any], make: Any
) -> None:
    document = make(value)

    assert outcome(GENERAL.reader(cls), document) == outcome(
        CONVERTER.get_structure_hook(cls), document
    )


def test_integer_quantities_read_exactly_and_only_small_ones_are_remembered() -> None:
    values = [0, 7, 2**31 - 1, 2**31, -(2**31) + 1, 10**40 - 1, -(10**40) + 1]
    documents = [{"itemIdentifier": {"sku": "A", "id": 1}, "onHand": v} for v in values * 2]

    read = [CONVERTER.structure(d, StockSummary).on_hand for d in documents]

    assert [Decimal(v) for v in values * 2] == read
    assert all(-(2**31) < n < 2**31 for n in _wire_codegen.DECIMALS)
    assert {0, 7, 2**31 - 1, -(2**31) + 1} <= set(_wire_codegen.DECIMALS)


class Code(enum.IntEnum):
    SEVEN = 7


@pytest.mark.parametrize("read", ["general", "structure"])
def test_an_int_enum_in_an_int_field_is_read_as_a_plain_int(read: str) -> None:
    document = {"itemIdentifier": {"sku": "A", "id": Code.SEVEN}, "facilityId": Code.SEVEN}
    if read == "general":
        summary = GENERAL.reader(StockSummary)(document)
    else:
        summary = CONVERTER.structure(document, StockSummary)

    assert (int, int) == (type(summary.facility_id), type(summary.item_identifier.id))
    assert (7, 7) == (summary.facility_id, summary.item_identifier.id)


def test_a_dict_field_is_a_copy_as_on_the_general_path() -> None:
    data = {"orderId": 1}
    document = {"wmsEventId": 1, "eventType": "OrderUpdate", "data": data}

    event = CONVERTER.structure(document, WebhookEvent)

    assert (data, False) == (event.data, event.data is data)


@settings(max_examples=60, deadline=None)
@given(
    sku=st.text(max_size=8),
    item_id=st.integers(-(2**63), 2**63 - 1) | st.none(),
    quantities=st.lists(
        st.integers(0, 10**6)
        | st.decimals(
            places=3, allow_nan=False, allow_infinity=False, max_value=10**12, min_value=-(10**12)
        ),
        min_size=6,
        max_size=6,
    ),
)
def test_stock_summaries_the_api_writes_are_read_by_the_mirror_itself(
    sku: str, item_id: int | None, quantities: list[Any]
) -> None:
    """Not a fallback in disguise: the typed reader gives the model without its fallback."""
    keys = ["totalReceived", "allocated", "available", "onHold", "onHand", "orderedNotAllocated"]
    row = {"facilityId": 3, "itemIdentifier": {"sku": sku, "id": item_id}, "qualifier": ""}
    row.update(zip(keys, quantities, strict=True))
    spy = Spy(new_typed_reader())

    actual = spy.reader(StockSummary)(row)

    assert (GENERAL.reader(StockSummary)(row), 0) == (actual, spy.fallbacks)


def test_an_order_with_links_is_read_by_the_mirror_once_its_unknown_keys_are_learned(
    fresh: _wire_typed.TypedReader,
) -> None:
    order = {
        "referenceNum": "R-1",
        "_links": {"self": {"href": "/orders/1{?detail}"}},
        "readOnly": {"orderId": 1, "asnCandidate": 0, "creationDate": "2026-11-30T12:32:57.8"},
        "_embedded": {RELS + "orders/item": [{"qty": 2, "readOnly": {"isNew": True}}]},
    }
    spy = Spy(fresh)
    converter = wire.make_converter()

    first = converter.structure(order, Order)  # the generated reader; then its keys are learned
    read = spy.reader(Order)
    second = read(order)

    assert (GENERAL.reader(Order)(order), 0) == (second, spy.fallbacks)
    assert first == second
    assert {"_links": {"self": {"href": "/orders/1{?detail}"}}} == second.extra


def test_a_deep_value_kept_in_extra_is_read_by_the_mirror_as_the_general_path_keeps_it() -> None:
    """Pages bound the depth of what they keep (the guard's limit); a parsed record's values
    are kept as they are, as the general path keeps them."""
    deep: Any = 1
    for _ in range(60):
        deep = [deep]
    row = {"itemIdentifier": {"sku": "A"}, "onHand": 4, "x-deep": deep}
    spy = Spy(new_typed_reader())
    read = spy.reader(StockSummary)

    first = read(row)  # refused for the unknown key, which is learned
    second = read(row)

    assert (GENERAL.reader(StockSummary)(row), 1) == (second, spy.fallbacks)
    assert first == second


def test_a_reader_made_before_a_key_was_learned_elsewhere_reads_with_the_new_mirror() -> None:
    row = {"itemIdentifier": {"sku": "A"}, "onHand": 4, "x-later": 1}
    typed = new_typed_reader()
    early, teacher = Spy(typed), Spy(typed)
    read_early = early.reader(StockSummary)  # made while the mirror knows no extra key

    teacher.reader(StockSummary)(row)  # refused for the unknown key, which is learned
    actual = read_early(row)

    assert (GENERAL.reader(StockSummary)(row), 0, 1) == (
        actual,
        early.fallbacks,
        teacher.fallbacks,
    )


def test_a_pascal_case_record_is_read_by_the_generated_reader() -> None:
    row = pascal({"itemIdentifier": {"sku": "A"}, "onHand": 4, "x-new": [1]})
    spy = Spy(new_typed_reader())

    actual = spy.reader(StockSummary)(row)

    assert (GENERAL.reader(StockSummary)(row), 1) == (actual, spy.fallbacks)


def test_after_a_refusal_that_teaches_nothing_the_next_records_skip_the_mirror_for_a_while() -> (
    None
):
    row = {"itemIdentifier": {"sku": "A"}, "onHand": 4}
    spy = Spy(new_typed_reader())
    read = spy.reader(StockSummary)

    models = [read(pascal(row))] + [read(row) for _ in range(_wire_typed.BACK_OFF)]
    skipped = spy.fallbacks
    models.append(read(row))  # the mirror again

    assert (1 + _wire_typed.BACK_OFF, 1 + _wire_typed.BACK_OFF) == (skipped, spy.fallbacks)
    assert [GENERAL.reader(StockSummary)(row)] * (2 + _wire_typed.BACK_OFF) == models


def test_a_stream_of_records_the_mirror_refuses_generates_its_read_only_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each back-off ends by asking for the newest read: the same mirror's is kept, not made
    again (a compile per BACK_OFF + 1 records would cost far more than the refusals)."""
    generated: list[str] = []
    compile_entry = _wire_typed._Source.compile_entry

    def counting(self: Any, label: str, env: dict[str, Any]) -> Any:
        generated.append(label)
        return compile_entry(self, label, env)

    monkeypatch.setattr(_wire_typed._Source, "compile_entry", counting)
    row = pascal({"itemIdentifier": {"sku": "A"}, "onHand": 4})
    read = new_typed_reader().record_reader(StockSummary, GENERAL.reader(StockSummary))

    models = [read(row) for _ in range(5 * (_wire_typed.BACK_OFF + 1))]

    assert (1, [GENERAL.reader(StockSummary)(row)] * len(models)) == (len(generated), models)


def test_threads_that_structure_records_while_keys_are_learned_all_get_the_same_models(
    fresh: _wire_typed.TypedReader,
) -> None:
    documents = [
        {"referenceNum": f"R-{n}", f"x-key-{n % 5}": n, "readOnly": {"orderId": n, f"r{n % 3}": 1}}
        for n in range(40)
    ]
    expected = [GENERAL.reader(Order)(d) for d in documents]
    converter = wire.make_converter()
    barrier = threading.Barrier(8)

    def read(_: int) -> list[Any]:
        barrier.wait()
        return [converter.structure(d, Order) for d in documents * 3]

    with ThreadPoolExecutor(8) as pool:
        actual = list(pool.map(read, range(8)))

    assert [expected * 3] * 8 == actual


@given(json_values(4))
@settings(max_examples=100, deadline=None)
def test_any_json_value_as_a_record_gives_the_general_answer(value: Any) -> None:
    for cls in (StockSummary, Order):
        assert outcome(GENERAL.reader(cls), value) == outcome(
            CONVERTER.get_structure_hook(cls), value
        )
