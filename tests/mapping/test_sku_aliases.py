"""Seeding the SKU mapping from warehouse item aliases (``SkuMapping.with_aliases``)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from extensiv_connector.mapping import SkuMapping, SkuMappingEntry, UnmappedSku

EACH = SkuMappingEntry(host_sku="WIDGET", channel_sku="WIDGET-EA")


def test_an_alias_becomes_the_host_name_of_its_warehouse_sku() -> None:
    result = SkuMapping(unmapped=UnmappedSku.PASS_THROUGH).with_aliases(
        [("HOST-1", "SKU-1", Decimal(1)), ("HOST-CASE", "SKU-2", Decimal(6))]
    )

    mapping = result.mapping
    assert (("HOST-1", "HOST-CASE"), ()) == (result.added, result.violations)
    assert [("SKU-1", Decimal(1)), ("SKU-2", Decimal(6))] == [
        (r.sku, r.pack_factor)
        for r in (mapping.to_channel("HOST-1"), mapping.to_channel("HOST-CASE"))
    ]
    assert ("HOST-1", "HOST-CASE") == (mapping.to_host("SKU-1").sku, mapping.to_host("SKU-2").sku)


def test_an_alias_of_a_mapped_sku_is_added_to_that_entry() -> None:
    result = SkuMapping(entries=(EACH,)).with_aliases([("LISTING-9", "widget-ea", Decimal(1))])

    assert (("WIDGET",), ("LISTING-9",)) == (result.updated, result.mapping.entries[0].aliases)
    assert "WIDGET-EA" == result.mapping.to_channel("listing-9").sku


def test_seeding_twice_changes_nothing_and_a_dry_run_changes_nothing() -> None:
    pairs = [("LISTING-9", "WIDGET-EA", Decimal(1))]
    once = SkuMapping(entries=(EACH,)).with_aliases(pairs).mapping
    dry = SkuMapping(entries=(EACH,)).with_aliases(pairs, dry_run=True)

    assert (("LISTING-9",), once) == (
        once.with_aliases(pairs).unchanged,
        once.with_aliases(pairs).mapping,
    )
    assert ((EACH,), ("WIDGET",)) == (dry.mapping.entries, dry.updated)


def test_an_alias_taken_by_another_entry_is_skipped_with_a_warning() -> None:
    result = SkuMapping(entries=(EACH,)).with_aliases([("WIDGET", "OTHER-SKU", Decimal(1))])

    assert ((EACH,), ["sku.alias"]) == (result.mapping.entries, [v.rule for v in result.violations])


def test_bad_rows_are_reported_and_the_first_entries_warn_about_auto() -> None:
    result = SkuMapping().with_aliases(
        [("", "SKU-1", Decimal(1)), ("A", "SKU-1", Decimal(0)), ("B", "SKU-1", Decimal(1))]
    )

    assert [
        ("aliases[0]", "error"),
        ("aliases[1]", "error"),
        ("sku_mappings.unmapped", "warning"),
    ] == [(v.path, v.severity) for v in result.violations]


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Z]{1,3}-[0-9]{1,3}", fullmatch=True),
            st.from_regex(r"S-[0-9]{1,2}", fullmatch=True),
            st.integers(1, 24).map(Decimal),
        ),
        max_size=12,
    )
)
def test_every_seeded_alias_sends_its_warehouse_sku_and_pack(
    pairs: list[tuple[str, str, Decimal]],
) -> None:  # a later duplicate of an alias never changes where the first one sends
    result = SkuMapping(unmapped=UnmappedSku.PASS_THROUGH).with_aliases(pairs)

    for alias, _, _ in pairs:
        first = next(p for p in pairs if p[0].casefold() == alias.casefold())
        resolved = result.mapping.to_channel(alias)
        assert (first[1], first[2]) == (resolved.sku, resolved.pack_factor)
