"""RFC 6570 link templates as the API sends them (``"templated": true``)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.client import expand_link


def test_a_query_template_expands_the_given_values_and_drops_the_rest() -> None:
    template = "/orders/1001{?detail,itemdetail}"

    assert "/orders/1001?detail=OrderItems,Packages" == expand_link(
        template, {"detail": ["OrderItems", "Packages"], "itemdetail": None}
    )
    assert "/orders/1001" == expand_link(template)


def test_simple_and_continuation_expressions_are_encoded() -> None:
    assert "/customers/12/items/a%2Fb?pgsiz=10&rql=sku%3D%3DX" == expand_link(
        "/customers/{cid}/items/{iid}?pgsiz=10{&rql}", {"CID": 12, "iid": "a/b", "rql": "sku==X"}
    )


def test_a_plain_href_is_left_alone() -> None:
    assert "/orders/7/packages" == expand_link("/orders/7/packages", {"detail": "All"})


@given(
    st.dictionaries(
        st.sampled_from(["detail", "itemdetail", "pgsiz"]),
        st.text(min_size=1, max_size=12),
        max_size=3,
    )
)
def test_expanded_query_values_read_back_exactly(values: dict[str, str]) -> None:
    url = expand_link("/orders/1{?detail,itemdetail,pgsiz}", values)

    assert values == dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
