"""``wire.read_collection`` gives exactly what the general path gives, for any page.

The general path is ``parse_collection(wire.loads(body))`` and the general (case-insensitive)
reader per record. The typed path (msgspec decoding the records into per-model Structs) only
takes the exact HAL form and declines the rest, so for every page (well-formed, re-cased, with
unknown keys, hostile numbers, deep values, or broken) both must agree on the models or on the
error, before and after the typed path has learned a class's unknown keys.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector import _json_guard, _wire_typed, wire
from extensiv_connector.errors import WireFormatError
from extensiv_connector.models import Order, StockSummary
from extensiv_connector.testing.strategies import ALL_MODELS, models
from extensiv_connector.wire import _Structurer

from .test_wire_reader import mutate, pascal

CONVERTER = wire.make_converter()
GENERAL = _Structurer(compiled=False)
RELS = "http://api.3plCentral.com/rels/"
needs_msgspec = pytest.mark.skipif(wire._TYPED is None, reason="msgspec is not installed")


def new_typed_reader() -> _wire_typed.TypedReader:
    """A typed reader that has learned nothing yet (the module's one is shared by all tests,
    and learns at most MAX_LEARNED_KEYS keys per class)."""
    return _wire_typed.TypedReader(
        plans=wire._DEFAULT.plans,
        kind=wire._DEFAULT.kind,
        codes=wire._CODES,
        parse_timestamp=wire.parse_timestamp,
        embed_prefixes=wire._EMBED_PREFIXES,
        float_hook=_json_guard.checked_decimal,
    )


@pytest.fixture
def fresh_typed_reader(monkeypatch: pytest.MonkeyPatch) -> _wire_typed.TypedReader:
    if wire._TYPED is None:
        pytest.skip("msgspec is not installed")
    reader = new_typed_reader()
    monkeypatch.setattr(wire, "_TYPED", reader)
    return reader


def general(body: bytes, cls: type[Any], rel: str | None) -> Any:
    """The oracle: a refused record's error path is from the page (its key, its index)."""
    try:
        page = wire.parse_collection(wire.loads(body), rel)
    except WireFormatError as exc:
        return ("error", exc.json_path, str(exc))
    read = GENERAL.reader(cls)
    records = []
    for index, record in enumerate(page.records):
        try:
            records.append(read(record))
        except WireFormatError as exc:
            path = f"{page.record_key}[{index}]{exc.json_path[1:]}"
            return ("error", path, f"{path}: {exc.message}")
    return ("page", records, page.total_results, page.next_href, page.has_links)


def typed(body: bytes, cls: type[Any], rel: str | None) -> Any:
    try:
        page = wire.read_collection(body, cls, rel)
    except WireFormatError as exc:
        return ("error", exc.json_path, str(exc))
    return ("page", page.records, page.total_results, page.next_href, page.has_links)


def deferred(body: bytes, cls: type[Any], rel: str | None) -> Any:
    """What the client's paged lists read: ``_read_collection(defer=True)``, iterated whole."""
    try:
        page = wire._read_collection(body, cls, rel, None, None, defer=True)
        records = list(page.records)
    except WireFormatError as exc:
        return ("error", exc.json_path, str(exc))
    return ("page", records, page.total_results, page.next_href, page.has_links)


def envelope(records: list[Any], form: str, rel: str) -> dict[str, Any]:
    """A collection response around ``records`` in one of the forms the API writes."""
    if form == "summaries":
        return {"totalResults": len(records), "summaries": records}
    if form == "hal":
        return {
            "totalResults": len(records),
            "_links": {"self": {"href": "/x?pgnum=1"}, "next": {"href": "/x?pgnum=2"}},
            "_embedded": {RELS + rel: records},
        }
    return {"TotalResults": len(records), "ResourceList": records}


@st.composite
def pages(draw: st.DrawFn, cls: type[Any], *, break_things: bool) -> bytes:
    records = [CONVERTER.unstructure(r) for r in draw(st.lists(models(cls), max_size=3))]
    form = draw(st.sampled_from(["summaries", "hal", "plain"]))
    if form == "plain" or (break_things and draw(st.booleans())):
        records = pascal(records)
    if break_things:
        records = mutate(records, draw)
    return wire.dumps(envelope(records, form, "orders/order")).encode()


@needs_msgspec
@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_read_collection_agrees_with_the_general_path_on_any_page(
    cls: type[Any], data: st.DataObject
) -> None:
    body = data.draw(pages(cls, break_things=True))
    expected = general(body, cls, "orders/order")

    first = typed(body, cls, "orders/order")
    again = typed(body, cls, "orders/order")  # after learning this page's unknown keys
    built_later = deferred(body, cls, "orders/order")

    assert expected == first
    assert expected == again
    assert expected == built_later


@needs_msgspec
@pytest.mark.parametrize("cls", ALL_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_pages_the_api_writes_are_read_by_the_typed_path(
    cls: type[Any], data: st.DataObject
) -> None:
    """Not a fallback in disguise: the typed reader itself gives the models (once it has
    learned the unknown keys of the first page)."""
    originals = data.draw(st.lists(models(cls), min_size=1, max_size=3))
    records = wire.loads(wire.dumps([CONVERTER.unstructure(r) for r in originals]))
    body = wire.dumps(records).encode()
    expected = [GENERAL.reader(cls)(r) for r in records]
    reader = new_typed_reader()
    with patch.object(wire, "_TYPED", reader):
        wire.read_collection(wire.dumps({"summaries": records}).encode(), cls)  # learns

    actual = reader.records(body, cls)

    assert expected == actual


def test_a_stock_summary_page_in_the_api_form_is_read_by_the_typed_path(
    fresh_typed_reader: _wire_typed.TypedReader,
) -> None:
    row = {
        "facilityId": 3,
        "itemIdentifier": {"sku": "SKU-1", "id": 7},
        "qualifier": "",
        "totalReceived": 10,
        "allocated": 2.50,
        "available": "7.5",
        "onHold": 0,
        "onHand": 10,
        "orderedNotAllocated": None,
    }
    body = json.dumps({"totalResults": 1, "summaries": [row]}).encode()

    page = wire.read_collection(body, StockSummary)
    read_directly = fresh_typed_reader.records(json.dumps([row]).encode(), StockSummary)

    assert [CONVERTER.structure(row, StockSummary)] == page.records
    assert False is read_directly  # "7.5" as a string: the general path reads that one
    assert (1, None, False) == (page.total_results, page.next_href, page.has_links)


def test_unknown_keys_are_learned_and_then_read_by_the_typed_path(
    fresh_typed_reader: _wire_typed.TypedReader,
) -> None:
    order = {
        "referenceNum": "R-1",
        "_links": {"self": {"href": "/orders/1"}},
        "readOnly": {"orderId": 1, "asnCandidate": 0},
        "_embedded": {RELS + "orders/item": [{"qty": 2, "readOnly": {"isNew": True}}]},
    }
    raw = json.dumps([order]).encode()
    body = json.dumps({"_embedded": {RELS + "orders/order": [order]}}).encode()
    before = fresh_typed_reader.records(raw, Order)

    page = wire.read_collection(body, Order, "orders")
    after = fresh_typed_reader.records(raw, Order)

    assert True is before  # refused for an unknown key: worth learning
    assert page.records == after
    assert {"_links": {"self": {"href": "/orders/1"}}} == page.records[0].extra
    assert {"asnCandidate": 0} == page.records[0].read_only.extra


@pytest.mark.parametrize("key", ['say "hi"', "back\\slash", "tab\there", "\u0001", "k" * 65, ""])
def test_a_key_no_field_name_can_be_is_kept_in_extra_and_never_learned(
    fresh_typed_reader: _wire_typed.TypedReader, key: str
) -> None:
    order = {"referenceNum": "R-1", key: 1}
    body = json.dumps({"_embedded": {RELS + "orders/order": [order]}}).encode()

    first = wire.read_collection(body, Order, "orders")
    second = wire.read_collection(body, Order, "orders")  # after any learning

    assert ({key: 1}, first.records) == (first.records[0].extra, second.records)


HOSTILE_NUMBERS = [
    "1e400",
    "1E+1000000",
    "1e-50",
    "9" * 41,
    "-" + "9" * 40,
    "9" * 40,
    str(2**63),
    "-0.0e-0",
    "123.4560",
    "0." + "0" * 45 + "1",
    '"NaN"',
    '"1e999"',
    '" 7 "',
    '"' + " " * 101 + '1"',
    "true",
]


@needs_msgspec
@pytest.mark.parametrize("token", HOSTILE_NUMBERS)
@pytest.mark.parametrize("where", ["onHand", "facilityId", "x-extra", "qualifier"])
def test_odd_numbers_anywhere_in_a_summary_give_the_general_answer(token: str, where: str) -> None:
    row = {"itemIdentifier": {"sku": "A", "id": 1}, "onHand": 1, "facilityId": 3, where: "@@"}
    text = json.dumps({"totalResults": 1, "summaries": [row, row]}).replace('"@@"', token)
    body = text.encode()

    assert general(body, StockSummary, None) == typed(body, StockSummary, None)
    assert general(body, StockSummary, None) == deferred(body, StockSummary, None)


@needs_msgspec
@pytest.mark.parametrize("depth", [1, 40, 57, 58, 59, 60, 61, 62, 63, 64, 200, 2000])
@pytest.mark.parametrize("where", ["record", "envelope", "order"])
def test_deep_values_give_the_general_answer_at_every_depth(depth: int, where: str) -> None:
    """The guard refuses a page nested deeper than MAX_DEPTH; the typed path bounds the depth
    of what it keeps instead of scanning the page, and must agree at every depth."""
    row: dict[str, Any] = {"itemIdentifier": {"sku": "A"}, "onHand": 1}
    page: dict[str, Any] = {"totalResults": 1, "summaries": [row]}
    cls: type[Any] = StockSummary
    rel: str | None = None
    if where == "record":
        row["x-deep"] = "@@"
    elif where == "envelope":
        page["x-deep"] = "@@"
    else:
        cls, rel = Order, "orders"
        order = {"readOnly": {"orderId": 1, "x-deep": "@@"}}
        page = {"_embedded": {RELS + "orders/order": [order]}}
    body = json.dumps(page).replace('"@@"', "[" * depth + "1" + "]" * depth).encode()

    expected = general(body, cls, rel)

    assert expected == typed(body, cls, rel)
    assert expected == typed(body, cls, rel)  # learned "x-deep": now read by the typed path


@needs_msgspec
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"null",
        b"[]",
        b"\xef\xbb\xbf{}",
        b'{"summaries": [{"itemIdentifier": {"sku": "\\ud800"}}]}',
        b'{"summaries": [{"itemIdentifier": {"sku": "\\u00e9"}}]}',
        b'{"summaries": [{"itemIdentifier": {"sku": "\xff"}}]}',
        b'{"summaries": [], "other": [1, NaN]}',
        b'{"summaries": [], "other": ["\\x"]}',
        b'{"summaries": {}}',
        b'{"totalResults": true, "summaries": []}',
        b'{"summaries": [{"onHand": 1}], "summaries": [{"onHand": 2}]}',
        b'{"summaries": [{"onHand": 1, "onHand": 2, "OnHand": 3}]}',
        b'{"Summaries": [{"OnHand": 1}], "_links": null}',
        b'{"summaries": [{"onHand": 1}]} trailing',
    ],
)
def test_odd_pages_give_the_general_answer(body: bytes) -> None:
    assert general(body, StockSummary, None) == typed(body, StockSummary, None)
    assert general(body, StockSummary, None) == deferred(body, StockSummary, None)


def order_page(creation_dates: list[str]) -> str:
    records = [
        {"referenceNum": f"R{n}", "readOnly": {"orderId": n, "creationDate": date}}
        for n, date in enumerate(creation_dates, start=1)
    ]
    return json.dumps({"totalResults": len(records), "_embedded": {RELS + "orders/order": records}})


GOOD_DATE = "2026-11-30T12:00:00"


@needs_msgspec
@pytest.mark.parametrize("odd_date", ["not a date", "2026-02-30T00:00:00"])
@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_deferred_page_yields_the_records_before_one_the_general_path_refuses_then_its_error(
    odd_date: str, where: int
) -> None:
    dates = [GOOD_DATE] * 3
    dates[where] = odd_date
    body = order_page(dates).encode()
    expected_error = general(body, Order, "orders/order")
    page = wire._read_collection(body, Order, "orders/order", None, None, defer=True)
    read: list[int] = []

    with pytest.raises(WireFormatError) as caught:
        read.extend(order.read_only.order_id for order in page.records)

    assert isinstance(page.records, _wire_typed.DeferredModels)
    assert "error" == expected_error[0]
    assert (expected_error[1], expected_error[2]) == (caught.value.json_path, str(caught.value))
    assert list(range(1, where + 1)) == read


@needs_msgspec
@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_deferred_page_goes_on_with_the_general_models_after_a_record_the_fast_path_declines(
    where: int,
) -> None:
    dates = [GOOD_DATE] * 3
    dates[where] = "2026-11-30T12:00:00.1234567"  # seven digits: the general parser decides
    body = order_page(dates).encode()
    expected = general(body, Order, "orders/order")

    page = wire._read_collection(body, Order, "orders/order", None, None, defer=True)

    assert isinstance(page.records, _wire_typed.DeferredModels)
    assert expected[1] == list(page.records)
    assert expected[1] == list(page.records)  # iterated again: built again, the same
    assert expected[1][where] == page.records[where]
    assert 3 == len(page.records)


@needs_msgspec
def test_a_deferred_page_yields_the_general_models_up_to_a_later_record_it_refuses() -> None:
    """Handed over at record 0 (a number as a string: only the general reader decides),
    refused at 2: the records between are yielded too, then the error names record [2]."""
    records = [{"itemIdentifier": {"sku": f"S{n}"}, "onHand": n} for n in range(4)]
    records[0]["onHand"] = "5"
    records[2]["onHand"] = "abc"
    body = wire.dumps({"totalResults": 4, "summaries": records}).encode()
    page = wire._read_collection(body, StockSummary, None, None, None, defer=True)
    read: list[str | None] = []

    with pytest.raises(WireFormatError) as caught:
        read.extend(summary.item_identifier.sku for summary in page.records)

    assert isinstance(page.records, _wire_typed.DeferredModels)
    assert ("$.summaries[2].onHand", ["S0", "S1"]) == (caught.value.json_path, read)


@pytest.mark.parametrize("accelerated", [True, False], ids=["typed", "pure"])
def test_a_page_read_whole_names_the_refused_record_by_its_index(
    accelerated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not accelerated:
        monkeypatch.setattr(_json_guard, "_ACCELERATED", None)
    records = [{"itemIdentifier": {"sku": f"S{n}"}, "onHand": n} for n in range(5)]
    records[3]["onHand"] = "abc"
    body = wire.dumps({"totalResults": 5, "summaries": records}).encode()

    with pytest.raises(WireFormatError) as caught:
        wire.read_collection(body, StockSummary)

    assert "$.summaries[3].onHand" == caught.value.json_path


def test_without_msgspec_read_collection_is_the_general_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wire, "_TYPED", None)
    monkeypatch.setattr(_json_guard, "_ACCELERATED", None)
    body = b'{"summaries": [{"onHand": 1.50, "x-new": [1]}], "totalResults": 1}'

    assert general(body, StockSummary, None) == typed(body, StockSummary, None)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,8}\Z"),
        st.from_regex(
            r"\A[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]\.[0-9]{1,7}\Z"
        ),
        st.text(alphabet="0123456789-:T. Z+", min_size=19, max_size=28),
    )
)
def test_the_timestamp_fast_path_reads_what_the_general_parser_reads(text: str) -> None:
    def outcome(parse: Any) -> Any:
        try:
            return parse(text)
        except ValueError:
            return "refused"

    assert outcome(wire._parse_timestamp_general) == outcome(wire.parse_timestamp)


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("name", "cls", "rel"),
    [
        ("orders_hal.json", Order, "orders"),
        ("orders_plain.json", Order, "orders"),
        ("stock_summaries.json", StockSummary, None),
    ],
)
def test_threads_that_read_pages_at_once_while_keys_are_learned_all_get_the_same_models(
    name: str, cls: type[Any], rel: str | None, fresh_typed_reader: _wire_typed.TypedReader
) -> None:
    body = (FIXTURES / name).read_bytes()
    expected = general(body, cls, rel)
    barrier = threading.Barrier(16)

    def read(_: int) -> Any:
        barrier.wait()
        return [typed(body, cls, rel) for _ in range(3)]

    with ThreadPoolExecutor(16) as pool:
        actual = [outcome for outcomes in pool.map(read, range(16)) for outcome in outcomes]

    assert [expected] * 48 == actual


@needs_msgspec
def test_a_deferred_page_reads_alike_the_first_time_a_layout_is_seen_and_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wire, "_LAYOUTS", {})
    body = order_page([GOOD_DATE, GOOD_DATE]).encode()
    expected = general(body, Order, "orders/order")

    first = wire._read_collection(body, Order, "orders/order", None, None, defer=True)
    known = wire._read_collection(body, Order, "orders/order", None, None, defer=True)

    assert [(Order, "orders/order")] == list(wire._LAYOUTS)
    assert isinstance(first.records, _wire_typed.DeferredModels)
    assert isinstance(known.records, _wire_typed.DeferredModels)
    assert expected[1] == list(first.records) == list(known.records)
