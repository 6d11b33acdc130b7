"""The guard's quick way (msgspec after one pre-scan, ``_json_guard._plain_parse``) returns what
the full path returns, and leaves every refusal, with its wording and path, to the full path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector import _json_guard, wire
from extensiv_connector.errors import WireFormatError

pytestmark = pytest.mark.skipif(_json_guard._ACCELERATED is None, reason="msgspec is not installed")


def outcome(text: str | bytes) -> Any:
    try:
        return ("value", repr(wire.loads(text)))
    except WireFormatError as exc:
        return ("error", exc.json_path, exc.message)


def full_path_outcome(text: str | bytes) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_json_guard, "_plain_parse", lambda _text, _depth: _json_guard._REFUSED)
        return outcome(text)


TOKENS = [
    "[", "]", "{", "}", '"', "\\", ",", ":", " ", "0", "7", "9" * 20, "9" * 41, "1.5", "e", "-",
    "a", "é", "\\u", "d800", "dc00", '\\"', "\\\\", "{?detail}", "null", "true", "NaN", "1e400",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.booleans())
def test_any_text_gives_what_the_full_path_gives(tokens: list[str], as_bytes: bool) -> None:
    text = "".join(tokens)
    document: str | bytes = text.encode() if as_bytes else text

    assert full_path_outcome(document) == outcome(document)


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**45), max_value=10**45)
    | st.text(alphabet='[]{}"\\0123456789,:aé\u2028', max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_any_document_gives_what_the_full_path_gives(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()

    assert full_path_outcome(body) == outcome(body)


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf[1]",
        b'["\xed\xa0\x80"]',  # an encoded surrogate: not UTF-8
        b'["\xc0\x80"]',
        b'["\\ud800"]',
        b'["\\\\ud800"]',
        b'{"a": "\\ud83d\\ude00"}',
        b'[12, "' + b"3" * 30 + b'", 45678901234567890123]',  # digits that only join when dropped
        b"[" + b"1" * 41 + b"]",
        b"[" + b"1" * 40 + b"]",
        b'["' + b"1" * 60 + b'"]',  # a long run in a string: the full path decides
        b'{"href": "/orders/1{?detail}", "x": ' + b"[" * 62 + b"]" * 62 + b"}",
        b'{"href": "]]]]", "x": ' + b"[" * 63 + b"]" * 63 + b"}",
        b'{"href": "[[[[", "x": ' + b"[" * 64 + b"]" * 64 + b"}",
        b"[" * 64 + b"]" * 64,
        b"[" * 65 + b"]" * 65,
        b'{"a\\"[": [[1]]}',
        b"[1, 2",
        b"",
    ],
)
def test_edge_documents_give_what_the_full_path_gives(body: bytes) -> None:
    assert full_path_outcome(body) == outcome(body)
    assert full_path_outcome(body.decode("utf-8", "replace")) == outcome(
        body.decode("utf-8", "replace")
    )


def test_a_page_the_api_writes_is_read_the_quick_way() -> None:
    """Not a fallback in disguise: the quick way itself reads an ordinary page."""
    body = json.dumps(
        {"totalResults": 2, "_links": {"self": {"href": "/x{?pgnum}"}}, "summaries": [{"a": 1}] * 2}
    ).encode()

    assert json.loads(body) == _json_guard._plain_parse(body, _json_guard.MAX_DEPTH)


def marks_too_deep_by_pairs(brackets: bytes, limit: int) -> bool:
    """The depth check as it was before the quote-parity shortcut: the reference."""
    if len(brackets) <= 2 * limit:
        return False
    without = brackets.replace(b'""', b"")
    brackets = without if b'"' not in without else b"".join(without.split(b'"')[::2])
    for _ in range(limit):
        inner = brackets.replace(b"[]", b"")
        if not inner or inner == brackets:
            return False
        brackets = inner
    return True


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='[]"', max_size=80).map(str.encode), st.integers(0, 6))
def test_the_quote_parity_shortcut_decides_as_removing_pairs_does(marks: bytes, limit: int) -> None:
    """For any marks at all, malformed ones included: the refusal chosen must not change."""
    assert marks_too_deep_by_pairs(marks, limit) == _json_guard._marks_too_deep(marks, limit)
