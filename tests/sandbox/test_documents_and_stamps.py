"""The sandbox's document copies, request-body casing and stamps: the fast forms give what
the plain ones gave."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.sandbox import _render
from extensiv_connector.sandbox._render import canonical_body
from extensiv_connector.sandbox._wh_core import format_stamp
from extensiv_connector.sandbox._wh_model import StockRow, copy_doc

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.decimals(allow_nan=False, allow_infinity=False),
)
_docs = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


def _containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _containers(v))]
    return []


@given(_docs)
def test_a_copy_is_equal_and_shares_no_container(doc: Any) -> None:
    copied = copy_doc(doc)

    assert (doc, set()) == (copied, set(_containers(doc)) & set(_containers(copied)))


def test_a_copied_stock_row_is_a_plain_dict_with_its_nested_rows_copied() -> None:
    row = StockRow(available=Decimal(3), itemIdentifier=StockRow(sku="A", id=1))

    copied = copy_doc({"rows": [row]})

    assert (dict, dict, {"rows": [row]}) == (
        type(copied["rows"][0]),
        type(copied["rows"][0]["itemIdentifier"]),
        copied,
    )


def test_a_pascal_case_body_is_camel_case_whatever_the_names_seen_before() -> None:
    body = {"ReferenceNum": "R1", "ShipTo": {"Name": "B", "ZIP": "1"}, "OrderItems": [{"Qty": 1}]}
    for i in range(5000):  # more names than the name cache keeps
        canonical_body({f"Name{i}": i})

    assert {
        "referenceNum": "R1",
        "shipTo": {"name": "B", "zip": "1"},
        "orderItems": [{"qty": 1}],
    } == canonical_body(body)
    assert len(_render._CAMEL_KEYS) <= 4096


def _stamp_by_strftime(value: datetime) -> str:
    hundredths = value.microsecond // 10_000
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{hundredths:02d}".rstrip("0") if hundredths else "")


@given(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30)),
    st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-5))]),
)
def test_a_stamp_reads_as_strftime_writes_it(value: datetime, zone: Any) -> None:
    stamp = value.replace(tzinfo=zone)

    assert _stamp_by_strftime(stamp) == format_stamp(stamp)
