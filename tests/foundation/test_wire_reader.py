"""The generated per-class readers give exactly what the general reader gives, for any document.

The general path (``_Structurer(compiled=False)``) is the specification: it matches keys
case-insensitively, keeps unknown keys in ``extra`` and names the JSON path of a wrong shape.
The generated readers only take the exact wire form and decline the rest, so for every document
(well-formed, re-cased, with unknown keys, or broken) both must agree on the value or the error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector import _json_decode, _json_guard, wire
from extensiv_connector._wire_codegen import MISS
from extensiv_connector.errors import WireFormatError
from extensiv_connector.models import Order, StockSummary
from extensiv_connector.testing.strategies import ALL_MODELS, json_values, models
from extensiv_connector.wire import _Structurer

CONVERTER = wire.make_converter()
GENERAL = _Structurer(compiled=False)
EMBED = "http://api.3plCentral.com/rels/orders/item"
T = TypeVar("T")


class Draw(Protocol):
    """``DataObject.draw``: ``st.DrawFn`` also demands ``__signature__``, which a bound method
    lacks as far as mypy knows."""

    def __call__(self, strategy: st.SearchStrategy[T], label: object = None) -> T: ...


def outcome(structure: Any, document: Any, cls: type[Any]) -> Any:
    try:
        return ("value", structure(document, cls))
    except WireFormatError as exc:
        return ("error", exc.json_path, str(exc))


def pascal(value: Any) -> Any:
    if isinstance(value, dict):
        return {(k[:1].upper() + k[1:] if k[:1] != "_" else k): pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return value


def mutate(document: Any, draw: Draw) -> Any:
    """Re-case, drop, add, retype or break some keys, recursively."""
    if isinstance(document, list):
        return [mutate(item, draw) for item in document]
    if not isinstance(document, dict):
        return document
    out: dict[str, Any] = {}
    for key, value in document.items():
        action = draw(st.sampled_from(["keep"] * 6 + ["upper", "snake", "drop", "retype", "null"]))
        if action == "upper":
            out[key.upper()] = value
        elif action == "snake":
            out["_".join(key)] = value
        elif action == "retype":
            out[key] = draw(json_values(3))
        elif action == "null":
            out[key] = None
        elif action != "drop":
            out[key] = mutate(value, draw)
    if draw(st.booleans()):
        out[draw(st.sampled_from(["x-new", "_links", "Unmodelled"]))] = draw(json_values(3))
    return out


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_generated_reader_agrees_with_the_general_reader_on_any_document(
    cls: type[Any], data: st.DataObject
) -> None:
    document = CONVERTER.unstructure(data.draw(models(cls)))
    if data.draw(st.booleans()):
        document = pascal(document)
    document = mutate(document, data.draw)

    expected = outcome(GENERAL.structure, document, cls)
    actual = outcome(CONVERTER.structure, document, cls)

    assert expected == actual


@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_generated_reader_takes_the_documents_the_api_writes(
    cls: type[Any], data: st.DataObject
) -> None:
    """Not a fallback in disguise: the exact wire form (either casing) is read by the
    generated code itself."""
    original = data.draw(models(cls))
    document = wire.loads(wire.dumps(CONVERTER.unstructure(original)))
    if data.draw(st.booleans()):
        document = pascal(document)  # also re-cases free dict keys (references), hence:
    expected = GENERAL.structure(document, cls)

    actual = _Structurer().fast(cls)(document)

    assert expected == actual


def test_stock_summary_row_in_both_casings_reads_exact_decimals_and_keeps_unknown_keys() -> None:
    row = wire.loads(
        '{"itemIdentifier": {"sku": "A", "id": 1}, "qualifier": "", "totalReceived": 10,'
        ' "allocated": 4, "available": 5.10, "onHold": 0, "onHand": 6, "facilityId": 3,'
        ' "_links": [1, 2]}'
    )
    plain = pascal(row)

    summaries = [CONVERTER.structure(doc, StockSummary) for doc in (row, plain)]

    expected = ("A", Decimal("5.10"), "5.10", 3, {"_links": [1, 2]})
    assert [expected, expected] == [
        (s.item_identifier.sku, s.available, str(s.available), s.facility_id, s.extra)
        for s in summaries
    ]


def test_hal_order_with_embedded_items_is_read_by_the_generated_reader() -> None:
    document = {
        "referenceNum": "R-1",
        "readOnly": {"orderId": 7, "status": 0},
        "_links": {"self": {"href": "/orders/7"}},
        "_embedded": {EMBED: [{"itemIdentifier": {"sku": "A"}, "qty": 2}]},
    }

    order = _Structurer().fast(Order)(document)

    assert MISS is not order
    assert ("R-1", 7, Decimal(2), {"_links": {"self": {"href": "/orders/7"}}}) == (
        order.reference_num,
        order.order_id,
        order.order_items[0].qty,
        order.extra,
    )


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"available": "lots"}, "$.available"),
        ({"itemIdentifier": {"id": "x1"}}, "$.itemIdentifier.id"),
        ({"Available": 1, "available": [1]}, "$.available"),
        ([1, 2], "$"),
    ],
)
def test_a_wrong_shape_still_names_its_json_path(document: Any, path: str) -> None:
    with pytest.raises(WireFormatError) as caught:
        CONVERTER.structure(document, StockSummary)

    assert path == caught.value.json_path


HOSTILE_NUMBERS = [
    Decimal("NaN"),
    Decimal("-Infinity"),
    float("nan"),
    float("inf"),
    Decimal("1E+1000000"),
    Decimal("1E-1000000"),
    Decimal("1E+41"),
    Decimal("0E+99999"),  # zero: accepted whatever its exponent
    10**40 - 1,
    10**40,
    -(10**41),
    10**41 - 1,
    10**50,
]
# Where each lands: an int field, a quantity, an optional int inside a nested object.
NUMBER_SLOTS: list[tuple[type[Any], Callable[[Any], dict[str, Any]], str]] = [
    (StockSummary, lambda n: {"available": n}, "$.available"),
    (StockSummary, lambda n: {"facilityId": n}, "$.facilityId"),
    (StockSummary, lambda n: {"itemIdentifier": {"sku": "A", "id": n}}, "$.itemIdentifier.id"),
    (Order, lambda n: {"referenceNum": "R", "readOnly": {"orderId": n}}, "$.readOnly.orderId"),
    (
        Order,
        lambda n: {"referenceNum": "R", "_embedded": {EMBED: [{"qty": n}]}},
        f"$._embedded[{EMBED!r}][0].qty",
    ),
]


@pytest.mark.parametrize("number", HOSTILE_NUMBERS, ids=repr)
@pytest.mark.parametrize(("cls", "make", "path"), NUMBER_SLOTS, ids=lambda v: str(v)[-24:])
def test_generated_reader_refuses_the_numbers_the_general_reader_refuses(
    number: Any, cls: type[Any], make: Any, path: str
) -> None:
    document = make(number)

    expected = outcome(GENERAL.structure, document, cls)
    actual = outcome(CONVERTER.structure, document, cls)

    assert expected == actual


def test_oversized_and_non_finite_numbers_are_refused_with_their_path() -> None:
    refused = [
        outcome(CONVERTER.structure, make(number), cls)[:2]
        for cls, make, path in NUMBER_SLOTS
        for number in (Decimal("NaN"), Decimal("1E+1000000"), 10**50)
    ]

    expected = [("error", path) for _, _, path in NUMBER_SLOTS for _ in range(3)]
    assert expected == refused


def to_json(value: Any) -> str:
    """JSON text with each Decimal written as its exact literal (``json.dumps`` cannot)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.decimals(allow_nan=False, allow_infinity=False)
        | st.text(alphabet=st.characters(blacklist_categories=["Cs"])),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_the_accelerated_parser_reads_exactly_what_the_standard_library_reads(value: Any) -> None:
    pytest.importorskip("msgspec")
    text = to_json(value)

    assert repr(_json_decode.decode_pure(text)) == repr(_json_decode.decode(text))
    # And through the guard (``wire.loads``): the same value, or the same refusal and path.
    accelerated = loads_outcome(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_json_guard, "_ACCELERATED", None)
        assert loads_outcome(text) == accelerated


def loads_outcome(text: str) -> Any:
    try:
        return ("value", repr(wire.loads(text)))
    except WireFormatError as exc:
        return ("error", exc.json_path, exc.message)


def test_threads_that_first_use_a_fresh_converter_at_once_all_get_their_orders() -> None:
    converter = wire.make_converter()
    document = {
        "referenceNum": "R-1",
        "_embedded": {EMBED: [{"itemIdentifier": {"sku": "A"}, "qty": 2}]},
    }
    barrier = threading.Barrier(16)

    def first_use(_: int) -> str | None:
        barrier.wait()
        return converter.structure(document, Order).reference_num

    with ThreadPoolExecutor(16) as pool:
        actual = list(pool.map(first_use, range(16)))

    assert ["R-1"] * 16 == actual
