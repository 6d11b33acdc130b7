"""Item listings cache the filtered, sorted view per (rql, sort, generation): paging must
return exactly what a fresh filter+sort returns, also when writes land between pages."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extensiv_connector.sandbox import _rql as rql

from .conftest import Api

PATH = "/customers/12/items"


def fresh_page(api: Api, query: str | None, sort: str, size: int, page: int) -> list[str]:
    wh = api.sb.warehouse
    with wh.lock:
        docs: list[dict[str, Any]] = [r.doc for r in wh.items.values()]
        if query:
            node = rql.parse(query)
            docs = [d for d in docs if rql.evaluate(node, d)]
        docs = rql.sort_records(docs, rql.parse_sort(sort))
        return [d["sku"] for d in docs[(page - 1) * size : page * size]]


def served_page(api: Api, query: str | None, sort: str, size: int, page: int) -> list[str]:
    params = {"sort": sort, "pgsiz": str(size), "pgnum": str(page)}
    if query:
        params["rql"] = query
    response = api.get(PATH, params=params, hal=False)
    assert 200 == response.status_code, response.text
    return [row["Sku"] for row in response.json()["ResourceList"]]


def test_paging_with_writes_between_pages_matches_a_fresh_filter_and_sort(api: Api) -> None:
    query, sort, size = "sku=gt=SKU-000002", "-sku", 3
    for page in (1, 2):
        assert fresh_page(api, query, sort, size, page) == served_page(api, query, sort, size, page)
    # A create that sorts first, then an update and a delete: each must invalidate.
    assert 201 == api.post(PATH, json={"sku": "SKU-ZZZ", "description": "New"}).status_code
    assert fresh_page(api, query, sort, size, 1) == served_page(api, query, sort, size, 1)
    assert "SKU-ZZZ" == served_page(api, query, sort, size, 1)[0]
    item_id = api.sb.warehouse.find_item_id("SKU-ZZZ")
    assert item_id is not None
    api.sb.warehouse.delete_item(item_id, api.sb.warehouse.items[item_id].etag)
    for page in (1, 2, 3):
        assert fresh_page(api, query, sort, size, page) == served_page(api, query, sort, size, page)
    assert "SKU-ZZZ" not in served_page(api, query, sort, size, 1)


def test_a_different_query_or_sort_is_not_served_from_the_cached_view(api: Api) -> None:
    for query, sort in ((None, "sku"), (None, "-sku"), ("sku=le=SKU-000005", "sku")):
        assert fresh_page(api, query, sort, 4, 1) == served_page(api, query, sort, 4, 1)


_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("page"),
            st.sampled_from(["sku", "-sku", "itemId", "-itemId"]),
            st.integers(1, 4),
            st.integers(1, 5),
        ),
        st.tuples(st.just("create"), st.integers(0, 999)),
        st.tuples(st.just("delete"), st.integers(0, 999)),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_ops)
def test_any_mix_of_pages_and_writes_serves_what_a_fresh_filter_and_sort_would(
    api: Api, ops: list[tuple[Any, ...]]
) -> None:
    wh = api.sb.warehouse
    for op in ops:
        if op[0] == "page":
            _, sort, size, page = op
            assert fresh_page(api, None, sort, size, page) == served_page(
                api, None, sort, size, page
            )
        elif op[0] == "create":
            sku = f"HYP-{op[1]:03d}"
            if wh.find_item_id(sku) is None:
                assert 201 == api.post(PATH, json={"sku": sku}).status_code
        else:
            item_id = wh.find_item_id(f"HYP-{op[1]:03d}")
            if item_id is not None:
                wh.delete_item(item_id, wh.items[item_id].etag)
