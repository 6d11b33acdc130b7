"""Identifier text checks: printable text passes at once, and the slow walk still finds every
unsafe character whatever else the text holds."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector._text import check_plain_text, escape_unsafe, is_unsafe
from extensiv_connector.errors import Violation


def _found(text: str) -> list[Violation]:
    out: list[Violation] = []
    check_plain_text("order_number", text, out)
    return out


def test_printable_text_in_any_script_is_not_refused() -> None:
    assert [] == _found("SO-1001 Ünïcødé 注文 🚚")


def test_a_space_or_format_character_that_is_not_printable_is_not_refused() -> None:
    # No-break space (Zs), soft hyphen (Cf): not printable, not unsafe either.
    assert [] == _found("SO\u00a01001\u00ad")


def test_a_control_character_after_non_printable_safe_ones_is_found_at_its_position() -> None:
    expected = ["contains control character U+001B at position 4"]

    assert expected == [v.message for v in _found("S\u00a0O\u00ad\x1b1")]


def test_printable_text_is_shown_as_it_is() -> None:
    assert "SO-1001 注文" == escape_unsafe("SO-1001 注文")


@given(st.text(max_size=40))
def test_the_check_refuses_exactly_the_texts_with_an_unsafe_character(text: str) -> None:
    unsafe = [i for i, ch in enumerate(text) if is_unsafe(ch)]
    expected = (
        [f"contains control character U+{ord(text[unsafe[0]]):04X} at position {unsafe[0]}"]
        if unsafe
        else []
    )

    assert expected == [v.message for v in _found(text)]


@given(st.text(max_size=40))
def test_escaping_changes_exactly_the_unsafe_characters(text: str) -> None:
    expected = "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} else ch
        for ch in text
    )

    assert expected == escape_unsafe(text)
