"""Signature verification: base64 RSA-SHA256 (PKCS#1 v1.5) over the raw request body.

``cryptography`` is imported when a signature is checked, so the core package imports without
it (it ships in the ``webhooks`` extra).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..errors import ConfigError
from ._errors import WebhookSignatureError

__all__ = ["verify_signature"]

_MAX_SIGNATURE_CHARS = 4096  # an RSA-16384 signature is 2732 base64 characters


def _crypto() -> Any:
    try:
        from cryptography import exceptions
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ConfigError(
            "webhooks",
            "verifying webhook signatures needs the 'cryptography' package: "
            "pip install 'extensiv-connector[webhooks]'",
        ) from exc
    return exceptions, hashes, serialization, padding, rsa


def verify_signature(body: bytes, signature: str, public_key_pem: bytes) -> None:
    """Return if ``signature`` (the ``Signature`` header) signs ``body`` with the key's owner.

    Raises :class:`WebhookSignatureError` when the signature is missing, is not base64, does not
    match, or the key is not an RSA public key in PEM form.
    """
    if not signature or not signature.strip():
        raise WebhookSignatureError(
            "webhook request is unsigned (no Signature header)", reason="unsigned"
        )
    text = signature.strip()
    if len(text) > _MAX_SIGNATURE_CHARS:
        raise WebhookSignatureError("webhook Signature header is too long", reason="malformed")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSignatureError(
            "webhook Signature header is not valid base64", reason="malformed"
        ) from None
    if not raw:
        raise WebhookSignatureError("webhook Signature header is empty", reason="unsigned")
    exceptions, hashes, serialization, padding, rsa = _crypto()
    try:
        key = serialization.load_pem_public_key(bytes(public_key_pem))
    except (ValueError, TypeError, exceptions.UnsupportedAlgorithm):
        raise WebhookSignatureError(
            "webhook public key is not a PEM public key", reason="bad_key"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookSignatureError("webhook public key is not an RSA key", reason="bad_key")
    try:
        key.verify(raw, bytes(body), padding.PKCS1v15(), hashes.SHA256())
    except exceptions.InvalidSignature:
        raise WebhookSignatureError(
            "webhook signature does not match the body (forged, altered, or another key)",
            reason="mismatch",
        ) from None
