"""SKU mapping: two-way translation, aliases, pack factors, unmapped policy, CSV."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ConfigError, ValidationError
from extensiv_connector.mapping import SkuMapping, SkuMappingEntry, UnmappedSku

CASE = SkuMappingEntry(host_sku="WIDGET-12PK", channel_sku="WIDGET-EA", pack_factor=Decimal(12))
EACH = SkuMappingEntry(host_sku="WIDGET", channel_sku="WIDGET-EA", aliases=("012345678905",))


def test_the_mapping_is_built_from_the_data_the_config_file_holds() -> None:
    mapping = SkuMapping(entries=(EACH, CASE))

    assert [("WIDGET-EA", Decimal(1)), ("WIDGET-EA", Decimal(12))] == [
        (r.sku, r.pack_factor)
        for r in (mapping.to_channel("WIDGET"), mapping.to_channel("widget-12pk"))
    ]


def test_an_alias_resolves_from_either_side() -> None:
    mapping = SkuMapping(entries=(EACH,))

    assert ("WIDGET-EA", "WIDGET") == (
        mapping.to_channel("012345678905").sku,
        mapping.to_host("012345678905").sku,
    )


def test_a_channel_sku_shared_by_a_case_and_an_each_maps_back_to_the_each() -> None:
    mapping = SkuMapping(entries=(CASE, EACH))

    assert ("WIDGET", Decimal(1)) == (
        mapping.to_host("WIDGET-EA").sku,
        mapping.to_host("WIDGET-EA").pack_factor,
    )


def test_with_no_entries_skus_pass_unchanged() -> None:
    resolved = SkuMapping().to_channel("ANY-1")

    assert ("ANY-1", ()) == (resolved.sku, resolved.violations)


def test_once_entries_exist_an_unmapped_sku_holds_with_an_error_naming_it() -> None:
    resolved = SkuMapping(entries=(EACH,)).to_channel("GADGET", "lines[3].sku")

    assert (True, "lines[3].sku", "sku.unmapped") == (
        resolved.held,
        resolved.violations[0].path,
        resolved.violations[0].rule,
    )
    assert "'GADGET'" in resolved.violations[0].message


def test_hold_policy_holds_even_without_entries_and_pass_through_never_holds() -> None:
    assert (True, False) == (
        SkuMapping(unmapped=UnmappedSku.HOLD).to_channel("X").held,
        SkuMapping(entries=(EACH,), unmapped=UnmappedSku.PASS_THROUGH).to_channel("X").held,
    )


@pytest.mark.parametrize(
    ("entries", "path"),
    [
        ((SkuMappingEntry(host_sku="A", channel_sku=""),), "sku_mappings.entries[0]"),
        (
            (SkuMappingEntry(host_sku="A", channel_sku="B", pack_factor=Decimal(0)),),
            "sku_mappings.entries[0].pack_factor",
        ),
        (
            (EACH, SkuMappingEntry(host_sku="widget", channel_sku="Z")),
            "sku_mappings.entries[1].host_sku",
        ),
    ],
)
def test_an_unusable_mapping_is_a_config_error_naming_the_entry(
    entries: tuple[SkuMappingEntry, ...], path: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        SkuMapping(entries=entries)

    assert path == caught.value.path


def test_csv_import_adds_and_updates_by_host_sku() -> None:
    mapping = SkuMapping(entries=(EACH,))
    text = (
        "host_sku,channel_sku,aliases,pack_factor\nWIDGET,WIDGET-EA2,,1\nGADGET,GAD-EA,111|222,6\n"
    )

    result = mapping.import_csv(text)

    assert (("GADGET",), ("WIDGET",), "WIDGET-EA2", ("111", "222"), Decimal(6)) == (
        result.added,
        result.updated,
        result.mapping.to_channel("WIDGET").sku,
        result.mapping.entries[1].aliases,
        result.mapping.to_channel("222").pack_factor,
    )


def test_csv_dry_run_reports_changes_without_applying_them() -> None:
    mapping = SkuMapping(entries=(EACH,))
    text = "host_sku,channel_sku\nWIDGET,WIDGET-EA\nNEW,NEW-EA\n"

    result = mapping.import_csv(text, dry_run=True)

    assert (("NEW",), (), ("WIDGET",), mapping) == (
        result.added,
        result.updated,
        result.unchanged,
        result.mapping,
    )


def test_csv_import_reports_every_bad_row_and_applies_nothing() -> None:
    text = "host_sku,channel_sku,pack_factor\n,X,1\nA,,1\nB,B1,-2\nC,C1,abc\nD,D1,1\n"

    dry = SkuMapping().import_csv(text, dry_run=True)
    with pytest.raises(ValidationError) as caught:
        SkuMapping().import_csv(text)

    expected = ["row 2.host_sku", "row 3.channel_sku", "row 4.pack_factor", "row 5.pack_factor"]
    assert (expected, expected, ("D",)) == (
        [v.path for v in dry.violations],
        [v.path for v in caught.value.violations],
        dry.added,
    )


def test_csv_without_the_required_columns_is_reported() -> None:
    result = SkuMapping().import_csv("sku,other\nA,B\n", dry_run=True)

    assert ["header"] == [v.path for v in result.violations]


sku_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="|"
    ),
    min_size=1,
    max_size=12,
)
entries_strategy = st.lists(
    st.builds(
        SkuMappingEntry,
        host_sku=sku_text,
        channel_sku=sku_text,
        aliases=st.lists(sku_text, max_size=2).map(tuple),
        pack_factor=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2),
    ),
    min_size=1,
    max_size=8,
    unique_by=(lambda e: e.host_sku.casefold(), lambda e: e.channel_sku.casefold()),
)


@settings(max_examples=60, deadline=None)
@given(entries_strategy)
def test_host_to_channel_to_host_is_the_identity_for_unambiguous_mappings(
    entries: list[SkuMappingEntry],
) -> None:
    mapping = SkuMapping(entries=tuple(entries))

    for entry in entries:
        out = mapping.to_channel(entry.host_sku)
        back = mapping.to_host(out.sku)
        assert (entry.host_sku, entry.pack_factor) == (back.sku, back.pack_factor)


@settings(max_examples=60, deadline=None)
@given(entries_strategy)
def test_csv_export_then_import_gives_the_same_mapping(entries: list[SkuMappingEntry]) -> None:
    mapping = SkuMapping(entries=tuple(entries))

    assert mapping == SkuMapping.from_csv(mapping.export_csv())
