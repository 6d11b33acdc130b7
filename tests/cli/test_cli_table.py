"""The CLI's plain-text table shows host data without letting it drive the terminal."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector._cli_io import table
from extensiv_connector._text import is_unsafe


def test_table_escapes_a_terminal_escape_sequence_in_a_host_value() -> None:
    rows = [{"reference": "SO-1\x1b[2J\x1b[31m", "qty": Decimal(2)}]

    expected = "REFERENCE                QTY\nSO-1\\u001b[2J\\u001b[31m    2"

    assert expected == table(rows, ["reference", "qty"])


def test_table_shows_a_newline_in_a_value_as_a_space() -> None:
    assert "NOTE\na b" == table([{"note": "a\nb"}], ["note"])


@given(st.lists(st.dictionaries(st.sampled_from(["a", "b"]), st.text()), max_size=5))
def test_table_output_holds_no_control_character_but_its_line_breaks(
    rows: list[dict[str, str]],
) -> None:
    rendered = table(rows, ["a", "b"])

    assert [] == [ch for ch in rendered.replace("\n", "") if is_unsafe(ch)]
    assert len(rows) + 1 == len(rendered.split("\n")) or not rows
