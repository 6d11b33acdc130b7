"""SalesOrder (+ backorder decision) -> Extensiv order payload for POST /orders."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from extensiv_connector.backorder import BackorderPolicy, decide
from extensiv_connector.errors import ValidationError
from extensiv_connector.models import Address, Order, OrderLine, SalesOrder
from extensiv_connector.translate import sales_order_to_order

from ._support import fixture_json, make_config, structured

JANE = Address(
    name="Jane Doe",
    company="Acme",
    address1="1 Main St",
    city="Dallas",
    state="TX",
    postal_code="75201",
    country="United States",
    phone="(214) 555-0100",
    email="jane@example.com",
)
ORDER = SalesOrder(
    order_number="SO-100045",
    po_number="PO-77",
    notes="warehouse instructions",
    shipping_notes="carrier instructions",
    carrier="ups",
    service="GND",
    ship_to=JANE,
    lines=(
        OrderLine(sku="WIDGET", quantity=2, line_reference="L1"),
        OrderLine(sku="LOT-SKU", quantity=1, line_reference="L2", references={"Lot": "L123"}),
    ),
)


@attrs.frozen
class Decision:
    line_quantities: tuple[Decimal, ...]


def test_the_documented_order_shape_is_produced() -> None:
    documented = fixture_json("order_create.json")

    result = sales_order_to_order(ORDER, make_config())

    expected = {
        key: documented[key]
        for key in (
            "customerIdentifier",
            "facilityIdentifier",
            "poNum",
            "notes",
            "shippingNotes",
            "billingCode",
        )
    }
    expected |= {
        "referenceNum": "SO-100045-1",
        "externalId": "SO-100045",
        "routingInfo": {"carrier": "UPS", "mode": "03", "scacCode": "UPSN"},
        "shipTo": {
            "companyName": "Acme",
            "name": "Jane Doe",
            "address1": "1 Main St",
            "city": "Dallas",
            "state": "TX",
            "zip": "75201",
            "country": "US",
            "phoneNumber": "2145550100",
            "emailAddress": "jane@example.com",
        },
        "orderItems": [
            {"itemIdentifier": {"sku": "ABC-1"}, "qty": 2, "externalId": "L1"},
            {
                "itemIdentifier": {"sku": "LOT-SKU"},
                "qty": 1,
                "externalId": "L2",
                "lotNumber": "L123",
            },
        ],
    }
    assert expected == result.payload
    assert "SO-100045-1" == result.reference


def test_the_model_and_the_payload_agree_with_the_wire_converter() -> None:
    result = sales_order_to_order(ORDER, make_config())

    assert isinstance(result.order, Order)
    assert (
        result.payload["orderItems"][0]["itemIdentifier"]["sku"]
        == result.order.order_items[0].item_identifier.sku
    )
    assert (
        structured("order_create.json", Order).customer_identifier
        == result.order.customer_identifier
    )


def test_decision_quantities_are_sent_and_zero_lines_left_out() -> None:
    result = sales_order_to_order(ORDER, make_config(), Decision((Decimal(0), Decimal(1))))

    assert ((1,), ["LOT-SKU"]) == (
        result.line_indexes,
        [i["itemIdentifier"]["sku"] for i in result.payload["orderItems"]],
    )


def test_a_decision_that_sends_nothing_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        sales_order_to_order(ORDER, make_config(), Decision((Decimal(0), Decimal(0))))

    assert ["backorder.nothing_to_send"] == [v.rule for v in caught.value.violations]


def test_quantities_go_through_line_unit_factors_and_sku_pack_factors() -> None:
    order = attrs.evolve(
        ORDER,
        lines=(
            OrderLine(sku="WIDGET-6PK", quantity=3),
            OrderLine(sku="WIDGET", quantity=2, unit="Case"),
        ),
    )

    result = sales_order_to_order(order, make_config())

    assert [("CASE-EA", 18), ("ABC-1", 24)] == [
        (i["itemIdentifier"]["sku"], i["qty"]) for i in result.payload["orderItems"]
    ]


def test_every_problem_is_reported_at_once() -> None:
    order = attrs.evolve(
        ORDER,
        order_number="X" * 60,
        carrier="DHL",
        service="Express",
        ship_to=attrs.evolve(JANE, city=""),
        lines=(
            OrderLine(sku="GADGET", quantity=1),
            OrderLine(sku="WIDGET", quantity=1, unit="Pallet"),
        ),
    )

    with pytest.raises(ValidationError) as caught:
        sales_order_to_order(order, make_config(carrier_mappings={"unmapped": "hold"}))

    expected = [
        "referenceNum",
        "externalId",
        "routingInfo",
        "lines[0].sku",
        "lines[1].unit",
        "shipTo.city",
    ]
    assert sorted(expected) == sorted(v.path for v in caught.value.violations)


def test_no_personal_value_reaches_an_error_message() -> None:
    order = attrs.evolve(ORDER, ship_to=attrs.evolve(JANE, name="N" * 150, address1=""))

    with pytest.raises(ValidationError) as caught:
        sales_order_to_order(order, make_config())

    assert ("N" * 150) not in str(caught.value)


def test_the_pii_policy_applies_to_ship_to() -> None:
    result = sales_order_to_order(ORDER, make_config(pii={"mode": "minimise"}))

    assert ("Jane Doe", None, None) == (
        result.payload["shipTo"]["name"],
        result.payload["shipTo"].get("phoneNumber"),
        result.payload["shipTo"].get("emailAddress"),
    )


def test_unmapped_references_become_saved_elements_and_mapped_ones_fill_fields() -> None:
    order = attrs.evolve(
        ORDER, po_number="", references={"CustomerPO": "CPO-1", "Campaign": "spring"}
    )

    result = sales_order_to_order(order, make_config())

    assert ("CPO-1", [{"name": "Campaign", "value": "spring"}]) == (
        result.payload["poNum"],
        result.payload["savedElements"],
    )


def test_an_unmapped_carrier_is_sent_as_is_with_a_warning_by_default() -> None:
    result = sales_order_to_order(
        attrs.evolve(ORDER, carrier="DHL", service="Express"), make_config()
    )

    assert ({"carrier": "DHL", "mode": "Express"}, ["carrier.unmapped"]) == (
        result.payload["routingInfo"],
        [v.rule for v in result.violations],
    )


def test_the_channel_token_takes_the_connection_name() -> None:
    config = make_config(references={"order_template": "{channel}-{order_number}-{shipment_seq}"})

    assert (
        "web-SO-100045-2"
        == sales_order_to_order(attrs.evolve(ORDER, shipment_seq=2), config).reference
    )


def test_a_real_partial_backorder_decision_drives_the_quantities() -> None:
    decision = decide(
        ORDER, {"WIDGET": Decimal(1), "LOT-SKU": Decimal(5)}, BackorderPolicy(allow_partial=True)
    )

    result = sales_order_to_order(ORDER, make_config(), decision)

    assert [("ABC-1", 1), ("LOT-SKU", 1)] == [
        (i["itemIdentifier"]["sku"], i["qty"]) for i in result.payload["orderItems"]
    ]


def test_the_translation_repr_shows_no_personal_data() -> None:
    assert "Jane" not in repr(sales_order_to_order(ORDER, make_config()))


@pytest.mark.parametrize(
    "bad", ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\ud800", "\u2028"]
)
def test_control_characters_in_order_identifiers_are_refused_naming_each_field(bad: str) -> None:
    order = attrs.evolve(
        ORDER,
        order_number=f"SO{bad}1",
        lines=(
            OrderLine(sku=f"WID{bad}GET", quantity=2, line_reference="L1"),
            OrderLine(sku="WIDGET", quantity=1, line_reference=f"L{bad}2"),
        ),
    )

    with pytest.raises(ValidationError) as caught:
        sales_order_to_order(order, make_config())

    code = f"U+{ord(bad):04X}"
    assert [
        ("order_number", f"contains control character {code} at position 2"),
        ("lines[0].sku", f"contains control character {code} at position 3"),
        ("lines[1].line_reference", f"contains control character {code} at position 1"),
    ] == [(v.path, v.message) for v in caught.value.violations if v.rule == "text.control"]
    assert bad not in str(caught.value)


def test_printable_unicode_in_order_identifiers_is_accepted() -> None:
    order = attrs.evolve(ORDER, order_number="SO-Ünïcödé-日本")

    result = sales_order_to_order(order, make_config())

    assert "SO-Ünïcödé-日本" == result.order.external_id
