"""Journal CSV export: cells a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

import csv
import io

from extensiv_connector.sync import Journal, MemoryStore
from extensiv_connector.sync._journal import _csv_safe


def test_journal_csv_cells_that_start_like_formulas_get_a_quote_prefix() -> None:
    expected = ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", 5]
    actual = [_csv_safe(v) for v in ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", 5]]
    assert expected == actual


def test_a_logged_formula_is_exported_as_text_not_as_a_formula() -> None:
    journal = Journal(MemoryStore(), "main")
    journal.log("=cmd|' /C calc'!A0", reference="=1+1")
    out = io.StringIO()

    journal.write_csv(out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))

    assert ("'=cmd|' /C calc'!A0", "'=1+1") == (row["message"], row["references"])
