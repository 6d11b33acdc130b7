"""The response's headers are parsed without the email parser when every line is plain; the
message is the one ``http.client.parse_headers`` makes, for any block, plain or not."""

from __future__ import annotations

import http.client
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.client._deadline import parse_headers

_NAMES = st.sampled_from(
    ["Content-Type", "content-length", "X-Dup", "x-dup", "ETag", "Set-Cookie", "From", "A:B"]
) | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)
_VALUES = st.sampled_from(
    ["application/json", "multipart/mixed; boundary=x", "message/http", "", "  spaced  "]
) | st.text(alphabet=st.characters(min_codepoint=0x09, max_codepoint=0xFF), max_size=8)
_LINE_ENDS = st.sampled_from(["\r\n", "\r\n", "\r\n", "\n", "\r", ""])
_LINES = st.lists(
    st.tuples(_NAMES, st.sampled_from([":", ": ", ":\t", " : ", ""]), _VALUES, _LINE_ENDS),
    max_size=6,
)


def _message_state(message: Any) -> dict[str, Any]:
    """What a message holds, comparable (parts are messages, defects have no ``__eq__``)."""
    state = {**vars(message), "items": message.items()}
    payload = state.pop("_payload")
    state["payload"] = (
        [_message_state(p) for p in payload] if isinstance(payload, list) else payload
    )
    state["defects"] = [type(defect).__name__ for defect in message.defects]
    return state


@settings(max_examples=400, deadline=None)
@given(lines=_LINES, folded=st.booleans(), end=st.sampled_from(["\r\n", "\n", ""]))
def test_the_message_is_the_one_http_client_makes(
    lines: list[tuple[str, str, str, str]], folded: bool, end: str
) -> None:
    block = "".join(name + sep + value + eol for name, sep, value, eol in lines)
    if folded:
        block += "X-Folded: a\r\n  b\r\n"
    data = (block + end).encode("latin-1") + b"body that is not read"
    expected_fp, actual_fp = io.BytesIO(data), io.BytesIO(data)
    expected = http.client.parse_headers(expected_fp)
    actual, first = parse_headers(actual_fp)
    assert _message_state(expected) == _message_state(actual)
    assert expected_fp.tell() == actual_fp.tell()  # the body is left where it was
    if first is not None:  # each name's first value, as the message's get answers
        assert {name: expected.get(name) for name in first} == first


def test_a_plain_block_skips_the_email_parser() -> None:
    data = b"Content-Type: application/json\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n"
    message, first = parse_headers(io.BytesIO(data))
    expected = ({"content-type": "application/json", "x-dup": "1"}, ["1", "2"])
    assert expected == (first, message.get_all("X-DUP"))
