"""The lean path: the common request sent straight through the adapter's urllib3 pool.

``Session.send`` and ``HTTPAdapter.send`` do a great deal of work that finds nothing for the
sessions the transport builds itself (no proxies, hooks, cookies or session auth): a
``PreparedRequest`` with a cookie jar, URL parsing and re-quoting, the adapter's pool lookup,
a ``Response`` with its own jar, cookie extraction, a redirect check, and a body read in
pieces. That was most of the client's CPU per request. Here the same request goes out through
the same pool (its deadline and one-write connections included) with the same bytes on the
wire: the URL and the header block are built as ``requests`` builds them, from the same
functions where they cost little (parameters by ``_encode_params``, header checks by
``check_header_validity``), and ``urlopen`` is called with ``HTTPAdapter.send``'s arguments.
The body is read whole, in one ``read``, decoded as ``requests`` decodes it
(``Content-Encoding`` included). urllib3's exceptions become the ones ``requests`` raises for
them (:func:`requests_error`), so the transport maps them to its typed errors in one place.

Anything unusual takes ``requests``' path, decided before anything is sent
(:meth:`LeanPath.send` returns ``None``), or, for an answer that needs ``requests``' after-work
(a redirect, a ``Set-Cookie``), handed to ``requests`` after it arrived (:func:`_finish`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter
from requests.auth import _basic_auth_str
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.exceptions import ChunkedEncodingError, ContentDecodingError, InvalidURL
from requests.models import REDIRECT_STATI, RequestEncodingMixin
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, get_encoding_from_headers
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.util import Timeout

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse
    from urllib3.connectionpool import HTTPConnectionPool

    from ._transport import _Call

__all__ = ["LeanPath", "LeanResponse", "read_error", "request_target", "send_error"]

#: A URL's path and query that ``prepare_url`` gives back unchanged: urllib3's ``parse_url``
#: percent-encodes nothing in it (its path and query characters), ``requote_uri`` neither (no
#: ``%`` to unquote), and no dot segment to remove (``/.`` anywhere sends it the long way, a
#: few harmless paths with it too). No fragment, no empty query.
_PLAIN_REST = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?]+)?")

#: requests' own parameter encoder (the types-requests stubs do not name it).
_encode_params: Callable[[Any], str] = RequestEncodingMixin._encode_params  # type: ignore[attr-defined]
_extract_cookies: Callable[[Any, Any, Any], None] = extract_cookies_to_jar


# requests.Response's own code, run on a LeanResponse (it reads only what one has)
_APPARENT_ENCODING: Callable[[Any], str | None] = requests.Response.apparent_encoding.fget  # type: ignore[attr-defined]
_TEXT: Callable[[Any], str] = requests.Response.text.fget  # type: ignore[attr-defined]
_JSON: Callable[..., Any] = requests.Response.json


class LeanResponse:
    """An answer read on the lean path: what the transport reads of a ``requests.Response``
    (``status_code``, case-insensitive ``headers``, ``text``, ``content``, ``json``), filled as
    ``HTTPAdapter.build_response`` and ``Response.content`` fill it. ``text``, ``json`` and
    ``apparent_encoding`` are ``requests.Response``'s own, so they decode alike."""

    __slots__ = ("_content", "encoding", "headers", "reason", "status_code", "url")

    def __init__(
        self,
        status_code: int,
        headers: CaseInsensitiveDict[str],
        content: bytes,
        reason: str | None,
        url: str,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self._content = content
        self.encoding = _encoding(headers)
        self.reason = reason
        self.url = url

    @property
    def content(self) -> bytes:
        return self._content

    @property
    def apparent_encoding(self) -> str | None:
        return _APPARENT_ENCODING(self)

    @property
    def text(self) -> str:
        return _TEXT(self)

    def json(self, **kwargs: Any) -> Any:
        return _JSON(self, **kwargs)

    def __repr__(self) -> str:
        return f"<LeanResponse [{self.status_code}]>"


#: ``get_encoding_from_headers`` by ``Content-Type`` (all it reads): a few types, every answer.
_ENCODINGS: dict[str | None, str | None] = {}


def _encoding(headers: CaseInsensitiveDict[str]) -> str | None:
    content_type = headers.get("content-type")
    try:
        return _ENCODINGS[content_type]
    except KeyError:
        encoding = get_encoding_from_headers(headers)
        if len(_ENCODINGS) >= 64:
            _ENCODINGS.clear()
        _ENCODINGS[content_type] = encoding
        return encoding


#: ``send`` as requests defines it, to notice when something has replaced it.
_ADAPTER_SEND = HTTPAdapter.send
_SESSION_SEND = requests.Session.send


class LeanPath:
    """Sends a transport's requests on its own session's pool while nothing needs ``requests``.

    Made only for a session the transport built (a host's session may carry anything), and
    only when its base URL comes back from ``prepare_url`` as it is (a host name in upper
    case, an IDNA name, credentials in the URL... take ``requests``' path for good).
    """

    def __init__(
        self,
        session: requests.Session,
        adapter_type: type[HTTPAdapter],
        base_url: str,
        timeout: tuple[float, float],
    ) -> None:
        self._session = session
        self._adapter_type = adapter_type
        end = base_url.find("/", base_url.find("//") + 2)
        origin = base_url if end < 0 else base_url[:end]
        self.origin = origin
        self._prefix = origin + "/"
        probe = requests.PreparedRequest()
        probe.prepare_url(self._prefix, None)
        self.enabled = probe.url == self._prefix and "@" not in origin
        # requests' select_proxy: the first of these keys in the proxies decides
        parts = urlparse(self._prefix)
        scheme, host = parts.scheme, parts.hostname
        self._proxy_keys = (f"{scheme}://{host}", scheme, f"all://{host}", "all")
        self._probe = probe  # the pool key is the origin's: one request stands for them all
        self._timeout = Timeout(connect=timeout[0], read=timeout[1])
        self._known_pool: tuple[Any, Any, Any, HTTPConnectionPool] | None = None

    # -- deciding ------------------------------------------------------------------------

    def _adapter(self, url: str) -> Any:
        """The session's adapter for ``url``, if it is the transport's own and nothing has
        taken over ``send`` (else ``None``): mocking libraries patch ``HTTPAdapter.send``
        (responses) or ``Session.get_adapter`` (requests-mock), a test may replace a session's
        ``send``; what they intercept must still reach them."""
        session = self._session
        adapter = session.get_adapter(url)
        if (
            type(adapter) is not self._adapter_type
            or type(adapter).send is not _ADAPTER_SEND
            or type(session).send is not _SESSION_SEND
            or "send" in vars(session)
        ):
            return None
        return adapter

    def _plain(self) -> bool:
        """Nothing in the session that ``requests`` would act on (checked on every request:
        the session is reachable, as ``Transport._session``, and could be changed)."""
        session = self._session
        if session.trust_env or session.auth is not None or session.params or session.stream:
            return False  # environment reading, session auth and params: requests merges them
        if any(session.hooks.get("response") or ()):
            return False  # response hooks run in Session.send
        if len(session.cookies):
            return False  # cookies in the jar go out with the request: requests picks them
        proxies = session.proxies
        if proxies:
            for key in self._proxy_keys:
                proxy = proxies.get(key)
                if proxy is not None:
                    if proxy:
                        return False  # a proxy: its own pool, URL form and headers
                    break
        return True

    # -- sending -------------------------------------------------------------------------

    def _pool(self, adapter: HTTPAdapter, verify: Any, cert: Any) -> HTTPConnectionPool:
        """The pool ``get_connection_with_tls_context`` gives (no proxy: checked), kept while
        it is the one the adapter's pool manager would give: the same manager, ``verify`` and
        ``cert`` (the pool key), and still open (a pool the manager lets go is closed)."""
        manager = adapter.poolmanager
        pool: HTTPConnectionPool
        known = self._known_pool
        if known is not None:
            known_manager, known_verify, known_cert, pool = known
            if (
                known_manager is manager
                and known_verify == verify
                and known_cert == cert
                and pool.pool is not None
            ):
                return pool
        try:
            host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(
                self._probe, verify, cert
            )
            pool = manager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)
        except ValueError as exc:  # LocationValueError too, as HTTPAdapter.send maps it
            raise InvalidURL(exc) from exc
        self._known_pool = (manager, verify, cert, pool)
        return pool

    def close(self) -> None:
        """Close the pool this path keeps. urllib3 2's ``PoolManager.clear()`` (what closing
        the session does) only lets its pools go, and a pool closes its connections when it is
        collected: the reference kept here would keep them open after ``close()``."""
        known, self._known_pool = self._known_pool, None
        if known is not None:
            known[3].close()

    def send(self, call: _Call, headers: dict[str, str]) -> LeanResponse | requests.Response | None:
        """Send ``call`` with ``headers``; ``None``, with nothing sent, if ``requests`` must.

        Raises what ``requests`` would raise (a ``requests.RequestException`` for what went
        wrong on the way, ``OSError`` for a missing CA bundle, ...)."""
        url = call.url
        if not (self.enabled and url.startswith(self._prefix) and self._plain()):
            return None
        adapter = self._adapter(url)
        if adapter is None:
            return None  # another adapter mounted for this URL: it sends as it likes
        session = self._session
        method = call.method
        target = request_target(self.origin, url, call.params)
        if target is None:
            return None
        url, rest = target
        block = _header_block(session.headers, headers, call.data, method, call.basic_auth)
        verify, cert = session.verify, session.cert
        pool = self._pool(adapter, verify, cert)
        adapter.cert_verify(pool, url, verify, cert)
        try:
            raw = pool.urlopen(
                method=method,
                url=rest,
                body=call.data or None,
                headers=block,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=adapter.max_retries,
                timeout=self._timeout,
                chunked=False,
            )
        except (HTTPError, OSError) as exc:
            mapped = send_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        try:
            content = raw.read(decode_content=True)
        except (HTTPError, OSError) as exc:
            mapped = read_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        status = raw.status
        # build_response's CaseInsensitiveDict(raw.headers): the same names and joined values
        response_headers = CaseInsensitiveDict(raw.headers.itermerged())
        if "set-cookie" in response_headers or (
            status in REDIRECT_STATI and "location" in response_headers
        ):
            return _finish(session, adapter, call, block, url, raw, content, self._timeout)
        return LeanResponse(status, response_headers, content or b"", raw.reason, url)


def request_target(origin: str, url: str, params: Any) -> tuple[str, str] | None:
    """``(url, path_url)`` as ``PreparedRequest.prepare_url(url, params)`` makes them, or
    ``None`` if that URL is not on ``origin`` (whose own form ``prepare_url`` keeps)."""
    rest = url[len(origin) :]
    if url.startswith(origin) and _PLAIN_REST.fullmatch(rest) is not None and "/." not in rest:
        query = _encode_params(params) if params is not None else ""
        if query:
            rest += ("&" if "?" in rest else "?") + query
        return origin + rest, rest
    # unusual characters: requests' own URL preparation, as slow as before
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, params)
    full = prepared.url or ""
    if not full.startswith(origin + "/"):
        return None
    return full, prepared.path_url


#: Header lines that passed ``check_header_validity`` (most are the same on every request).
_VALID_HEADERS: set[tuple[str, str]] = set()


def _header_block(
    session_headers: Any,
    headers: dict[str, str],
    body: bytes | None,
    method: str,
    basic_auth: tuple[str, str] | None,
) -> dict[str, str]:
    """The header block ``_prepare`` builds, in its order: the session's headers, then the
    call's (a name already there keeps its place and takes the call's spelling), ``None``
    values dropped, each checked as ``prepare_headers`` checks it; then ``Content-Length`` as
    ``prepare_body`` sets it, and the basic credentials as ``prepare_auth`` sets them."""
    store: dict[str, tuple[str, str]] = {}
    for name, value in session_headers.items():
        store[name.lower()] = (name, value)
    for name, value in headers.items():
        store[name.lower()] = (name, value)
    block: dict[str, str] = {}
    for name, value in store.values():
        if value is not None:
            if (name, value) not in _VALID_HEADERS:
                check_header_validity((name, value))
                if len(_VALID_HEADERS) >= 256:
                    _VALID_HEADERS.clear()
                _VALID_HEADERS.add((name, value))
            block[name] = value
    if body:
        _put(block, "Content-Length", str(len(body)))
    elif method not in ("GET", "HEAD") and _get(block, "content-length") is None:
        _put(block, "Content-Length", "0")
    if basic_auth is not None:
        _put(block, "Authorization", _basic_auth_str(*basic_auth))
    return block


def _get(block: dict[str, str], lower: str) -> str | None:
    for name, value in block.items():
        if name.lower() == lower:
            return value
    return None


def _put(block: dict[str, str], name: str, value: str) -> None:
    """``CaseInsensitiveDict.__setitem__``: an existing name keeps its place, takes ``name``."""
    lower = name.lower()
    for i, existing in enumerate(block):
        if existing.lower() == lower:
            items = list(block.items())
            items[i] = (name, value)
            block.clear()
            block.update(items)
            return
    block[name] = value


def _finish(
    session: requests.Session,
    adapter: Any,
    call: _Call,
    block: dict[str, str],
    url: str,
    raw: BaseHTTPResponse,
    content: bytes,
    timeout: Timeout,
) -> requests.Response:
    """``Session.send``'s after-work for an answer that needs it: its cookies kept in the
    session's jar, and a redirect followed by ``requests`` (which sends the next request
    itself). Rare: the API answers neither."""
    prepared = requests.PreparedRequest()
    prepared.method = call.method
    prepared.url = url
    prepared.headers = CaseInsensitiveDict(block)
    prepared.body = call.data or None
    prepared.hooks = {"response": []}
    prepared.prepare_cookies(RequestsCookieJar())  # empty (or the lean path was not taken)
    response: requests.Response = adapter.build_response(prepared, raw)
    response._content = content or b""
    response._content_consumed = True  # type: ignore[attr-defined]
    _extract_cookies(session.cookies, prepared, raw)
    options: dict[str, Any] = {  # what _prepare gives Session.send
        "stream": False,
        "timeout": (timeout.connect_timeout, timeout.read_timeout),
        "verify": session.verify,
        "cert": session.cert,
        "proxies": {k: v for k, v in session.proxies.items() if v is not None},
    }
    history = list(session.resolve_redirects(response, prepared, **options))
    if history:
        history.insert(0, response)
        last: requests.Response = history.pop()
        last.history = history
        return last
    return response


def send_error(exc: BaseException) -> BaseException:
    """What ``HTTPAdapter.send`` raises for what ``urlopen`` raised (its ``except`` clauses,
    in their order)."""
    if isinstance(exc, (ProtocolError, OSError)):
        return requests.ConnectionError(exc)
    if isinstance(exc, MaxRetryError):
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return requests.ConnectTimeout(exc)
        if isinstance(reason, ResponseError):
            return requests.exceptions.RetryError(exc)
        if isinstance(reason, ProxyError):
            return requests.exceptions.ProxyError(exc)
        if isinstance(reason, SSLError):
            return requests.exceptions.SSLError(exc)
        return requests.ConnectionError(exc)
    if isinstance(exc, ClosedPoolError):
        return requests.ConnectionError(exc)
    if isinstance(exc, ProxyError):
        return requests.exceptions.ProxyError(exc)
    if isinstance(exc, SSLError):
        return requests.exceptions.SSLError(exc)
    if isinstance(exc, ReadTimeoutError):
        return requests.ReadTimeout(exc)
    if isinstance(exc, InvalidHeader):
        return requests.exceptions.InvalidHeader(exc)
    return exc


def read_error(exc: BaseException) -> BaseException:
    """What ``Response.iter_content`` raises for what reading the body raised."""
    if isinstance(exc, ProtocolError):
        return ChunkedEncodingError(exc)
    if isinstance(exc, DecodeError):
        return ContentDecodingError(exc)
    if isinstance(exc, ReadTimeoutError):
        return requests.ConnectionError(exc)
    if isinstance(exc, SSLError):
        return requests.exceptions.SSLError(exc)
    return exc
