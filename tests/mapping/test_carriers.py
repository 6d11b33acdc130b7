"""Carrier mapping: three tiers, wildcard precedence, unmapped policy, reverse mapping."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ConfigError
from extensiv_connector.mapping import (
    CarrierMapping,
    CarrierMappingEntry,
    HostCarrierCode,
    UnmappedCarrier,
)

UPS_2DA = CarrierMappingEntry(
    carrier="UPS",
    service="2nd Day Air*",
    extensiv_carrier="UPS",
    extensiv_service="02",
    scac="UPSN",
    billing_code="Prepaid",
)
UPS_2DA_SAVER = CarrierMappingEntry(
    carrier="UPS", service="2nd Day Air Saver", extensiv_carrier="UPS", extensiv_service="59"
)
UPS_ANY = CarrierMappingEntry(
    carrier="UPS", service="*", extensiv_carrier="UPS", extensiv_service="03"
)
FEDEX_GROUND = CarrierMappingEntry(
    carrier="FedEx",
    service="Ground",
    extensiv_carrier="FedEx",
    extensiv_service="FDEG",
    scac="FDEG",
)


def test_the_mapping_is_built_from_the_data_the_config_file_holds() -> None:
    mapping = CarrierMapping(
        entries=(UPS_2DA,),
        host_codes=(
            HostCarrierCode(host_service="Express*", carrier="UPS", service="2nd Day Air"),
        ),
    )

    assert ("UPS", "02", "UPSN", "Prepaid") == (
        mapping.resolve("", "Express 2 days").extensiv_carrier,
        mapping.resolve("", "Express 2 days").extensiv_service,
        mapping.resolve("", "Express 2 days").scac,
        mapping.resolve("", "Express 2 days").billing_code,
    )


def test_a_wildcard_covers_every_variant_of_a_service() -> None:
    mapping = CarrierMapping(entries=(UPS_2DA,))

    assert ["02", "02"] == [
        mapping.resolve("UPS", "2nd Day Air").extensiv_service,
        mapping.resolve("ups", "2nd day air A.M.").extensiv_service,
    ]


def test_the_exact_match_beats_the_wildcard_whatever_the_order_listed() -> None:
    for entries in ((UPS_2DA, UPS_2DA_SAVER), (UPS_2DA_SAVER, UPS_2DA)):
        mapping = CarrierMapping(entries=entries)

        assert "59" == mapping.resolve("UPS", "2nd Day Air Saver").extensiv_service


def test_a_longer_wildcard_prefix_beats_a_shorter_one_and_any_service() -> None:
    longer = CarrierMappingEntry(
        carrier="UPS", service="2nd Day*", extensiv_carrier="UPS", extensiv_service="X"
    )
    mapping = CarrierMapping(entries=(UPS_ANY, longer, UPS_2DA))

    assert ("02", "X", "03") == (
        mapping.resolve("UPS", "2nd Day Air").extensiv_service,
        mapping.resolve("UPS", "2nd Day Other").extensiv_service,
        mapping.resolve("UPS", "Next Day").extensiv_service,
    )


def test_host_variants_funnel_into_one_canonical_pair() -> None:
    mapping = CarrierMapping(
        entries=(FEDEX_GROUND,),
        host_codes=(
            HostCarrierCode(host_service="Standard Shipping", carrier="FedEx", service="Ground"),
            HostCarrierCode(
                host_carrier="FDEX", host_service="Ground", carrier="FedEx", service="Ground"
            ),
            HostCarrierCode(host_carrier="FDEG*", carrier="FedEx", service="Ground"),
        ),
    )

    resolved = [
        mapping.resolve("", "Standard Shipping"),
        mapping.resolve("FDEX", "Ground"),
        mapping.resolve("FDEG-HOME", ""),
    ]

    assert [("FedEx", "Ground", "FDEG")] * 3 == [
        (r.carrier, r.service, r.extensiv_service) for r in resolved
    ]


def test_an_unmapped_code_is_sent_as_is_with_a_warning_naming_it() -> None:
    mapping = CarrierMapping(entries=(FEDEX_GROUND,), unmapped=UnmappedCarrier.WARN)

    resolved = mapping.resolve("DHL", "Express")

    assert ("DHL", "Express", False, ["warning"]) == (
        resolved.extensiv_carrier,
        resolved.extensiv_service,
        resolved.held,
        [v.severity for v in resolved.violations],
    )
    assert "'DHL'" in resolved.violations[0].message


def test_an_unmapped_code_holds_the_order_with_an_error_naming_it() -> None:
    mapping = CarrierMapping(entries=(FEDEX_GROUND,), unmapped=UnmappedCarrier.HOLD)

    resolved = mapping.resolve("DHL", "Express")

    assert (True, "carrier.unmapped") == (resolved.held, resolved.violations[0].rule)
    assert "'Express'" in resolved.violations[0].message


def test_an_order_without_carrier_needs_no_mapping() -> None:
    resolved = CarrierMapping(unmapped=UnmappedCarrier.HOLD).resolve("", "")

    assert ((), "") == (resolved.violations, resolved.extensiv_carrier)


def test_reverse_maps_extensiv_carrier_and_mode_back_to_the_host_code() -> None:
    mapping = CarrierMapping(
        entries=(FEDEX_GROUND,),
        host_codes=(
            HostCarrierCode(
                host_carrier="FDX", host_service="GRD", carrier="FedEx", service="Ground"
            ),
        ),
    )

    back = mapping.reverse("FedEx", "FDEG", "FDEG")

    assert ("FedEx", "Ground", "FDX", "GRD", True) == (
        back.carrier,
        back.service,
        back.host_carrier,
        back.host_service,
        back.mapped,
    )


def test_reverse_accepts_the_scac_alone_and_inbound_service_variants() -> None:
    entry = CarrierMappingEntry(
        carrier="UPS",
        service="2DA",
        extensiv_carrier="UPS",
        extensiv_service="02",
        scac="UPSN",
        inbound_services=("2nd Day Air*",),
    )
    mapping = CarrierMapping(entries=(entry,))

    assert [("UPS", "2DA"), ("UPS", "2DA")] == [
        (r.carrier, r.service)
        for r in (mapping.reverse("", "02", "UPSN"), mapping.reverse("UPS", "2nd Day Air Saver"))
    ]


def test_reverse_passes_unknown_values_back_with_a_warning() -> None:
    back = CarrierMapping(entries=(FEDEX_GROUND,)).reverse("Courier X", "Same day")

    assert ("Courier X", "Same day", False, "warning") == (
        back.host_carrier,
        back.host_service,
        back.mapped,
        back.violations[0].severity,
    )


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"entries": [{"carrier": "UPS"}]}, "carrier_mappings.entries[0]"),
        (
            {"entries": [{"carrier": "UPS", "extensiv_carrier": "UPS*"}]},
            "carrier_mappings.entries[0].extensiv_carrier",
        ),
        ({"host_codes": [{"host_carrier": "X"}]}, "carrier_mappings.host_codes[0]"),
    ],
)
def test_a_mapping_that_cannot_work_is_a_config_error_naming_the_entry(
    data: dict[str, list[dict[str, Any]]], path: str
) -> None:
    entries = tuple(CarrierMappingEntry(**e) for e in data.get("entries", []))
    codes = tuple(HostCarrierCode(**c) for c in data.get("host_codes", []))

    with pytest.raises(ConfigError) as caught:
        CarrierMapping(entries=entries, host_codes=codes)

    assert path == caught.value.path


codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789 -", min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(codes, codes),
        min_size=1,
        max_size=6,
        unique_by=lambda p: (p[0].strip().casefold(), " ".join(p[1].split()).casefold()),
    )
)
def test_host_to_extensiv_to_host_is_the_identity_for_mapped_codes(
    pairs: list[tuple[str, str]],
) -> None:
    entries = tuple(
        CarrierMappingEntry(
            carrier=f"C{i}",
            service=f"S{i}",
            extensiv_carrier=f"EXT{i}",
            extensiv_service=f"M{i}",
            scac=f"SC{i}",
        )
        for i in range(len(pairs))
    )
    host_codes = tuple(
        HostCarrierCode(
            host_carrier=carrier, host_service=service, carrier=f"C{i}", service=f"S{i}"
        )
        for i, (carrier, service) in enumerate(pairs)
    )
    mapping = CarrierMapping(entries=entries, host_codes=host_codes)

    for carrier, service in pairs:
        out = mapping.resolve(carrier, service)
        back = mapping.reverse(out.extensiv_carrier, out.extensiv_service, out.scac)
        assert (carrier, service) == (back.host_carrier, back.host_service)


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet="abcdefgh ", min_size=1, max_size=10).filter(lambda s: s.strip() != ""),
    st.text(alphabet="abcdefgh", max_size=6),
)
def test_the_exact_entry_always_wins_over_any_wildcard_of_it(service: str, suffix: str) -> None:
    prefix = service[: max(1, len(service) // 2)]
    exact = CarrierMappingEntry(
        carrier="X", service=service, extensiv_carrier="X", extensiv_service="exact"
    )
    wild = CarrierMappingEntry(
        carrier="X", service=f"{prefix}*", extensiv_carrier="X", extensiv_service="wild"
    )
    anything = CarrierMappingEntry(
        carrier="*", service="*", extensiv_carrier="X", extensiv_service="any"
    )
    mapping = CarrierMapping(entries=(anything, wild, exact))

    assert "exact" == mapping.resolve("x", service).extensiv_service
    if prefix.strip():
        assert "wild" == mapping.resolve("X", prefix.strip() + suffix + "zz").extensiv_service
