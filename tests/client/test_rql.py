from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.client import rql
from extensiv_connector.client.rql import Comparison, Expr, Value, field, parse, render

RESERVED = "%!()*=,;"


def test_builder_renders_the_documented_example() -> None:
    expr = (
        (field("fld1") == "bill")
        & (field("fld2") > 12)
        & (field("fld3").in_(["x", "y", "z"]) | (field("fld4") != "sam"))
    )
    assert "fld1==bill;fld2=gt=12;(fld3=in=(x,y,z),fld4!=sam)" == str(expr)


def test_values_of_python_types_render_as_the_api_expects() -> None:
    expr = (
        (field("readOnly.isClosed") == True)  # noqa: E712 - builds RQL, not a comparison
        & (field("readOnly.lastModifiedDate") >= datetime(2024, 1, 1))
        & (field("qty") <= Decimal("1.50"))
        & (field("id").not_in([1, 2]))
        & (field("x") < 3)
        & field("sku").has_value()
    )
    expected = (
        "readOnly.isClosed==true;readOnly.lastModifiedDate=ge=2024-01-01T00:00:00;"
        "qty=le=1.50;id=out=(1,2);x=lt=3;sku=hv=true"
    )
    assert expected == str(expr)


def test_wildcards_are_bare_and_literal_stars_are_escaped() -> None:
    assert "sku==*A%2AB*" == str(field("sku").contains("A*B"))
    assert ("sku==AB*", "sku==*AB") == (
        str(field("sku").starts_with("AB")),
        str(field("sku").ends_with("AB")),
    )


@pytest.mark.parametrize("char", list(RESERVED))
def test_reserved_characters_are_percent_encoded_in_values(char: str) -> None:
    text = str(field("referenceNum") == f"a{char}b")
    assert f"referenceNum==a%{ord(char):02X}b" == text


def test_or_inside_and_is_parenthesised_and_and_inside_or_is_not() -> None:
    a, b, c = (field(n) == 1 for n in "abc")
    assert ("a==1;(b==1,c==1)", "a==1;b==1,c==1") == (str(a & (b | c)), str((a & b) | c))


def test_sort_spec_and_bad_names() -> None:
    assert "-readOnly.creationDate,readOnly.orderId" == rql.sort_spec(
        "-readOnly.creationDate", "+readOnly.orderId"
    )
    with pytest.raises(ValueError, match="property name"):
        field("a b")
    with pytest.raises(ValueError, match="non-empty"):
        field("sku").starts_with("")


def test_parser_is_case_insensitive_on_operators() -> None:
    assert Comparison("a", "=gt=", (Value("5"),)) == parse("a=GT=5")


def test_parser_rejects_garbage() -> None:
    for text in ("a", "a==1;", "(a==1", "a=in=1", "a==x*y"):
        with pytest.raises(ValueError, match="RQL parse error"):
            parse(text)


def server_side(rql_text: str) -> Expr:
    """What the server does: URL-decode the query string, parse, decode each value once more."""
    query = urlencode({"rql": rql_text})
    return parse(parse_qs(query)["rql"][0])


@given(value=st.text())
def test_any_string_value_survives_build_and_parse(value: str) -> None:
    expr = field("referenceNum") == value
    assert expr == server_side(str(expr))
    assert value == unquote(render(expr).split("==", 1)[1])


names = st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,6}(\.[A-Za-z_][A-Za-z0-9_]{0,6}){0,2}", fullmatch=True
)
values = st.builds(Value, st.text(max_size=8))
single_ops = st.sampled_from(["==", "!=", "=gt=", "=ge=", "=lt=", "=le="])
comparisons = st.one_of(
    st.builds(lambda n, o, v: Comparison(n, o, (v,)), names, single_ops, values),
    st.builds(
        lambda n, o, vs: Comparison(n, o, tuple(vs)),
        names,
        st.sampled_from(["=in=", "=out="]),
        st.lists(values, min_size=1, max_size=3),
    ),
    st.builds(lambda n, t: field(n).contains(t), names, st.text(min_size=1, max_size=5)),
)
expressions = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda ts: rql.and_(*ts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda ts: rql.or_(*ts)),
    ),
    max_leaves=8,
)


@given(expr=expressions)
def test_every_built_expression_round_trips_through_text(expr: Expr) -> None:
    assert expr == server_side(render(expr))
