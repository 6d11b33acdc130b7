"""The route table: every route reaches its handler, every handler is routed, and what happens
to a request no route takes or a handler that fails."""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
import re
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

import extensiv_connector.sandbox as sandbox_package
from extensiv_connector.sandbox import Sandbox, SandboxCredentials
from extensiv_connector.sandbox._routes import ROUTES, Route, route_map

from .conftest import Api, order_body

_VALUE = re.compile(r"<int:(\w+)>")


def handler_modules() -> list[Any]:
    names = [m.name for m in pkgutil.iter_modules(sandbox_package.__path__)]
    return [
        importlib.import_module(f"extensiv_connector.sandbox.{name}")
        for name in sorted(names)
        if name.startswith("_api_")
    ]


def sample_path(route: Route, values: dict[str, int]) -> str:
    return _VALUE.sub(lambda match: str(values[match.group(1)]), route.pattern)


def test_every_route_names_a_handler_that_takes_the_call_and_the_path_values() -> None:
    for route in ROUTES:
        parameters = list(inspect.signature(route.handler).parameters)

        assert ["call", *_VALUE.findall(route.pattern)] == parameters, route


def test_no_two_routes_share_a_method_and_pattern() -> None:
    keys = [(route.method, route.pattern) for route in ROUTES]

    assert sorted(set(keys)) == sorted(keys)


@given(ids=st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=2))
def test_every_route_matches_its_own_pattern_with_any_ids(ids: list[int]) -> None:
    adapter = route_map().bind("sandbox", "/")
    for route in ROUTES:
        names = _VALUE.findall(route.pattern)
        values = dict(zip(names, ids, strict=False))

        matched, matched_values = adapter.match(sample_path(route, values), method=route.method)

        assert (route, values) == (matched, dict(matched_values))


def test_every_handler_in_a_resource_module_is_routed_and_every_module_has_a_route() -> None:
    modules = handler_modules()
    exported = {
        getattr(module, name)
        for module in modules
        for name in module.__all__
        if inspect.isfunction(getattr(module, name))
        and next(iter(inspect.signature(getattr(module, name)).parameters), None) == "call"
    }
    routed = {route.handler for route in ROUTES}

    assert "extensiv_connector.sandbox._api_orders" in {m.__name__ for m in modules}
    assert exported == routed
    assert {m.__name__ for m in modules} == {h.__module__ for h in routed}


def test_an_unknown_path_is_a_plain_text_404(api: Api) -> None:
    response = api.get("/no/such/resource")

    assert (404, "text/plain; charset=utf-8") == (
        response.status_code,
        response.headers["Content-Type"],
    )
    assert response.text.startswith("The requested URL was not found on the server.")


def test_a_known_path_with_another_method_is_a_plain_text_405(api: Api) -> None:
    response = api.call("DELETE", "/orders")

    assert (405, "The method is not allowed for the requested URL.") == (
        response.status_code,
        response.text,
    )


def test_an_unknown_path_is_a_404_even_without_a_token(sb: Sandbox) -> None:
    assert 404 == requests.get(sb.base_url + "/no/such/resource", timeout=5).status_code


def test_head_on_a_get_route_answers_like_get_without_a_body(api: Api) -> None:
    response = api.call("HEAD", "/orders")

    assert (200, b"") == (response.status_code, response.content)


def test_a_failing_handler_is_a_plain_500_and_the_exception_is_logged_without_secrets(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the warehouse")

    monkeypatch.setattr(api.sb.warehouse, "create_order", broken)
    caplog.set_level(logging.ERROR, logger="extensiv_connector.sandbox")
    body = order_body(api.sb, "REF-1", {"SKU-000001": 1})
    body["shipTo"]["name"] = "Personal Name Of A Customer"

    response = api.post("/orders", json=body)

    assert (500, "An error has occurred.") == (response.status_code, response.text)
    records = [r for r in caplog.records if r.name == "extensiv_connector.sandbox"]
    assert ["sandbox handler create_order failed on POST /orders"] == [
        r.getMessage() for r in records
    ]
    assert records[0].exc_info is not None
    assert "a bug in the warehouse" in caplog.text  # the traceback is there
    for secret in ("Personal Name Of A Customer", api.token, api.sb.credentials.client_secret):
        assert secret not in caplog.text


def test_the_old_credentials_name_warns_and_is_the_sandbox_credentials() -> None:
    with pytest.warns(DeprecationWarning, match="use SandboxCredentials"):
        from extensiv_connector.sandbox import Credentials

    assert SandboxCredentials is Credentials
    assert "Credentials" not in sandbox_package.__all__


def test_an_unknown_name_in_the_sandbox_package_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        _ = sandbox_package.NoSuchThing
