"""The one module that speaks HTTP.

One ``requests.Session`` with a sized urllib3 pool; bearer token from :class:`TokenCache`;
retries decided by :class:`RetryPolicy`; errors mapped by :func:`error_from_response`; an
optional :class:`TokenBucket`. Everything that can vary in a test (clock, sleep, randomness,
the session itself) is injected.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import attrs
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

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
from ._auth import DEFAULT_TOKEN_MARGIN, TokenCache, token_request_body
from ._errors import error_from_response
from ._ratelimit import TokenBucket
from ._retry import Failure, RetryDecision, RetryPolicy

__all__ = ["HAL_JSON", "ApiResponse", "Credentials", "Transport", "TransportSettings"]

log = logging.getLogger("extensiv_connector.client")

HAL_JSON = "application/hal+json"
_JSON = "application/json"
TOKEN_PATH = "/AuthServer/api/Token"  # noqa: S105 - a URL path, not a password
USER_AGENT = f"extensiv-connector/{__version__}"


@attrs.frozen(kw_only=True)
class Credentials:
    """What the token request needs. Secrets never appear in ``repr``."""

    client_id: str = attrs.field(repr=lambda v: (v[:4] + "…") if v else "''")
    client_secret: str = attrs.field(repr=False)
    user_login_id: str | None = None
    user_login: str | None = None
    tpl: str | None = attrs.field(default=None, repr=lambda v: "'***'" if v else "None")


@attrs.frozen(kw_only=True)
class TransportSettings:
    base_url: str
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    pool_size: int = 10
    user_agent: str = USER_AGENT
    rate_limit: float | None = None  # requests per second; None = no client-side limit
    rate_burst: float | None = None
    token_margin: float = DEFAULT_TOKEN_MARGIN
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    # TLS: True = system CAs, a path = that CA bundle (e.g. the sandbox's ca_file), False = off
    verify: bool | str = True


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
            where = f"{self.method} {self.path}: " if self.method or self.path else ""
            raise WireFormatError(exc.json_path, f"{where}{exc.message}") from None


def _classify(exc: requests.RequestException) -> tuple[Failure, type[TransportError]]:
    if isinstance(exc, requests.ConnectTimeout):
        return Failure.NOT_SENT, TimeoutError_
    if isinstance(exc, requests.Timeout):
        return Failure.TIMEOUT, TimeoutError_
    if isinstance(exc, requests.ConnectionError):
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
        credentials: Credentials,
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
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(
                pool_connections=settings.pool_size, pool_maxsize=settings.pool_size
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.verify = settings.verify
            _settle_environment(session, self._base)
        self._session = session
        self._limiter = (
            TokenBucket(settings.rate_limit, settings.rate_burst, clock=clock, sleep=sleep)
            if settings.rate_limit
            else None
        )
        self.tokens = TokenCache(self._fetch_token, clock=clock, margin=settings.token_margin)
        self._converter = wire.make_converter()
        self.request_count = 0
        #: Called as ``listener(method, path, delay_seconds)`` before each retry's wait.
        self.retry_listeners: list[Callable[[str, str, float], None]] = []

    def __repr__(self) -> str:
        return f"Transport(base_url={self._base!r}, pool_size={self.settings.pool_size})"

    def close(self) -> None:
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
    ) -> ApiResponse:
        """Send an authenticated request; return the 2xx answer or raise the mapped error.

        ``create_reference`` marks a create: it is never repeated once it may have reached the
        server, and an ambiguous failure raises :class:`OutcomeUnknownError` naming the reference.
        """
        return self._call(
            method,
            path,
            params=params,
            body=body,
            if_match=if_match,
            create_reference=create_reference,
            accept=accept,
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
    ) -> ApiResponse:
        method = method.upper()
        url = self.url(path)
        log_path = path.split("?", 1)[0]
        headers = {"Accept": accept, "User-Agent": self.settings.user_agent}
        data: str | None = None
        if body is not None:
            data = body if isinstance(body, str) else wire.dumps(body)
            headers["Content-Type"] = "application/json; charset=utf-8"
        if if_match is not None:
            headers["If-Match"] = if_match
        is_create = create_reference is not None
        policy = self.settings.retry
        attempt = 0
        replayed_401 = False
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        while True:
            attempt += 1
            token = ""
            if not is_token:
                token = self.tokens.token()
                headers["Authorization"] = f"Bearer {token}"
            if self._limiter is not None:
                self._limiter.acquire()
            started = time.perf_counter()
            self.request_count += 1
            try:
                resp = self._session.request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    data=data.encode("utf-8") if data is not None else None,
                    headers=headers,
                    timeout=timeout,
                    auth=basic_auth,
                )
            except requests.RequestException as exc:
                failure, error_cls = _classify(exc)
                error: ExtensivError = error_cls(
                    f"{failure.value}: {type(exc).__name__}", method=method, path=log_path
                )
                log.debug("%s %s failed (%s), attempt %d", method, log_path, failure, attempt)
                decision = policy.decide(
                    attempt=attempt,
                    method=method,
                    has_if_match=if_match is not None or is_token,
                    is_create=is_create,
                    failure=failure,
                    rand=self._rand,
                )
                self._retry_or_raise(decision, error, method, log_path, create_reference, exc)
                continue
            elapsed = time.perf_counter() - started
            status = resp.status_code
            log.debug("%s %s -> %d in %.3fs", method, log_path, status, elapsed)
            if 200 <= status < 300:
                return ApiResponse(status, resp.headers, resp.text, method, log_path)
            if status == 401 and not is_token and not replayed_401:
                replayed_401 = True
                attempt -= 1  # the replay after a refresh is not a retry
                self.tokens.invalidate(token)
                continue
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
            decision = policy.decide(
                attempt=attempt,
                method=method,
                has_if_match=if_match is not None or is_token,
                is_create=is_create,
                failure=Failure.STATUS,
                status=status,
                retry_after=retry_after,
                rand=self._rand,
            )
            self._retry_or_raise(decision, error, method, log_path, create_reference, None)

    def _retry_or_raise(
        self,
        decision: RetryDecision,
        error: ExtensivError,
        method: str,
        log_path: str,
        create_reference: str | None,
        cause: BaseException | None,
    ) -> None:
        """Carry out a retry decision: wait and return (retry), or raise what it says."""
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
            self._sleep(decision.delay)
            return
        raise error from cause


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
