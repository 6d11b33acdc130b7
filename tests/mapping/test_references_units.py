"""Reference mappings (outbound routing, inbound selection) and unit conversions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ConfigError, ValidationError
from extensiv_connector.mapping import (
    Measures,
    MeasureSystem,
    ReferenceLevel,
    ReferenceMapping,
    ReferenceMappingEntry,
    ReferenceTarget,
    UnitSettings,
    convert_length,
    convert_weight,
)

MAPPING = ReferenceMapping(
    entries=(
        ReferenceMappingEntry(code="CustomerPO", target=ReferenceTarget.PO_NUM, inbound=True),
        ReferenceMappingEntry(code="GiftNote", target=ReferenceTarget.NOTES),
        ReferenceMappingEntry(
            code="Channel", target=ReferenceTarget.SAVED_ELEMENT, name="SalesChannel"
        ),
        ReferenceMappingEntry(
            code="LineNotes", target=ReferenceTarget.NOTES, level=ReferenceLevel.LINE
        ),
    )
)


def test_mapped_references_go_to_their_field_and_the_rest_to_custom_fields() -> None:
    routed = MAPPING.route(
        {"CustomerPO": "PO-9", "GiftNote": "Happy day", "Channel": "amazon", "Campaign": "spring"},
        ReferenceLevel.ORDER,
    )

    assert (
        {"poNum": "PO-9", "notes": "Happy day"},
        (("SalesChannel", "amazon"), ("Campaign", "spring")),
    ) == (
        routed.fields,
        routed.saved_elements,
    )


def test_line_references_use_line_level_entries_only() -> None:
    routed = MAPPING.route({"LineNotes": "fragile", "CustomerPO": "x"}, ReferenceLevel.LINE)

    assert ({"notes": "fragile"}, (("CustomerPO", "x"),)) == (routed.fields, routed.saved_elements)


def test_unmapped_references_can_be_dropped_instead_of_sent_as_custom_fields() -> None:
    mapping = ReferenceMapping(unmapped_as_saved_elements=False)

    assert () == mapping.route({"Campaign": "spring"}, ReferenceLevel.ORDER).saved_elements


def test_inbound_only_selected_default_fields_come_back() -> None:
    back = MAPPING.inbound(
        {"poNum": "PO-9", "notes": "warehouse text", "externalId": "E"}, ReferenceLevel.ORDER
    )

    assert {"CustomerPO": "PO-9"} == back


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        (
            ReferenceMappingEntry(code="X", target=ReferenceTarget.LOT_NUMBER),
            "reference_mappings.entries[0].target",
        ),
        (ReferenceMappingEntry(code="X", inbound=True), "reference_mappings.entries[0].inbound"),
        (ReferenceMappingEntry(code=" "), "reference_mappings.entries[0].code"),
    ],
)
def test_impossible_reference_mappings_are_config_errors(
    entry: ReferenceMappingEntry, path: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        ReferenceMapping(entries=(entry,))

    assert path == caught.value.path


def test_host_millimetres_and_grams_become_centimetres_and_kilograms() -> None:
    measures = UnitSettings().to_extensiv(
        length=Decimal(254),
        width=Decimal(100),
        height=None,
        weight=Decimal(1500),
        length_unit="mm",
        weight_unit="g",
    )

    assert (
        Measures(
            system=MeasureSystem.METRIC,
            length=Decimal("25.4"),
            width=Decimal(10),
            weight=Decimal("1.5"),
        )
        == measures
    )


def test_inches_with_grams_are_sent_as_the_imperial_pair() -> None:
    measures = UnitSettings().to_extensiv(
        length=Decimal(10),
        width=None,
        height=None,
        weight=Decimal("453.59237"),
        length_unit="in",
        weight_unit="g",
    )

    assert (MeasureSystem.IMPERIAL, Decimal(10), Decimal(1)) == (
        measures.system,
        measures.length,
        measures.weight,
    )


def test_a_forced_metric_system_converts_inches_and_pounds() -> None:
    measures = UnitSettings(system=MeasureSystem.METRIC).to_extensiv(
        length=Decimal(1),
        width=None,
        height=None,
        weight=Decimal(1),
        length_unit="inches",
        weight_unit="lbs",
    )

    assert (Decimal("2.54"), Decimal("0.4536")) == (measures.length, measures.weight)


def test_an_unknown_unit_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        convert_length(Decimal(1), "furlong", "cm")
    with pytest.raises(ConfigError):
        UnitSettings(host_weight_unit="stone")


values = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100000), places=3)


@settings(max_examples=80, deadline=None)
@given(
    values,
    st.sampled_from(["mm", "cm", "m", "in", "ft"]),
    st.sampled_from(["mm", "cm", "m", "in", "ft"]),
)
def test_length_conversion_round_trips_exactly(value: Decimal, a: str, b: str) -> None:
    assert value == convert_length(convert_length(value, a, b), b, a).quantize(Decimal("0.001"))


@settings(max_examples=80, deadline=None)
@given(values, st.sampled_from(["g", "kg", "oz", "lb"]), st.sampled_from(["g", "kg", "oz", "lb"]))
def test_weight_conversion_round_trips_exactly(value: Decimal, a: str, b: str) -> None:
    assert value == convert_weight(convert_weight(value, a, b), b, a).quantize(Decimal("0.001"))


def test_products_come_back_in_the_host_units_when_configured() -> None:
    units = UnitSettings(host_length_unit="mm", host_weight_unit="g")

    values, length_unit, weight_unit = units.to_host(
        Measures(system=MeasureSystem.IMPERIAL, length=Decimal(1), weight=Decimal(1))
    )

    assert (Decimal("25.4"), Decimal("453.5924"), "mm", "g") == (
        values.length,
        values.weight,
        length_unit,
        weight_unit,
    )
