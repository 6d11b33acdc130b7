"""The token endpoint and bearer checks, as the public Extensiv API documentation describes them.

``POST /AuthServer/api/Token`` with ``Authorization: Basic base64(client_id:client_secret)`` and a
JSON or form body (``grant_type=client_credentials``, ``user_login_id`` or ``user_login``, ``tpl``
with braces). 200 → ``{"access_token", "token_type": "Bearer", "expires_in", "refresh_token": null,
"scope": null}``; bad credentials → 401 ``{"Message": "invalid_client: ..."}``. Tokens expire after
``token_lifetime_s`` (the real lifetime is "typically 30–60 minutes"; default 3600 like
``expires_in`` in real responses).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Callable, Mapping

import attrs

__all__ = [
    "AuthSettings",
    "SandboxCredentials",
    "TokenStore",
    "bearer",
    "check_client",
]


@attrs.frozen(kw_only=True)
class SandboxCredentials:
    """What a client needs to talk to this sandbox."""

    client_id: str
    client_secret: str = attrs.field(repr=False)
    tpl: str
    user_login_id: str
    customer_id: int
    facility_id: int


@attrs.frozen(kw_only=True)
class AuthSettings:
    """[U] choices of the token endpoint, all configurable.

    ``require_user_login``: reject a token request without ``user_login_id``/``user_login``
    (Celigo: transactions need a user login; default False, since "External REST" credentials
    work without one). ``require_tpl``: reject one without ``tpl`` (needed only for some credential
    types; default False). A ``tpl`` or user login that *is* sent must match.
    """

    token_lifetime_s: float = 3600.0
    require_user_login: bool = False
    require_tpl: bool = False


def _strip_braces(value: str) -> str:
    return value.strip().strip("{}").lower()


def check_client(
    credentials: SandboxCredentials,
    settings: AuthSettings,
    authorization: str | None,
    body: Mapping[str, object],
) -> tuple[int, str] | None:
    """None when the request may get a token, else (status, Message)."""
    if not authorization or not authorization.lower().startswith("basic "):
        return 401, "invalid_client: missing client credentials"
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return 401, "invalid_client: malformed client credentials"
    client_id, _, secret = decoded.partition(":")
    if not (
        secrets.compare_digest(client_id.encode(), credentials.client_id.encode())
        and secrets.compare_digest(secret.encode(), credentials.client_secret.encode())
    ):
        return 401, "invalid_client: client not registered"
    fields = {str(k).lower(): v for k, v in body.items()}
    grant = fields.get("grant_type")
    if grant != "client_credentials":
        return 400, "unsupported_grant_type: grant_type must be client_credentials"
    login = fields.get("user_login_id", fields.get("user_login"))
    if login is None or login == "":
        if settings.require_user_login:
            return 401, "invalid_client: user login required"
    elif str(login) != credentials.user_login_id:
        return 401, "invalid_client: user login not found"
    tpl = fields.get("tpl")
    if tpl is None or tpl == "":
        if settings.require_tpl:
            return 401, "invalid_client: tpl required"
    elif _strip_braces(str(tpl)) != _strip_braces(credentials.tpl):
        return 401, "invalid_client: tpl not found"
    return None


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, else None."""
    header = authorization or ""
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


class TokenStore:
    """Opaque bearer tokens with a real expiry; thread-safe."""

    def __init__(self, clock: Callable[[], float], lifetime_s: float) -> None:
        self._clock = clock
        self.lifetime_s = lifetime_s
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def issue(self) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.lifetime_s
            self.issued += 1
        return token, int(self.lifetime_s)

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            return expiry is not None and expiry > self._clock()

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self) -> None:
        """Every token issued so far stops working now (early expiry)."""
        with self._lock:
            self._tokens.clear()
