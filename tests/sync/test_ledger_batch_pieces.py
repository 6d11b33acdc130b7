"""The pure pieces of the batched ledger writes: the hand-built JSON of a claim's lines, and
merging the settles of a repeated reference."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.sync import LedgerSettle, LedgerState
from extensiv_connector.sync._records import settles_per_reference
from extensiv_connector.sync.store._sqlite import _json, _lines_json

_quantities = st.decimals(allow_nan=False, allow_infinity=False, places=3) | st.builds(
    Decimal, st.integers(-(10**12), 10**12)
)


@given(lines=st.dictionaries(st.text(max_size=12), _quantities, max_size=6))
def test_a_claims_lines_are_written_as_the_general_encoder_writes_them(
    lines: dict[str, Decimal],
) -> None:
    assert _json({k: str(v) for k, v in lines.items()}) == _lines_json(lines)


_settles = st.lists(
    st.builds(
        LedgerSettle,
        reference=st.sampled_from(["R1", "R2", "R3"]),
        state=st.sampled_from(list(LedgerState)),
        remote_id=st.none() | st.integers(1, 9),
        reasons=st.lists(st.sampled_from(["a", "b"]), max_size=2),
    ),
    max_size=8,
)


def _applied(settles: list[LedgerSettle]) -> dict[str, tuple[LedgerState, int, tuple[str, ...]]]:
    """An independent model: each settle applied in turn to rows that start with remote id 0
    (``None`` keeps what the row has)."""
    rows: dict[str, tuple[LedgerState, int, tuple[str, ...]]] = {}
    for s in settles:
        kept = rows.get(s.reference, (LedgerState.PENDING, 0, ()))[1]
        rows[s.reference] = (s.state, kept if s.remote_id is None else s.remote_id, s.reasons)
    return rows


@given(settles=_settles)
def test_merged_settles_leave_each_entry_as_the_settles_in_turn_would(
    settles: list[LedgerSettle],
) -> None:
    merged = settles_per_reference(settles)

    assert _applied(settles) == _applied(merged)
    assert list(dict.fromkeys(s.reference for s in settles)) == [s.reference for s in merged]
