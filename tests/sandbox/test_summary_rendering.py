"""Stock-summary pages keep each row's JSON until the row changes: never stale, same bytes.

The reference below is the page handler as it was before rows were cached (copy every row
under the lock, encode the whole body): every page read in these tests, in both forms, with
and without ``orderedNotAllocated``, with RQL filters and with ``summaries_links``, must give
exactly its bytes, whatever the warehouse went through before.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from extensiv_connector.sandbox import AppSettings, Sandbox, SandboxError
from extensiv_connector.sandbox import _rql as rql
from extensiv_connector.sandbox._api_inventory import _SUMMARY_PROPS, stock_summaries
from extensiv_connector.sandbox._call import Args, Call
from extensiv_connector.sandbox._errors import ApiFault
from extensiv_connector.sandbox._paging import page_links, paging, query
from extensiv_connector.sandbox._render import dumps, pascal, respond
from extensiv_connector.sandbox._warehouse import StockRow

SKUS = ("SKU-000001", "SKU-000002", "SKU-000003", "SKU-000004")
FILTERS = (
    None,
    "itemIdentifier.sku==SKU-000002",
    "available=gt=3",
    "onHand=lt=7;available=ge=0",
    "sku==SKU-00000*",
)
QTYS = st.sampled_from(["1", "2", "3", "0.5", "1.25", "2.50", "4"])


def reference_page(call: Call) -> Response:
    """The stock-summaries handler before rows were cached (kept verbatim as the oracle)."""
    args = call.args
    size, page = paging(args, 500, 100)
    node = query(args, _SUMMARY_PROPS)
    with_ona = (args.get("orderednotallocated") or "").lower() == "true"
    wh = call.app.warehouse
    start = (page - 1) * size
    with wh.lock:
        if node is None:
            ids = wh.summary_order
            total = len(ids)
            chosen = ids[start : start + size]
        else:
            candidates = wh.summary_order
            sku = rql.equality_value(node, ("itemidentifier", "sku"))
            if sku is not None:
                found = wh.find_item_id(sku)
                candidates = [found] if found is not None and found in wh.summaries else []
            matched = [i for i in candidates if rql.evaluate(node, wh.summaries[i])]
            total = len(matched)
            chosen = matched[start : start + size]
        ona = wh.ordered_not_allocated() if with_ona else {}
        rows = []
        for item_id in chosen:
            row = dict(wh.summaries[item_id])
            row["itemIdentifier"] = dict(row["itemIdentifier"])
            row["orderedNotAllocated"] = ona.get(item_id, Decimal(0)) if with_ona else None
            rows.append(row)
    body: dict[str, Any]
    if call.is_hal:
        body = {"totalResults": total, "summaries": rows}
        if call.app.settings.summaries_links:
            links = page_links(call.request, args, size, page, total)
            body["_links"] = {k: {"href": v} for k, v in links.items()}
    else:
        body = {"TotalResults": total, "Summaries": pascal(rows)}
    return respond(200, call.is_hal, body)


def page_call(sb: Sandbox, query_args: dict[str, str], is_hal: bool) -> Call:
    accept = "application/hal+json" if is_hal else "application/json"
    environ = EnvironBuilder(
        path="/inventory/stocksummaries", query_string=query_args, headers=[("Accept", accept)]
    ).get_environ()
    request = Request(environ)
    return Call(sb.app, request, Args(request), is_hal)


def cached_and_reference(sb: Sandbox, query_args: dict[str, str], is_hal: bool) -> tuple[Any, ...]:
    call = page_call(sb, query_args, is_hal)
    new, old = stock_summaries(call), reference_page(call)
    return (
        (new.status_code, new.content_type, new.get_data()),
        (old.status_code, old.content_type, old.get_data()),
    )


def assert_every_form_matches(sb: Sandbox, extra: dict[str, str] | None = None) -> None:
    for links in (False, True):
        sb.app.settings = AppSettings(summaries_links=links)
        for is_hal in (True, False):
            for with_ona in (False, True):
                for rql_filter in FILTERS:
                    args = {"pgsiz": "3", "pgnum": "1", **(extra or {})}
                    if with_ona:
                        args["orderednotallocated"] = "true"
                    if rql_filter:
                        args["rql"] = rql_filter
                    new, old = cached_and_reference(sb, args, is_hal)
                    assert old == new, (args, is_hal, links)


class SummaryPages(RuleBasedStateMachine):
    """Every mutating operation of the warehouse, interleaved with page reads (each compared
    with the reference, twice: the second read comes from the rows' caches)."""

    @initialize(allocation=st.sampled_from(["full", "partial", "late", "none"]))
    def start(self, allocation: str) -> None:
        self.sb = Sandbox(catalog_size=3, initial_stock=5, allocation=allocation)
        self.wh = self.sb.warehouse
        self.orders: list[int] = []
        self.seq = 0
        self.reads = 0

    def _order_body(self, lines: list[tuple[str, str]]) -> dict[str, Any]:
        self.seq += 1
        return {
            "customerIdentifier": {"id": 12},
            "facilityIdentifier": {"id": 3},
            "referenceNum": f"R-{self.seq}",
            "shipTo": {"name": "x"},
            "orderItems": [{"itemIdentifier": {"sku": s}, "qty": q} for s, q in lines],
        }

    @rule(
        page=st.integers(1, 3),
        size=st.integers(1, 5),
        is_hal=st.booleans(),
        with_ona=st.booleans(),
        rql_filter=st.sampled_from(FILTERS),
        links=st.booleans(),
    )
    def read_page(
        self,
        page: int,
        size: int,
        is_hal: bool,
        with_ona: bool,
        rql_filter: str | None,
        links: bool,
    ) -> None:
        self.sb.app.settings = AppSettings(summaries_links=links)
        args = {"pgsiz": str(size), "pgnum": str(page)}
        if with_ona:
            args["orderednotallocated"] = "true"
        if rql_filter:
            args["rql"] = rql_filter
        for _ in range(2):
            new, old = cached_and_reference(self.sb, args, is_hal)
            assert old == new

    @invariant()
    def pages_match_after_every_step(self) -> None:
        # Both forms, with and without orderedNotAllocated, every step; the filter, page,
        # and links setting rotate from step to step.
        self.reads += 1
        links = self.reads % 2 == 0
        self.sb.app.settings = AppSettings(summaries_links=links)
        args = {"pgsiz": "2", "pgnum": str(self.reads % 3 + 1)}
        rql_filter = FILTERS[self.reads % len(FILTERS)]
        if rql_filter:
            args["rql"] = rql_filter
        for is_hal in (True, False):
            for ona in ({}, {"orderednotallocated": "true"}):
                new, old = cached_and_reference(self.sb, {**args, **ona}, is_hal)
                assert old == new, (args, ona, is_hal, links)

    @rule(sku=st.sampled_from(SKUS), qty=QTYS)
    def receive(self, sku: str, qty: str) -> None:
        if self.wh.find_item_id(sku) is None:
            self.wh.add_item(sku)
        self.wh.receive({sku: Decimal(qty)})

    @rule(sku=st.sampled_from(SKUS), qty=st.integers(1, 3), lot=st.integers(1, 3))
    def receive_lot(self, sku: str, qty: int, lot: int) -> None:
        if self.wh.find_item_id(sku) is None:
            self.wh.add_item(sku)
        self.wh.receive_lines([{"sku": sku, "qty": qty, "lotNumber": f"L{lot}"}])

    @rule(sku=st.sampled_from(SKUS[:3]), planned=QTYS, got=QTYS, cancel=st.booleans())
    def receiver_by_rest(self, sku: str, planned: str, got: str, cancel: bool) -> None:
        self.seq += 1
        doc, etag = self.wh.create_receiver(
            {
                "customerIdentifier": {"id": 12},
                "facilityIdentifier": {"id": 3},
                "referenceNum": f"RCV-{self.seq}",
                "receiveItems": [{"itemIdentifier": {"sku": sku}, "qty": planned}],
            }
        )
        rid = doc["readOnly"]["receiverId"]
        doc["receiveItems"][0]["qty"] = got
        _, etag = self.wh.update_receiver(rid, doc, etag)
        if cancel:
            self.wh.cancel_receiver(rid, "no show", etag)
        else:
            self.wh.confirm_receiver(rid, if_match=etag, check_etag=True)

    @rule(
        lines=st.lists(st.tuples(st.sampled_from(SKUS[:3]), QTYS), min_size=1, max_size=3),
    )
    def create_order(self, lines: list[tuple[str, str]]) -> None:
        doc, _ = self.wh.create_order(self._order_body(lines))
        self.orders.append(doc["readOnly"]["orderId"])

    @rule(lines=st.lists(st.tuples(st.sampled_from(SKUS[:3]), QTYS), min_size=1, max_size=2))
    def create_order_over_http(self, lines: list[tuple[str, str]]) -> None:
        from werkzeug.test import Client

        client = Client(self.sb.app)
        token, _ = self.sb.tokens.issue()
        answer = client.post(
            "/orders",
            json=self._order_body(lines),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/hal+json"},
        )
        assert 201 == answer.status_code
        self.orders.append(answer.get_json()["readOnly"]["orderId"])

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), partial=st.booleans())
    def allocate(self, pick: int, partial: bool) -> None:
        with contextlib.suppress(SandboxError):  # not open any more
            self.wh.allocate_order(self.orders[pick % len(self.orders)], partial=partial)

    @rule(partial=st.booleans())
    def allocate_open_orders(self, partial: bool) -> None:
        self.wh.allocate_open_orders(partial=partial)

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), off=st.booleans())
    def operator(self, pick: int, off: bool) -> None:
        oid = self.orders[pick % len(self.orders)]
        try:
            if off:
                self.wh.deallocate_operator(oid, self.wh.orders[oid].etag)
            else:
                self.wh.allocate_operator(oid, self.wh.orders[oid].etag)
        except ApiFault:
            pass  # closed, already (de)allocated: refusals leave the stock alone

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), qty=QTYS)
    def edit_order(self, pick: int, qty: str) -> None:
        oid = self.orders[pick % len(self.orders)]
        doc, etag = self.wh.get_order(oid)
        doc["orderItems"][0]["qty"] = qty
        with contextlib.suppress(ApiFault):  # closed orders refuse edits
            self.wh.update_order(oid, doc, etag)

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), short=st.booleans())
    def ship(self, pick: int, short: bool) -> None:
        oid = self.orders[pick % len(self.orders)]
        line = self.wh.orders[oid].doc["orderItems"][0]
        shipped = {line["itemIdentifier"]["sku"]: Decimal(0)} if short else None
        with contextlib.suppress(SandboxError):  # closed, or not enough stock
            self.wh.ship_order(oid, shipped=shipped)

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 99), bulk=st.booleans())
    def cancel(self, pick: int, bulk: bool) -> None:
        oid = self.orders[pick % len(self.orders)]
        if bulk:
            self.wh.cancel_orders([oid], "changed mind")
            return
        with contextlib.suppress(SandboxError):  # closed already: a driver call refuses
            self.wh.cancel_order(oid)

    @rule(sku=st.sampled_from(SKUS[:3]), delta=st.sampled_from(["-2", "-0.5", "1", "0.75", "3"]))
    def adjust(self, sku: str, delta: str) -> None:
        with contextlib.suppress(SandboxError):  # not enough available stock to remove
            self.wh.adjust_stock(sku, Decimal(delta))

    @rule(pick=st.integers(0, 99), quarantine=st.booleans())
    def hold(self, pick: int, quarantine: bool) -> None:
        free = [i for i, lot in self.wh.lots.items() if lot["available"] > 0]
        if free:
            self.wh.hold_lot(free[pick % len(free)], quarantine=quarantine)

    @rule(pick=st.sampled_from(SKUS[:3]), name=st.sampled_from(["renamed-ä", 'quo"te', "x\ny"]))
    def rename_item(self, pick: str, name: str) -> None:
        item_id = self.wh.find_item_id(pick)
        if item_id is None:
            return
        record = self.wh.items[item_id]
        body = {**record.doc, "sku": f"{name}-{item_id}"}
        self.wh.update_item(item_id, body, record.etag)
        body = {**self.wh.items[item_id].doc, "sku": pick}
        self.wh.update_item(item_id, body, self.wh.items[item_id].etag)


SummaryPages.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_summary_pages_match_the_uncached_rendering = SummaryPages.TestCase


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(catalog_size=4, initial_stock=6)


def _row(sb: Sandbox) -> StockRow:
    return sb.warehouse.summaries[sb.warehouse.find_item_id("SKU-000002") or 0]


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda r: r.__setitem__("available", Decimal("1.50")), id="setitem"),
        pytest.param(lambda r: r.update(onHand=Decimal(9)), id="update"),
        pytest.param(lambda r: r.__ior__({"onHold": Decimal(2)}), id="ior"),
        pytest.param(lambda r: r.pop("qualifier"), id="pop"),
        pytest.param(lambda r: r.popitem(), id="popitem"),
        pytest.param(lambda r: r.__delitem__("facilityId"), id="delitem"),
        pytest.param(lambda r: r.setdefault("lotNumber", "A"), id="setdefault"),
        pytest.param(
            lambda r: r.clear() or r.update(itemIdentifier=StockRow(sku="only")), id="clear"
        ),
        pytest.param(lambda r: r["itemIdentifier"].__setitem__("sku", "NEW"), id="nested-setitem"),
        pytest.param(lambda r: r["itemIdentifier"].update(id=7), id="nested-update"),
        pytest.param(lambda r: r["itemIdentifier"].pop("id"), id="nested-pop"),
        pytest.param(
            lambda r: r.__setitem__("itemIdentifier", {"sku": "plain"}), id="plain-nested-dict"
        ),
        pytest.param(lambda r: r.__setitem__("extra", [1, 2]), id="mutable-value"),
        pytest.param(lambda r: r.__setitem__("orderedNotAllocated", 5), id="page-key-in-row"),
        pytest.param(lambda r: r.__setitem__("OrderedNotAllocated", 5), id="page-key-pascal"),
    ],
)
def test_a_row_changed_by_any_dict_method_renders_afresh(sb: Sandbox, mutate: Any) -> None:
    assert_every_form_matches(sb)  # every row rendered and cached
    mutate(_row(sb))

    assert_every_form_matches(sb)


def test_a_plain_nested_dict_changed_in_place_is_never_served_stale(sb: Sandbox) -> None:
    row = _row(sb)
    row["itemIdentifier"] = {"sku": "plain", "id": 1}
    assert_every_form_matches(sb)

    row["itemIdentifier"]["sku"] = "changed in place"  # no StockRow method sees this

    assert_every_form_matches(sb)


def test_a_row_is_rendered_once_until_it_changes(sb: Sandbox) -> None:
    row = _row(sb)
    assert_every_form_matches(sb)
    kept = row.cache

    assert_every_form_matches(sb)
    again = row.cache
    sb.warehouse.adjust_stock("SKU-000002", 1)

    assert (True, None) == (kept is again and kept is not None, row.cache)


@given(
    st.decimals(allow_nan=False, allow_infinity=False)
    | st.decimals(places=3, allow_nan=False, allow_infinity=False)
    | st.integers(-(10**30), 10**30).map(Decimal)
)
def test_any_decimal_in_a_row_renders_as_before(value: Decimal) -> None:
    sb = Sandbox(catalog_size=1, initial_stock=1)
    row = next(iter(sb.warehouse.summaries.values()))
    row["available"] = value

    new, old = cached_and_reference(sb, {"orderednotallocated": "true"}, True)

    assert old == new
    assert dumps(value) in new[2]


def test_filtered_pages_past_the_end_and_empty_catalogs_render_as_before() -> None:
    empty = Sandbox(catalog_size=0)
    assert_every_form_matches(empty)
    sb = Sandbox(catalog_size=7, initial_stock=3)
    assert_every_form_matches(sb, {"pgnum": "4"})
    assert_every_form_matches(sb, {"pgsiz": "500"})


def test_a_copied_or_unpickled_row_can_still_be_changed(sb: Sandbox) -> None:
    row = _row(sb)
    assert_every_form_matches(sb)

    copies = [copy.copy(row), copy.deepcopy(row), pickle.loads(pickle.dumps(row))]  # noqa: S301
    for each in copies:
        each["available"] = Decimal(1)

    assert [{**row, "available": Decimal(1)}] * 3 == [dict(each) for each in copies]
