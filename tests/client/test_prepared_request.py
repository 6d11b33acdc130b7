"""The transport builds each request itself instead of calling ``Session.request``: what goes
out, and the options it is sent with, are what ``Session.request`` would have produced; and it
reads each body whole, with what ``response.content`` would have given or raised."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
import requests
import urllib3
from hypothesis import given
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from extensiv_connector.client._transport import _Call, _OneHostAdapter, _prepare, _read_body

BASE = "https://wms.test"

_TEXT = st.text(alphabet="abcXYZ019-_.~ /=&?%", min_size=1, max_size=8)
_HEADER_VALUE = st.text(alphabet="abcXYZ019-_./;=", min_size=1, max_size=12)
_HEADER_NAME = st.sampled_from(["Accept", "X-Extra", "User-Agent", "If-Match", "accept"])
_VERIFY: st.SearchStrategy[bool | str] = st.sampled_from([True, False, "/etc/ssl/a-bundle.pem"])
_PARAMS = st.none() | st.dictionaries(
    st.sampled_from(["pgsiz", "pgnum", "rql", "sort", "detail"]),
    st.none() | _TEXT | st.integers(min_value=0, max_value=999),
    max_size=4,
)


@st.composite
def sessions(draw: st.DrawFn) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.headers.update(draw(st.dictionaries(_HEADER_NAME, _HEADER_VALUE, max_size=2)))
    session.params = draw(
        st.dictionaries(st.sampled_from(["tenant", "pgsiz"]), st.none() | _TEXT, max_size=2)
    )
    if draw(st.booleans()):
        session.auth = ("session-user", "session-pass")
    if draw(st.booleans()):
        session.cookies.set("sid", draw(_HEADER_VALUE), domain="wms.test", path="/")
    session.proxies = draw(st.sampled_from([{}, {"https": "http://proxy.invalid:3128"}]))
    session.verify = draw(_VERIFY)
    return session


@st.composite
def calls(draw: st.DrawFn) -> tuple[_Call, dict[str, str]]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    path = draw(st.sampled_from(["/orders", "/orders/7", "/inventory/stocksummaries", "/a b"]))
    data = draw(st.none() | st.binary(max_size=20))
    basic = draw(st.none() | st.just(("client-id", "client-secret")))
    headers = {"Accept": "application/hal+json", "User-Agent": "extensiv-connector/test"}
    headers.update(draw(st.dictionaries(_HEADER_NAME, _HEADER_VALUE, max_size=2)))
    params = draw(_PARAMS)
    return _Call(method, BASE + path, path, params, data, headers, basic), headers


def _sent_by_session_request(
    session: requests.Session, call: _Call, headers: dict[str, str]
) -> tuple[requests.PreparedRequest, dict[str, Any]]:
    """What ``Session.request`` prepares and the options it passes to ``send``."""
    captured: dict[str, Any] = {}

    def capture(prepared: requests.PreparedRequest, **options: Any) -> requests.Response:
        captured["prepared"], captured["options"] = prepared, options
        response = requests.Response()
        response.status_code = 200
        return response

    session.send = capture  # type: ignore[method-assign,assignment]  # only its arguments matter
    try:
        session.request(
            call.method,
            call.url,
            params=call.params,
            data=call.data,
            headers=headers,
            timeout=(5.0, 30.0),
            auth=call.basic_auth,
        )
    finally:
        del session.send
    return captured["prepared"], captured["options"]


def _essentials(prepared: requests.PreparedRequest) -> tuple[Any, ...]:
    return (prepared.method, prepared.url, dict(prepared.headers), prepared.body)


@given(session=sessions(), call=calls())
def test_the_request_sent_is_the_one_session_request_would_send(
    session: requests.Session, call: tuple[_Call, dict[str, str]]
) -> None:
    one, headers = call
    expected, expected_options = _sent_by_session_request(session, one, headers)

    actual, options = _prepare(session, one, headers)

    assert _essentials(expected) == _essentials(actual)
    assert {**expected_options, "timeout": None} == {**options, "timeout": None}
    assert expected.hooks == actual.hooks


def test_with_trust_env_the_environment_is_read_as_session_request_reads_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine wms.test login netrc-user password netrc-pass\n")
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/env-bundle.pem")
    session = requests.Session()
    one = _Call("GET", BASE + "/orders", "/orders", {"pgnum": 1}, None, {"Accept": "x"})
    expected, expected_options = _sent_by_session_request(session, one, dict(one.headers))

    actual, options = _prepare(session, one, one.headers)

    assert _essentials(expected) == _essentials(actual)
    assert "Authorization" in actual.headers  # the netrc login, as requests sends it
    assert {**expected_options, "timeout": None} == {**options, "timeout": None}


def test_the_adapter_asks_the_file_system_about_a_ca_bundle_once_per_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    real_isdir = os.path.isdir

    def isdir(path: Any) -> bool:
        asked.append(str(path))
        return real_isdir(path)

    monkeypatch.setattr(os.path, "isdir", isdir)
    ours, theirs = _OneHostAdapter(), HTTPAdapter()
    bundle = "/etc/ssl/a-bundle.pem"
    requests_ = []
    for path in ("/orders", "/orders/7?detail=All", "/customers"):
        prepared = requests.PreparedRequest()
        prepared.prepare(method="GET", url=BASE + path)
        requests_.append(prepared)

    answers = [ours.build_connection_pool_key_attributes(r, bundle, None) for r in requests_]
    ours_asked = len(asked)
    expected = [theirs.build_connection_pool_key_attributes(r, bundle, None) for r in requests_]

    assert expected == answers
    assert 1 == ours_asked
    other = requests.PreparedRequest()
    other.prepare(method="GET", url="http://other.test:8080/x")
    assert theirs.build_connection_pool_key_attributes(
        other, False, None
    ) == ours.build_connection_pool_key_attributes(other, False, None)


def test_the_remembered_pool_key_cannot_be_changed_through_an_answer() -> None:
    adapter = _OneHostAdapter()
    prepared = requests.PreparedRequest()
    prepared.prepare(method="GET", url=BASE + "/orders")

    host, pool = adapter.build_connection_pool_key_attributes(prepared, True, None)
    host["host"] = "elsewhere.test"
    pool["cert_reqs"] = "CERT_NONE"

    assert ("wms.test", "CERT_REQUIRED") == (
        adapter.build_connection_pool_key_attributes(prepared, True, None)[0]["host"],
        adapter.build_connection_pool_key_attributes(prepared, True, None)[1]["cert_reqs"],
    )


class _CountingBody(io.BytesIO):
    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        super().__init__(data)
        self.reads = 0
        self._fail_after = fail_after

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        if self._fail_after is not None and self.reads > self._fail_after:
            raise urllib3.exceptions.ProtocolError("connection broken")
        return super().read(size)


def _response(body: _CountingBody) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.raw = urllib3.HTTPResponse(body=body, preload_content=False)
    return response


def test_a_large_body_is_read_in_one_piece_with_the_same_content() -> None:
    data = b'{"summaries": [' + b'{"sku": "SKU-000001"},' * 5000 + b"{}]}"
    piecewise, whole = _CountingBody(data), _CountingBody(data)

    expected = _response(piecewise).content  # requests' own: 10 KiB at a time
    response = _response(whole)
    _read_body(response)

    assert (expected, data) == (response.content, data)
    assert piecewise.reads > 5
    assert 2 >= whole.reads


def test_a_body_broken_while_being_read_raises_what_requests_raises() -> None:
    data = b"x" * 100_000

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _ = _response(_CountingBody(data, fail_after=3)).content
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _read_body(_response(_CountingBody(data, fail_after=0)))
