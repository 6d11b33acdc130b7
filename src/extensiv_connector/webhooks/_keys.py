"""Extensiv's webhook public key: fetched without auth, cached, fetched again on rotation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .. import wire
from ..errors import WireFormatError
from ._errors import WebhookKeyError, WebhookSignatureError
from ._signature import verify_signature

__all__ = ["KEY_PATH", "KeyFetcher", "PublicKeyCache", "fetch_key_document"]

#: Path of the key document, relative to the API base URL.
KEY_PATH = "/events/webhook/key"

#: ``fetch(url)`` returns the key document (``{"publicKey": PEM, ...}``) or the PEM itself.
KeyFetcher = Callable[[str], Any]


def fetch_key_document(url: str, timeout: float = 2.0) -> Any:
    """GET the key document with ``requests`` (no auth header: the endpoint is public)."""
    import requests

    try:
        response = requests.get(url, headers={"Accept": "application/json"}, timeout=timeout)
    except requests.RequestException as exc:
        raise WebhookKeyError(
            f"could not fetch the webhook key from {url}: {type(exc).__name__}"
        ) from None
    if response.status_code != 200:
        raise WebhookKeyError(f"webhook key endpoint {url} answered HTTP {response.status_code}")
    try:
        return wire.loads(response.content)
    except WireFormatError:
        raise WebhookKeyError(f"webhook key endpoint {url} did not answer JSON") from None


def _pem_from(document: Any, url: str) -> tuple[bytes, str | None]:
    if isinstance(document, bytes | str):
        pem = document.encode() if isinstance(document, str) else document
        return pem, None
    if isinstance(document, Mapping):
        lowered = {str(k).lower(): v for k, v in document.items()}
        pem_value = lowered.get("publickey")
        date = lowered.get("retrievaldateiso")
        if isinstance(pem_value, str) and pem_value.strip():
            return pem_value.encode(), date if isinstance(date, str) else None
    raise WebhookKeyError(f"webhook key document from {url} has no 'publicKey'")


class PublicKeyCache:
    """Holds the current key; thread-safe.

    ``verify(body, signature)`` checks with the cached key and, when that fails, fetches the key
    again once (Extensiv may have rotated it) and checks again. Failure-triggered fetches are
    limited to one per ``min_refresh_interval`` seconds so forged traffic cannot make the
    receiver hammer the key endpoint.
    """

    def __init__(
        self,
        base_url: str,
        fetch: KeyFetcher | None = None,
        *,
        key_url: str | None = None,
        min_refresh_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = key_url or base_url.rstrip("/") + KEY_PATH
        self._fetch: KeyFetcher = fetch if fetch is not None else fetch_key_document
        self._min_refresh_interval = min_refresh_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._pem: bytes | None = None
        self._last_refresh: float | None = None
        self.retrieval_date: str | None = None
        self.fetch_count = 0

    def _load(self) -> bytes:
        try:
            document = self._fetch(self.url)
        except WebhookKeyError:
            raise
        except Exception as exc:
            raise WebhookKeyError(
                f"could not fetch the webhook key from {self.url}: {type(exc).__name__}"
            ) from None
        self.fetch_count += 1
        pem, date = _pem_from(document, self.url)
        self._pem, self.retrieval_date = pem, date
        return pem

    def current(self) -> bytes:
        """The cached key, fetched on first use."""
        with self._lock:
            return self._pem if self._pem is not None else self._load()

    def refresh(self, stale: bytes | None = None) -> bytes:
        """Fetch again unless another thread already replaced ``stale`` or one ran just now."""
        with self._lock:
            if self._pem is not None and self._pem != stale:
                return self._pem
            now = self._clock()
            recent = (
                self._last_refresh is not None
                and now - self._last_refresh < self._min_refresh_interval
            )
            if recent and self._pem is not None:
                return self._pem
            self._last_refresh = now
            return self._load()

    def verify(self, body: bytes, signature: str) -> None:
        """Verify ``signature`` over ``body``; raise :class:`WebhookSignatureError` if it fails."""
        key = self.current()
        try:
            verify_signature(body, signature, key)
        except WebhookSignatureError as exc:
            if exc.reason not in ("mismatch", "bad_key"):
                raise
            fresh = self.refresh(stale=key)
            if fresh == key:
                raise
            verify_signature(body, signature, fresh)
