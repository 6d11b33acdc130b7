from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ExtensivError
from extensiv_connector.webhooks import WebhookSignatureError, verify_signature

from ._support import Signer

BODY = b'{"wmsEventId": 1, "eventType": "OrderConfirm"}'


def test_valid_signature_returns_none(signer: Signer) -> None:
    # the point: the result of a function typed to return None is None
    result: object = verify_signature(BODY, signer.sign(BODY), signer.pem)  # type: ignore[func-returns-value]
    assert None is result


def test_signature_error_is_an_extensiv_error() -> None:
    assert issubclass(WebhookSignatureError, ExtensivError)


def test_body_signed_by_another_key_is_a_mismatch(signer: Signer, other_signer: Signer) -> None:
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY, other_signer.sign(BODY), signer.pem)
    assert "mismatch" == info.value.reason


def test_altered_body_is_a_mismatch(signer: Signer) -> None:
    signature = signer.sign(BODY)
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY.replace(b"1", b"2"), signature, signer.pem)
    assert "mismatch" == info.value.reason


@pytest.mark.parametrize("signature", ["", "   "])
def test_missing_signature_is_unsigned(signer: Signer, signature: str) -> None:
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY, signature, signer.pem)
    assert "unsigned" == info.value.reason


@pytest.mark.parametrize("signature", ["not base64!!", "abc", "Zm9v\x00", "A" * 5000])
def test_garbage_signature_is_malformed(signer: Signer, signature: str) -> None:
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY, signature, signer.pem)
    assert "malformed" == info.value.reason


def test_short_valid_base64_signature_is_a_mismatch(signer: Signer) -> None:
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY, base64.b64encode(b"x" * 10).decode(), signer.pem)
    assert "mismatch" == info.value.reason


@pytest.mark.parametrize(
    "key", [b"", b"garbage", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_garbage_key_is_reported_as_bad_key(signer: Signer, key: bytes) -> None:
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY, signer.sign(BODY), key)
    assert "bad_key" == info.value.reason


def test_non_rsa_key_is_reported_as_bad_key(signer: Signer) -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY, signer.sign(BODY), ec_pem)
    assert "bad_key" == info.value.reason


def test_error_message_carries_no_signature_key_or_body(
    signer: Signer, other_signer: Signer
) -> None:
    signature = other_signer.sign(BODY)
    with pytest.raises(WebhookSignatureError) as info:
        verify_signature(BODY, signature, signer.pem)
    message = str(info.value)
    assert [] == [part for part in (signature[:20], "wmsEventId", "BEGIN") if part in message]


@settings(max_examples=25, deadline=None)
@given(body=st.binary(max_size=512), flip=st.integers(min_value=0))
def test_any_body_verifies_and_any_flipped_byte_does_not(
    signer: Signer, body: bytes, flip: int
) -> None:
    signature = signer.sign(body)
    verify_signature(body, signature, signer.pem)
    if body:
        index = flip % len(body)
        tampered = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
        with pytest.raises(WebhookSignatureError):
            verify_signature(tampered, signature, signer.pem)
