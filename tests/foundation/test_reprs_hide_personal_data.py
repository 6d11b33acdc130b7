"""Personal data never shows in reprs: orders and contacts can be logged and inspected safely."""

from __future__ import annotations

from extensiv_connector import Address, OrderLine, SalesOrder
from extensiv_connector.models import ContactInfo, Order, WebhookEvent, WebhookResource

PERSONAL = {
    "name": "Zelda Quxworth",
    "company": "Quxworth Holdings",
    "address1": "742 Evergreen Terrace",
    "address2": "Apt 9Z",
    "city": "Springfieldia",
    "state": "Oregonia",
    "postal_code": "97403-1234",
    "phone": "+1 555 867 5309",
    "email": "zelda@quxworth.example",
}


def test_sales_order_repr_masks_every_personal_field_but_keeps_the_country() -> None:
    order = SalesOrder(
        order_number="SO-1",
        lines=[OrderLine(sku="A", quantity=1, notes="leave with Zelda Quxworth")],
        ship_to=Address(country="US", **PERSONAL),
        sold_to=Address(country="US", **PERSONAL),
        notes="call +1 555 867 5309",
        shipping_notes="gate code for zelda@quxworth.example",
    )

    text = repr(order) + str(order)

    assert [] == [value for value in PERSONAL.values() if value in text]
    assert "country='US'" in text
    assert "order_number='SO-1'" in text


def test_extensiv_contact_and_order_reprs_mask_personal_fields() -> None:
    contact = ContactInfo(
        name=PERSONAL["name"],
        company_name=PERSONAL["company"],
        address1=PERSONAL["address1"],
        city=PERSONAL["city"],
        zip=PERSONAL["postal_code"],
        phone_number=PERSONAL["phone"],
        email_address=PERSONAL["email"],
        country="US",
    )

    text = repr(Order(reference_num="SO-1-1", ship_to=contact, sold_to=contact))

    assert [] == [value for value in PERSONAL.values() if value in text]
    assert "reference_num='SO-1-1'" in text


def test_webhook_event_repr_leaves_out_the_embedded_resource_body() -> None:
    event = WebhookEvent(
        wms_event_id=1,
        event_type="OrderConfirm",
        resource=WebhookResource(
            rel="orders/order", href="/orders/5", body={"shipTo": {"name": PERSONAL["name"]}}
        ),
    )

    assert PERSONAL["name"] not in repr(event)
