"""The one module that speaks HTTP, and the one retry loop.

One ``requests.Session`` with a sized urllib3 pool (an attempt on a session built here goes
straight to that pool, ``_lean``, unless something needs requests' own path); the bearer
token and its 401 replay from :class:`BearerAuth`; retries decided by :class:`RetryPolicy`
(one :class:`Operation`, one budget, per logical request); errors mapped by
:func:`error_from_response` (failures to get an answer, on either path, by :func:`_classify`);
an optional :class:`TokenBucket`. Everything that can vary in a test (clock, sleep, randomness,
the session itself) is injected.

A caller hands one request its hooks as arguments (the resource create methods pass them
on): ``before_attempt`` runs before every send of that request (a lease check), and ``resolve``
looks a create's reference up when its outcome is unknown, inside the same budget.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_netrc_auth
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from .. import wire
from .._version import __version__
from ..errors import (
    AuthenticationError,
    ConnectionFailedError,
    ExtensivError,
    OutcomeUnknownError,
    RateLimitedError,
    TimeoutError_,
    TransportError,
    WireFormatError,
)
from ..models import TokenResponse
from ._auth import DEFAULT_TOKEN_MARGIN, BearerAuth, TokenCache, token_request_body
from ._deadline import DEADLINE_POOLS, DeadlineHTTPPool, DeadlineHTTPSPool
from ._errors import error_from_response, in_request
from ._lean import LeanPath
from ._ratelimit import TokenBucket
from ._retry import Failure, RetryDecision, RetryPolicy

if TYPE_CHECKING:  # the types-requests stubs name them; requests itself does not export them
    from requests.adapters import _HostParams, _PoolKwargs
    from urllib3.connection import HTTPConnection as _ConnectionBase
else:  # at run time the mixin's base is whatever class it is mixed into
    _ConnectionBase = object

__all__ = [
    "HAL_JSON",
    "ApiResponse",
    "ClientCredentials",
    "Transport",
    "TransportSettings",
]

log = logging.getLogger("extensiv_connector.client")

HAL_JSON = "application/hal+json"
_JSON = "application/json"
TOKEN_PATH = "/AuthServer/api/Token"  # noqa: S105 - a URL path, not a password
USER_AGENT = f"extensiv-connector/{__version__}"


@attrs.frozen(kw_only=True)
class ClientCredentials:
    """The OAuth client-credentials grant's input. Secrets never appear in ``repr``."""

    client_id: str = attrs.field(repr=lambda v: (v[:4] + "…") if v else "''")
    client_secret: str = attrs.field(repr=False)
    user_login_id: str | None = None
    user_login: str | None = None
    tpl: str | None = attrs.field(default=None, repr=lambda v: "'***'" if v else "None")


@attrs.frozen(kw_only=True)
class TransportSettings:
    base_url: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    pool_size: int = 16
    user_agent: str = USER_AGENT
    rate_limit: float | None = None  # requests per second; None = no client-side limit
    rate_burst: float | None = None
    token_margin: float = DEFAULT_TOKEN_MARGIN
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    # TLS: True = system CAs, a path = that CA bundle (e.g. the sandbox's ca_file), False = off
    verify: bool | str = True


@attrs.frozen
class _Call:
    """One request as every attempt sends it (the auth flow adds the bearer header)."""

    method: str
    url: str
    log_path: str
    params: dict[str, Any] | None
    data: bytes | None
    headers: dict[str, str]
    basic_auth: tuple[str, str] | None = None


class _Answer(Protocol):
    """What the transport reads of an answer: a ``requests.Response`` or a ``LeanResponse``."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> CaseInsensitiveDict[str]: ...
    @property
    def text(self) -> str: ...


@attrs.frozen
class ApiResponse:
    """A successful answer: status, headers (case-insensitive), body text."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    text: str = attrs.field(repr=False)
    method: str = ""
    path: str = ""

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")

    def json(self) -> Any:
        """The body parsed (non-integers as ``Decimal``); ``None`` for an empty body."""
        if not self.text.strip():
            return None
        try:
            return wire.loads(self.text)
        except WireFormatError as exc:
            raise in_request(exc, self.method, self.path) from None


def _classify(exc: requests.RequestException) -> tuple[Failure, type[TransportError]]:
    if isinstance(exc, requests.ConnectTimeout):
        return Failure.NOT_SENT, TimeoutError_
    if isinstance(exc, requests.Timeout):
        return Failure.TIMEOUT, TimeoutError_
    if isinstance(exc, requests.ConnectionError):
        if exc.args and isinstance(exc.args[0], ReadTimeoutError):
            # The body stopped arriving in time: requests reports a read timeout met while
            # streaming the body as a connection error.
            return Failure.TIMEOUT, TimeoutError_
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, NewConnectionError):
            return Failure.NOT_SENT, ConnectionFailedError
        return Failure.CONNECTION, ConnectionFailedError
    return Failure.CONNECTION, ConnectionFailedError


class Transport:
    """Sends requests with auth, retries, rate limit and error mapping. Thread-safe."""

    def __init__(
        self,
        settings: TransportSettings,
        credentials: ClientCredentials,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] | None = None,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self._credentials = credentials
        self._base = settings.base_url.rstrip("/")
        self._sleep = sleep
        self._rand = rand or random.Random().random
        self._wall_clock = wall_clock or (lambda: datetime.now(timezone.utc))
        self._timeout = (settings.connect_timeout, settings.read_timeout)
        self._lean: LeanPath | None = None
        if session is None:
            session = requests.Session()
            adapter = _OneHostAdapter(
                pool_connections=settings.pool_size, pool_maxsize=settings.pool_size
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.verify = settings.verify
            _settle_environment(session, self._base)
            # Only a session built here: a host's session may carry anything (its own adapter,
            # auth, cookies, hooks), which requests' path handles.
            lean = LeanPath(session, _OneHostAdapter, self._base, self._timeout)
            self._lean = lean if lean.enabled else None
        self._session = session
        self._limiter = (
            TokenBucket(settings.rate_limit, settings.rate_burst, clock=clock, sleep=sleep)
            if settings.rate_limit
            else None
        )
        self.tokens = TokenCache(self._fetch_token, clock=clock, margin=settings.token_margin)
        self.auth = BearerAuth(self.tokens)
        self._converter = wire.make_converter()
        self.request_count = 0
        #: Called as ``listener(method, path, delay_seconds)`` before each retry's wait.
        self.retry_listeners: list[Callable[[str, str, float], None]] = []

    def __repr__(self) -> str:
        return f"Transport(base_url={self._base!r}, pool_size={self.settings.pool_size})"

    def close(self) -> None:
        if self._lean is not None:
            self._lean.close()
        self._session.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self._base + ("" if path.startswith("/") else "/") + path

    # -- token ---------------------------------------------------------------------------

    def _fetch_token(self) -> TokenResponse:
        creds = self._credentials
        body = token_request_body(
            user_login_id=creds.user_login_id, user_login=creds.user_login, tpl=creds.tpl
        )
        try:
            response = self._call(
                "POST",
                TOKEN_PATH,
                body=body,
                accept=_JSON,
                basic_auth=(creds.client_id, creds.client_secret),
                is_token=True,
            )
        except AuthenticationError:
            raise
        doc = response.json()
        token = self._converter.structure(doc, TokenResponse)
        if not token.access_token:
            raise AuthenticationError("token endpoint returned no access_token", status=200)
        return token

    # -- requests ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
        create_reference: str | None = None,
        accept: str = HAL_JSON,
        resolve: Callable[[str], None] | None = None,
        before_attempt: Callable[[], None] | None = None,
    ) -> ApiResponse:
        """Send an authenticated request; return the 2xx answer or raise the mapped error.

        ``create_reference`` marks a create: it is never repeated blindly once it may have
        reached the server. An ambiguous failure raises :class:`OutcomeUnknownError` naming the
        reference, unless ``resolve`` is given: the loop then calls it with the reference; it
        raises to end the create (found, or the lookup failed) and returns when the record is
        not there. The loop sends again only where not finding it proves absence (the origin
        answered); after a read timeout, a reset or a 502/504 the request may still be in
        flight, so it raises :class:`OutcomeUnknownError` instead. ``resolve`` is ignored for a
        request that is not a create.

        ``before_attempt`` runs before every send of this request (each retry and the 401
        replay too; not before token requests); raising stops the request.
        """
        return self._call(
            method,
            path,
            params=params,
            body=body,
            if_match=if_match,
            create_reference=create_reference,
            accept=accept,
            resolve=resolve,
            before_attempt=before_attempt,
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
        create_reference: str | None = None,
        accept: str = HAL_JSON,
        basic_auth: tuple[str, str] | None = None,
        is_token: bool = False,
        resolve: Callable[[str], None] | None = None,
        before_attempt: Callable[[], None] | None = None,
    ) -> ApiResponse:
        """The one retry loop: every wait and every repeat of a request happens here.

        The pure :class:`Operation` decides; this loop only sends, sleeps, and calls the
        ``resolve`` hook when a create's outcome must be looked up.
        """
        method = method.upper()
        url = self.url(path)
        log_path = path.split("?", 1)[0]
        headers = {"Accept": accept, "User-Agent": self.settings.user_agent}
        data: bytes | None = None
        if body is not None:
            data = (body if isinstance(body, str) else wire.dumps(body)).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        if if_match is not None:
            headers["If-Match"] = if_match
        is_create = create_reference is not None
        if not is_create:
            resolve = None
        operation = self.settings.retry.operation(
            method=method,
            has_if_match=if_match is not None or is_token,
            is_create=is_create,
            can_resolve=resolve is not None,
        )
        call = _Call(
            method, url, log_path, dict(params) if params else None, data, headers, basic_auth
        )
        while True:
            attempt = operation.begin()
            cause: BaseException | None = None
            try:
                resp = self._send(call, is_token=is_token, before_attempt=before_attempt)
            except requests.RequestException as exc:
                failure, error_cls = _classify(exc)
                error: ExtensivError = error_cls(
                    f"{failure.value}: {type(exc).__name__}", method=method, path=log_path
                )
                log.debug("%s %s failed (%s), attempt %d", method, log_path, failure, attempt)
                decision = operation.failed(failure, rand=self._rand)
                cause = exc
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    return ApiResponse(status, resp.headers, resp.text, method, log_path)
                error = error_from_response(
                    status,
                    resp.text,
                    resp.headers.get("Content-Type", ""),
                    method,
                    log_path,
                    resp.headers,
                    now=self._wall_clock(),
                )
                if is_token and 400 <= status < 500 and status not in (408, 429):
                    raise _as_auth_error(error, status, resp.text)
                retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
                decision = operation.failed(
                    Failure.STATUS, status=status, retry_after=retry_after, rand=self._rand
                )
            if decision.resolve:
                assert resolve is not None
                assert create_reference is not None
                log.info("%s %s: outcome unknown (%s), looking it up", method, log_path, error)
                resolve(create_reference)  # returns only when the lookup did not find it
                decision = operation.proven_absent(self._rand)
            delay = self._retry_or_raise(decision, error, method, log_path, create_reference, cause)
            self._sleep(delay)

    def _send(
        self, call: _Call, *, is_token: bool, before_attempt: Callable[[], None] | None
    ) -> _Answer:
        """One attempt: the request, and its replay if the auth flow asks for one (a 401)."""
        flow = None if is_token else self.auth.auth_flow(call.headers)
        headers = call.headers if flow is None else next(flow)
        while True:  # at most twice: the auth flow replays once
            if self._limiter is not None:
                self._limiter.acquire()
            if before_attempt is not None:
                before_attempt()
            debug = log.isEnabledFor(logging.DEBUG)
            started = time.perf_counter() if debug else 0.0
            self.request_count += 1
            lean = self._lean
            resp = None if lean is None else lean.send(call, headers)
            if resp is None:  # the lean path does not fit: requests' own
                resp = self._send_with_requests(call, headers)
            if debug:
                elapsed = time.perf_counter() - started
                log.debug(
                    "%s %s -> %d in %.3fs", call.method, call.log_path, resp.status_code, elapsed
                )
            if flow is None:
                return resp
            try:
                headers = flow.send(resp)
            except StopIteration:
                return resp
            except AuthenticationError:
                raise
            except ExtensivError as exc:
                # The refresh after a 401 failed: the request was refused, not processed, so
                # this is no unknown outcome (a create needs no lookup).
                raise AuthenticationError(
                    f"{call.method} {call.log_path}: HTTP 401 and the token refresh failed: {exc}",
                    status=401,
                ) from exc

    def _send_with_requests(self, call: _Call, headers: dict[str, str]) -> requests.Response:
        session = self._session
        prepared, options = _prepare(session, call, headers)
        streamed = options["stream"]
        options["stream"] = True  # the body is read below, whole
        # First of the response hooks: a host's hook that reads the body would hand the
        # connection back to the pool, the final answer still on it, before any check after.
        prepared.hooks["response"].insert(0, _refuse_interim)
        resp = session.send(prepared, timeout=self._timeout, **options)
        if not streamed:
            _read_body(resp)
        return resp

    def _retry_or_raise(
        self,
        decision: RetryDecision,
        error: ExtensivError,
        method: str,
        log_path: str,
        create_reference: str | None,
        cause: BaseException | None,
    ) -> float:
        """Raise what a decision says, or tell the listeners and return how long to wait."""
        if decision.outcome_unknown:
            assert create_reference is not None
            raise OutcomeUnknownError(
                decision.reason,
                method=method,
                path=log_path,
                reference=create_reference,
                cause=error,
            ) from (cause or error)
        if decision.retry:
            log.info("retrying %s %s in %.1fs: %s", method, log_path, decision.delay, error)
            for listener in list(self.retry_listeners):
                listener(method, log_path, decision.delay)
            return decision.delay
        raise error from cause


def _prepare(
    session: requests.Session, call: _Call, headers: Mapping[str, str]
) -> tuple[requests.PreparedRequest, dict[str, Any]]:
    """What ``session.request(...)`` would send, and its ``send`` options, built directly.

    The same merge as ``Session.prepare_request`` and ``merge_environment_settings`` (session
    headers, params, auth, cookies and hooks; netrc, proxies and CA bundle from the environment
    when ``trust_env``), minus the work that finds nothing: no ``Request`` object, no merging of
    empty session settings, and with ``trust_env`` off (the sessions this module builds) no
    reading of the environment. That work was about a quarter of the client's CPU per request.
    """
    prepared = requests.PreparedRequest()
    prepared.prepare_method(call.method)
    params: Mapping[str, Any] | None = call.params
    if session.params and isinstance(session.params, Mapping):
        merged_params = {**session.params, **(params or {})}
        params = {k: v for k, v in merged_params.items() if v is not None}
    prepared.prepare_url(call.url, params)
    merged = CaseInsensitiveDict(session.headers)
    merged.update(headers)
    for name in [name for name, value in merged.items() if value is None]:
        del merged[name]
    prepared.prepare_headers(merged)
    jar = RequestsCookieJar()
    if session.cookies:
        jar.update(session.cookies)
    prepared.prepare_cookies(jar)
    prepared.prepare_body(call.data, None)
    auth: Any = call.basic_auth or session.auth
    if auth is None and session.trust_env:
        auth = get_netrc_auth(call.url)
    prepared.prepare_auth(auth, call.url)
    prepared.prepare_hooks(session.hooks)
    options: dict[str, Any]
    if session.trust_env:
        options = dict(session.merge_environment_settings(prepared.url, {}, None, None, None))
    else:
        options = {
            "proxies": {k: v for k, v in (session.proxies or {}).items() if v is not None},
            "stream": session.stream,
            "verify": session.verify,
            "cert": session.cert,
        }
    options["allow_redirects"] = True
    return prepared, options


#: How much of a body one read may ask for: more than any page, so a body is read with as
#: few system calls as the network allows.
_BODY_READ = 1 << 22


def _refuse_interim(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A response hook: a 1xx answer that a session of the host's returned as the answer.

    http.client takes any 1xx but ``100 Continue`` as the final answer (``101`` too, which no
    request of ours asks for), so the real one is still unread on the connection, and a pooled
    connection would hand it to the next request, which would then get another request's
    answer. The connection is closed (the leftover goes with it) and the attempt fails as a
    connection broken after sending: the request may have been processed, so the retry rules
    and a create's lookup treat it as they treat a reset. The client's own pools do this
    themselves (``_deadline``)."""
    status = resp.status_code
    if 100 <= status < 200:
        raw = resp.raw
        if raw is not None:
            # An adapter of the host's may have read the (empty) body already, which hands
            # the connection back to its pool: then every idle one of that pool is closed.
            released = getattr(raw, "_connection", None) is None
            raw.close()  # urllib3's close closes its connection: nothing left to take
            if released:
                _close_idle_connections(getattr(raw, "_pool", None))
        raise requests.ConnectionError(
            f"interim answer {status} taken as the final one by the session's adapter; "
            "its connection was closed with the answer unread",
            request=resp.request,
        )


def _close_idle_connections(pool: Any) -> None:
    """Close the connections idle in a urllib3 pool (they reconnect when next taken)."""
    idle = getattr(pool, "pool", None)  # the pool's queue; None once the pool is closed
    if idle is None:
        return
    taken: list[Any] = []
    while True:
        try:
            taken.append(idle.get(block=False))
        except queue.Empty:
            break
    for connection in taken:
        if connection is not None:
            connection.close()
    for connection in taken:
        with contextlib.suppress(queue.Full):  # another thread put one back meanwhile
            idle.put(connection, block=False)


def _read_body(resp: requests.Response) -> None:
    """What ``resp.content`` does, in pieces of up to :data:`_BODY_READ` bytes instead of
    10 KiB: every read is a system call that gives up the GIL, and a 90 KB page took nine
    (each a chance for another thread to keep the GIL for a switch interval). The same
    iterator, so the same errors (``ChunkedEncodingError``, ``ConnectionError``...)."""
    if vars(resp).get("_content") is False and resp.raw is not None and resp.status_code:
        resp._content = b"".join(resp.iter_content(_BODY_READ))
    _ = resp.content  # what is left to requests: empty bodies, replayed answers, ...


class _OneHostAdapter(HTTPAdapter):
    """requests' adapter, remembering which pool serves a host.

    ``HTTPAdapter`` parses the URL and, when ``verify`` is a CA-bundle path, asks the file
    system whether it is a directory, on every request; the answer for one scheme, host,
    port, ``verify`` and ``cert`` does not change while the client runs.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool_keys: dict[tuple[str, Any, Any], tuple[_HostParams, _PoolKwargs]] = {}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS brings pools of its own
            manager.pool_classes_by_scheme = DEADLINE_POOLS
        return manager

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[_HostParams, _PoolKwargs]:
        url = request.url or ""
        end = url.find("/", url.find("//") + 2)
        key = (url if end < 0 else url[:end], verify, cert)
        known = self._pool_keys.get(key)
        if known is None:
            known = super().build_connection_pool_key_attributes(request, verify, cert)
            if len(self._pool_keys) >= 64:
                self._pool_keys.clear()
            self._pool_keys[key] = known
        return known[0].copy(), known[1].copy()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        # Headers and a small body in one write; a whole response, not each socket read,
        # within the read timeout (``_deadline``).
        self.poolmanager.pool_classes_by_scheme = _ONE_WRITE_POOLS


#: The largest request body sent in the same write as its headers: the pushes' bodies are a
#: few kilobytes; past the socket's buffer one write gains nothing and the copy costs memory.
ONE_WRITE_MAX_BODY = 64 * 1024


class _OneWrite(_ConnectionBase):
    """Sends a small ``bytes`` body in the same ``sendall`` as the request's headers.

    urllib3 2 sends the header block (``endheaders``) and then each body chunk (``send``), and
    http.client's ``_send_output`` also sends a ``message_body`` apart from the headers. Two
    writes are two chances to wait for the GIL: with eight threads sending, the body often
    left a switch interval (5 ms) after its headers, and a server that reads the whole
    request before answering answered that much later. Here the header block is held and
    joined to whatever urllib3 sends next, so the bytes on the wire and their order are
    urllib3's own; only the number of writes changes. Streams, files, iterables and bodies
    over :data:`ONE_WRITE_MAX_BODY` take urllib3's path untouched.
    """

    _one_write_pending = False
    _one_write_held: bytes | None = None

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(body, bytes) or len(body) > ONE_WRITE_MAX_BODY:
            super().request(method, url, body, headers, **kwargs)
            return
        self._one_write_pending = True
        try:
            super().request(method, url, body, headers, **kwargs)
            held = self._one_write_held
            if held is not None:  # nothing followed the headers (an empty body)
                self._one_write_held = None
                self._one_write_pending = False
                super().send(held)
        finally:
            self._one_write_pending = False
            self._one_write_held = None

    def send(self, data: Any) -> None:
        if self._one_write_pending:
            held = self._one_write_held
            if held is None:
                self._one_write_held = data  # the header block: wait for the body
                return
            self._one_write_pending = False
            self._one_write_held = None
            data = held + data
        super().send(data)


_ONE_WRITE_CLASSES: dict[type[Any], type[Any]] = {}


def _one_write_class(base: type[Any]) -> type[Any]:
    """``base`` with :class:`_OneWrite` mixed in, if ``base`` sends through urllib3's own
    ``request`` and http.client's ``send`` (what the mixin was written against); else
    ``base`` itself. Asked for every new connection, so a class patched in after the pool was
    made (vcrpy's cassette stubs, urllib3's HTTP/2) is used as it is, and unpatched again
    when the patch ends."""
    known = _ONE_WRITE_CLASSES.get(base)
    if known is None:
        request = getattr(base, "request", None)
        send = getattr(base, "send", None)
        if (
            getattr(request, "__module__", None) == "urllib3.connection"
            and getattr(request, "__qualname__", None) == "HTTPConnection.request"
            and getattr(send, "__module__", None) == "http.client"
        ):
            known = type(f"OneWrite{base.__name__}", (_OneWrite, base), {"__module__": __name__})
        else:
            known = base
        _ONE_WRITE_CLASSES[base] = known
    return known


class _OneWriteHTTPPool(DeadlineHTTPPool):
    @property
    def ConnectionCls(self) -> type[Any]:  # type: ignore[override]  # noqa: N802 - urllib3's name
        return _one_write_class(HTTPConnectionPool.ConnectionCls)


class _OneWriteHTTPSPool(DeadlineHTTPSPool):
    @property
    def ConnectionCls(self) -> type[Any]:  # type: ignore[override]  # noqa: N802 - urllib3's name
        return _one_write_class(HTTPSConnectionPool.ConnectionCls)


_ONE_WRITE_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": _OneWriteHTTPPool,
    "https": _OneWriteHTTPSPool,
}


def _as_auth_error(error: ExtensivError, status: int, body: str) -> AuthenticationError:
    if isinstance(error, AuthenticationError):
        return error
    return AuthenticationError(
        f"token request refused (HTTP {status}): {error}", status=status, raw_body=body
    )


def _settle_environment(session: requests.Session, base_url: str) -> None:
    """Read proxy and CA-bundle settings from the environment once, for our one host.

    requests re-reads them on every call (about 0.2 ms each, under the GIL); the client only
    ever talks to ``base_url``, so the answer cannot change between calls.
    """
    if not session.trust_env:
        return
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
