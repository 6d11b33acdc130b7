"""Reference templates: render, parse back, length limits, backorder children."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ConfigError, ValidationError
from extensiv_connector.mapping import ParsedReference, ReferenceSettings, ReferenceTemplate


def test_render_joins_order_number_and_sequence() -> None:
    template = ReferenceTemplate("{order_number}-{shipment_seq}")

    assert "SO-100045-2" == template.render("SO-100045", 2)


def test_parse_returns_order_number_and_sequence() -> None:
    parsed = ReferenceTemplate("{order_number}-{shipment_seq}").parse("SO-100045-2")

    assert (
        ParsedReference(reference="SO-100045-2", order_number="SO-100045", shipment_seq=2) == parsed
    )


def test_a_warehouse_backorder_is_tied_to_its_parent() -> None:
    parsed = ReferenceTemplate("{order_number}-{shipment_seq}").parse("SO-100045-1-BO2")

    assert parsed is not None
    assert ("SO-100045", 1, 2, "SO-100045-1", True) == (
        parsed.order_number,
        parsed.shipment_seq,
        parsed.backorder_seq,
        parsed.parent_reference,
        parsed.is_backorder,
    )


def test_channel_and_fixed_text_round_trip() -> None:
    template = ReferenceTemplate("WEB/{channel}/{order_number}#{shipment_seq}")

    reference = template.render("A/B", 3, channel="shop-1")
    parsed = template.parse(reference, channel="shop-1")

    assert parsed is not None
    assert ("WEB/shop-1/A/B#3", ("A/B", 3, "shop-1")) == (
        reference,
        (parsed.order_number, parsed.shipment_seq, parsed.channel),
    )


def test_a_reference_the_template_did_not_make_does_not_parse() -> None:
    template = ReferenceTemplate("SO{order_number}-{shipment_seq}")

    assert (None, None) == (template.parse("PO123-1"), template.parse("SO123-x"))


def test_a_reference_longer_than_the_field_is_refused() -> None:
    template = ReferenceTemplate("{order_number}-{shipment_seq}", max_length=10)

    with pytest.raises(ValidationError) as caught:
        template.render("ORDER-12345", 1)

    assert ["reference.max_length"] == [v.rule for v in caught.value.violations]


def test_an_order_number_that_would_parse_as_a_backorder_is_refused() -> None:
    template = ReferenceTemplate("{order_number}")

    with pytest.raises(ValidationError) as caught:
        template.render("SO-1-BO1")

    assert ["reference.ambiguous"] == [v.rule for v in caught.value.violations]


def test_without_a_sequence_token_only_the_first_shipment_renders() -> None:
    template = ReferenceTemplate("{order_number}")

    with pytest.raises(ValidationError):
        template.render("SO-1", 2)
    assert "SO-1" == template.render("SO-1", 1)


@pytest.mark.parametrize(
    "text",
    [
        "{shipment_seq}",
        "{order_number}-{oops}",
        "{order_number}{order_number}",
        "{order_number:>5}",
        "{order_number",
    ],
)
def test_a_broken_template_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        ReferenceTemplate(text)


def test_reference_settings_check_their_templates_and_share_the_length_limit() -> None:
    settings_ = ReferenceSettings(order_template="X-{order_number}-{shipment_seq}", max_length=20)

    with pytest.raises(ConfigError) as caught:
        ReferenceSettings(receipt_template="{receipt}")
    assert ("references.receipt_template", 20) == (caught.value.path, settings_.order.max_length)


templates = st.sampled_from(
    [
        "{order_number}-{shipment_seq}",
        "{order_number}",
        "{shipment_seq}-{order_number}",
        "SO{order_number}_{shipment_seq}",
        "{channel}:{order_number}-{shipment_seq}",
        "{order_number}{shipment_seq}",
        "{{x}}{order_number}.{shipment_seq}",
    ]
)
order_numbers = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    templates,
    order_numbers,
    st.integers(min_value=1, max_value=999),
    st.sampled_from(["web", "b2b-eu"]),
)
def test_every_order_number_the_template_admits_parses_back(
    text: str, order_number: str, seq: int, channel: str
) -> None:
    template = ReferenceTemplate(text)
    if "shipment_seq" not in template.tokens:
        seq = 1
    assume(template.admits(order_number, seq, channel))

    reference = template.render(order_number, seq, channel)
    parsed = template.parse(reference, channel=channel)

    assert parsed is not None
    assert (order_number, seq, None) == (
        parsed.order_number,
        parsed.shipment_seq,
        parsed.backorder_seq,
    )
    assert reference == template.render(parsed.order_number, parsed.shipment_seq, channel)


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet="ABCXYZ0123456789-_", min_size=1, max_size=20),
    st.integers(1, 99),
    st.integers(1, 9),
)
def test_backorder_children_of_any_admitted_reference_point_at_their_parent(
    order_number: str, seq: int, backorder: int
) -> None:
    template = ReferenceTemplate("{order_number}-{shipment_seq}")
    assume(template.admits(order_number, seq))
    parent = template.render(order_number, seq)

    child = template.parse(f"{parent}-BO{backorder}")

    assert child is not None
    assert (order_number, seq, backorder, parent) == (
        child.order_number,
        child.shipment_seq,
        child.backorder_seq,
        child.parent_reference,
    )


def test_plain_order_numbers_are_admitted_by_the_default_template() -> None:
    template = ReferenceTemplate()

    assert all(
        template.admits(n, s) for n in ("SO-100045", "100045", "A-B-C", "SO 1") for s in (1, 2, 10)
    )
