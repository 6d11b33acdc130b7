"""OAuth client-credentials token: request body, freshness rule, a single-flight cache, and
the bearer auth flow that refreshes a rejected token once.

The HTTP call itself is injected (``fetch``), so this module does no I/O; the clock is injected
too, so expiry is testable without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any, Protocol

import attrs

from ..models import TokenResponse

__all__ = [
    "DEFAULT_TOKEN_MARGIN",
    "AuthFlow",
    "BearerAuth",
    "HasStatus",
    "TokenCache",
    "effective_margin",
    "token_is_fresh",
    "token_request_body",
]

#: Seconds before ``expires_in`` at which a token is considered stale.
DEFAULT_TOKEN_MARGIN = 300.0


def token_request_body(
    *, user_login_id: str | None, user_login: str | None, tpl: str | None
) -> dict[str, Any]:
    """The JSON body of ``POST /AuthServer/api/Token``.

    ``user_login_id`` wins when both are given; ``tpl`` is wrapped in braces unless it already is.
    """
    body: dict[str, Any] = {"grant_type": "client_credentials"}
    if user_login_id is not None and str(user_login_id) != "":
        body["user_login_id"] = str(user_login_id)
    elif user_login is not None and user_login != "":
        body["user_login"] = user_login
    if tpl:
        key = tpl.strip()
        if not (key.startswith("{") and key.endswith("}")):
            key = "{" + key + "}"
        body["tpl"] = key
    return body


def effective_margin(expires_in: float, margin: float) -> float:
    """The configured margin, but never more than half the token's lifetime."""
    return max(0.0, min(margin, expires_in / 2))


def token_is_fresh(obtained_at: float, expires_in: float, now: float, margin: float) -> bool:
    """Can a token obtained at ``obtained_at`` (same clock as ``now``) still be used?"""
    return now < obtained_at + expires_in - effective_margin(expires_in, margin)


@attrs.frozen
class _Cached:
    token: TokenResponse
    obtained_at: float


class TokenCache:
    """Hands out a bearer token, fetching a new one only when needed.

    Single flight: whoever finds the cache stale fetches under the lock; every other thread
    waits on that lock and then sees the fresh token, so N concurrent callers cause one request.
    """

    def __init__(
        self,
        fetch: Callable[[], TokenResponse],
        *,
        clock: Callable[[], float] = time.monotonic,
        margin: float = DEFAULT_TOKEN_MARGIN,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._cached: _Cached | None = None
        self.fetch_count = 0

    def __repr__(self) -> str:
        state = "empty" if self._cached is None else "cached"
        return f"TokenCache({state}, fetches={self.fetch_count})"

    def _fresh(self, cached: _Cached | None) -> bool:
        if cached is None:
            return False
        return token_is_fresh(
            cached.obtained_at, cached.token.expires_in, self._clock(), self._margin
        )

    def token(self) -> str:
        """A usable access token (fetching one if the cached one is missing or stale)."""
        cached = self._cached
        if self._fresh(cached):
            assert cached is not None
            return cached.token.access_token
        with self._lock:
            cached = self._cached
            if self._fresh(cached):
                assert cached is not None
                return cached.token.access_token
            started = self._clock()  # measured before the request: errs on the early side
            response = self._fetch()
            self.fetch_count += 1
            self._cached = _Cached(response, started)
            return response.access_token

    def invalidate(self, rejected_token: str) -> None:
        """Forget ``rejected_token`` (a 401 came back for it) unless it was already replaced."""
        with self._lock:
            if self._cached is not None and self._cached.token.access_token == rejected_token:
                self._cached = None


class HasStatus(Protocol):
    """What the auth flow reads of a response (``requests.Response`` has it)."""

    @property
    def status_code(self) -> int: ...


#: Yields the headers of each request to send; is sent back each response.
AuthFlow = Generator[dict[str, str], HasStatus, None]


class BearerAuth:
    """Bearer-token auth as a flow, the way httpx's ``Auth.auth_flow`` works.

    The flow yields the request's headers with the token, receives the response, and on a 401
    forgets that token and yields the same request once more with a fresh one. The replay
    belongs to the same attempt: it is not a retry and costs no retry budget. A second 401
    ends the flow; the caller maps it to ``AuthenticationError``.
    """

    def __init__(self, tokens: TokenCache) -> None:
        self.tokens = tokens

    def __repr__(self) -> str:
        return f"BearerAuth({self.tokens!r})"

    def auth_flow(self, headers: Mapping[str, str]) -> AuthFlow:
        """Yield ``headers`` plus the bearer token; after a 401, once more with a fresh one."""
        token = self.tokens.token()
        response = yield {**headers, "Authorization": f"Bearer {token}"}
        if response.status_code != 401:
            return
        self.tokens.invalidate(token)
        yield {**headers, "Authorization": f"Bearer {self.tokens.token()}"}
