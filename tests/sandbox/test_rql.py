from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.sandbox import _rql as rql

ORDER: dict[str, Any] = {
    "referenceNum": "SO-100,A",
    "readOnly": {
        "orderId": 1001,
        "isClosed": True,
        "status": 1,
        "lastModifiedDate": "2024-05-01T10:00:00.123456",
        "customerIdentifier": {"id": 12},
    },
}


def matches(text: str, record: dict[str, Any] = ORDER) -> bool:
    return rql.evaluate(rql.parse(text), record)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("readOnly.isClosed==true", True),
        ("ReadOnly.IsClosed==FALSE", False),
        ("readonly.OrderId==1001", True),
        ("readOnly.orderId!=1001", False),
        ("readOnly.orderId=gt=1000;readOnly.orderId=lt=1002", True),
        ("readOnly.orderId=ge=1002,readOnly.status==1", True),
        ("readOnly.customerIdentifier.id=in=(3,12)", True),
        ("readOnly.customerIdentifier.id=out=(3,12)", False),
        ("ReadOnly.LastModifiedDate=ge=2024-05-01", True),
        ("ReadOnly.LastModifiedDate=ge=2024-05-01T10:00:01Z", False),
        ("readOnly.lastModifiedDate=lt=2024-05-01T12:00:00%2B02:00", False),
        ("referenceNum==so-100*", True),
        ("referenceNum==*,A", False),  # the comma ends the value: OR with a bad term
        ("referenceNum==*%2CA", True),
        ("referenceNum==*100*", True),
        ("(readOnly.status==2,readOnly.status==1);readOnly.isClosed==true", True),
        ("referenceNum=hv=true", True),
        ("poNum=hv=true", False),
        ("poNum!=x", True),
    ],
)
def test_rql_operators_and_case_insensitive_paths(text: str, expected: bool) -> None:
    if text == "referenceNum==*,A":
        with pytest.raises(rql.RqlError):
            matches(text)
        return
    assert expected == matches(text)


def test_encoded_star_is_a_literal_not_a_wildcard() -> None:
    assert matches("referenceNum==a%2Ab", {"referenceNum": "a*b"})
    assert not matches("referenceNum==a%2Ab", {"referenceNum": "axxb"})
    assert matches("referenceNum==a*b", {"referenceNum": "axxb"})


@pytest.mark.parametrize("text", ["", "a==", "a==1;", "(a==1", "a=zz=1", "a"])
def test_malformed_rql_is_an_error(text: str) -> None:
    with pytest.raises(rql.RqlError):
        rql.evaluate(rql.parse(text), {"a": 1})


def test_sort_descending_then_ascending() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 1, "b": "a"}]
    result = rql.sort_records(rows, rql.parse_sort("-A,b"))
    assert [{"a": 2, "b": "y"}, {"a": 1, "b": "a"}, {"a": 1, "b": "x"}] == result


def test_equality_value_finds_indexable_conjunct() -> None:
    node = rql.parse("Sku==ABC%252F1;description==*x*")
    assert "ABC%2F1" == rql.equality_value(node, ("sku",))
    assert rql.equality_value(rql.parse("sku==AB*"), ("sku",)) is None


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcXYZ-_.09", min_size=1, max_size=12), st.integers(0, 12))
def test_prefix_wildcard_matches_exactly_the_prefixes(value: str, cut: int) -> None:
    prefix = value[:cut]
    assert matches(f"sku=={prefix}*", {"sku": value})
    assert matches(f"sku=={value.upper()}", {"sku": value})
    assert not matches(f"sku!={value}", {"sku": value})


def test_deeply_nested_rql_and_request_bodies_are_400s_not_500s() -> None:
    import requests

    from extensiv_connector.sandbox import Sandbox

    with Sandbox(catalog_size=1) as sb:
        token = requests.post(
            sb.token_url,
            auth=(sb.credentials.client_id, sb.credentials.client_secret),
            json={"grant_type": "client_credentials"},
            timeout=10,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        deep_rql = "(" * 5000 + "referenceNum==a" + ")" * 5000
        answers = [
            requests.get(
                f"{sb.base_url}/orders", params={"rql": deep_rql}, headers=headers, timeout=10
            ),
            requests.post(f"{sb.base_url}/orders", data="[" * 100_000, headers=headers, timeout=10),
            requests.post(
                f"{sb.base_url}/orders",
                data='{"a":' * 900 + "1" + "}" * 900,
                headers=headers,
                timeout=10,
            ),
            requests.post(
                sb.token_url,
                auth=(sb.credentials.client_id, sb.credentials.client_secret),
                data="[" * 100_000,
                headers={"Content-Type": "application/json"},
                timeout=10,
            ),
        ]
    assert [400, 400, 400, 400] == [answer.status_code for answer in answers]
    with pytest.raises(rql.RqlError, match="nested deeper than 64"):
        rql.parse("(" * 65 + "a==1" + ")" * 65)
    assert matches("(" * 64 + "referenceNum==SO-100%2CA" + ")" * 64)
