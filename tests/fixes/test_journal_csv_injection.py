from extensiv_connector.sync._journal import _csv_safe


def test_journal_csv_cells_that_start_like_formulas_get_a_quote_prefix() -> None:
    expected = ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", 5]
    actual = [_csv_safe(v) for v in ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", 5]]
    assert expected == actual
