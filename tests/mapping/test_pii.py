"""PII policy: send/minimise/mask, the redacting log filter, retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extensiv_connector.errors import ConfigError
from extensiv_connector.models import Address, ContactInfo, SalesOrder, Shipment
from extensiv_connector.pii import (
    PERSONAL_ADDRESS_FIELDS,
    PiiMode,
    PiiPolicy,
    PiiRedactingFilter,
    records_due_for_redaction,
)

JANE = Address(
    name="Jane Doe",
    company="Acme",
    address1="1 Main St",
    address2="Suite 5",
    city="Dallas",
    state="TX",
    postal_code="75201",
    country="US",
    phone="+1 214 555 0100",
    email="jane@example.com",
)


def test_send_all_leaves_the_address_as_given() -> None:
    assert JANE == PiiPolicy().apply(JANE)


def test_minimise_keeps_what_shipping_needs_and_drops_phone_and_email() -> None:
    assert attrs.evolve(JANE, phone="", email="") == PiiPolicy(mode=PiiMode.MINIMISE).apply(JANE)


def test_minimise_can_keep_the_phone_for_carriers_that_need_it() -> None:
    policy = PiiPolicy(mode=PiiMode.MINIMISE, minimise_keeps_phone=True)

    assert attrs.evolve(JANE, email="") == policy.apply(JANE)


def test_mask_replaces_every_personal_field_and_keeps_the_country() -> None:
    masked = PiiPolicy(mode=PiiMode.MASK).apply(JANE)

    assert (["***"] * len(PERSONAL_ADDRESS_FIELDS), "US") == (
        [getattr(masked, f) for f in PERSONAL_ADDRESS_FIELDS],
        masked.country,
    )


def test_a_contact_is_treated_alike() -> None:
    contact = ContactInfo(
        name="Jane Doe", address1="1 Main St", country="US", email_address="j@x.io"
    )

    assert ContactInfo(name="Jane Doe", address1="1 Main St", country="US") == PiiPolicy(
        mode=PiiMode.MINIMISE
    ).apply_contact(contact)


def test_a_negative_retention_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        PiiPolicy(retention_days=-1)


personal = st.text(min_size=1, max_size=40).filter(lambda s: s != "***")


@settings(max_examples=80, deadline=None)
@given(
    st.builds(
        Address,
        **dict.fromkeys(PERSONAL_ADDRESS_FIELDS, personal),
        country=st.sampled_from(["US", "CA"]),
    )
)
def test_a_masked_address_contains_no_original_personal_value(address: Address) -> None:
    masked = PiiPolicy(mode=PiiMode.MASK).apply(address)

    originals = {getattr(address, f) for f in PERSONAL_ADDRESS_FIELDS}
    assert set() == originals & {getattr(masked, f) for f in attrs.fields_dict(Address)}
    # Nor inside any value: every personal field is exactly the mask.
    assert {"***"} == {getattr(masked, f) for f in PERSONAL_ADDRESS_FIELDS}


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, message, args or None, None)


def test_the_filter_redacts_addresses_passed_as_arguments() -> None:
    record = _record("pushing order to %s", JANE)

    PiiRedactingFilter().filter(record)

    text = record.getMessage()
    assert [] == [
        v
        for v in ("Jane Doe", "1 Main St", "Dallas", "75201", "jane@example.com", "214 555")
        if v in text
    ]


def test_the_filter_redacts_emails_phones_and_streets_in_plain_text() -> None:
    record = _record("call +1 (214) 555-0100 or mail a.b@shop.example about 12 Elm Street, qty 3")

    PiiRedactingFilter().filter(record)

    assert "call [REDACTED] or mail [REDACTED] about [REDACTED], qty 3" == record.getMessage()


def test_the_filter_redacts_personal_keys_of_mapping_arguments_and_known_values() -> None:
    record = _record(
        "payload %s for %s", {"shipTo": {"name": "Ann Lee", "city": "Oslo"}, "qty": 2}, "VIP Pat"
    )

    PiiRedactingFilter(known_values=["VIP Pat"]).filter(record)

    text = record.getMessage()
    assert ([], "'qty': 2" in text) == (
        [v for v in ("Ann Lee", "Oslo", "VIP Pat") if v in text],
        True,
    )


def test_the_filter_keeps_order_numbers_and_quantities() -> None:
    record = _record("order %s sent with %d lines", "SO-100045-1", 3)

    PiiRedactingFilter().filter(record)

    assert "order SO-100045-1 sent with 3 lines" == record.getMessage()


def test_the_filter_works_on_a_real_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("extensiv_connector.test_pii")
    redactor = PiiRedactingFilter()
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            # The Address masks its own repr; the filter also learns its values from it and
            # redacts them where they appear raw (and e-mails and phones by pattern).
            logger.info("ship to %s at %s, %s (%s)", JANE.name, JANE.email, JANE.phone, JANE)
    finally:
        logger.removeFilter(redactor)

    assert "Jane Doe" not in caplog.text
    assert JANE.email not in caplog.text
    assert "[REDACTED]" in caplog.text


NOW = datetime(2026, 3, 1, 12, 0)


def test_records_older_than_the_retention_are_due_in_input_order() -> None:
    records = [
        Shipment(order_number="A", reference="A-1", shipped_at=NOW - timedelta(days=31)),
        Shipment(order_number="B", reference="B-1", shipped_at=NOW - timedelta(days=29)),
        Shipment(order_number="C", reference="C-1"),
        Shipment(order_number="D", reference="D-1", shipped_at=NOW - timedelta(days=30)),
    ]

    due = records_due_for_redaction(records, NOW, 30)

    assert ["A", "D"] == [r.order_number for r in due]


def test_retention_zero_means_nothing_is_ever_due_through_the_policy() -> None:
    old = [{"completed_at": NOW - timedelta(days=9999)}]

    assert ((), tuple(old)) == (
        PiiPolicy().due_for_redaction(old, NOW),
        PiiPolicy(retention_days=1).due_for_redaction(old, NOW),
    )


def test_a_custom_timestamp_reader_is_used() -> None:
    orders = [SalesOrder(order_number="X", ordered_at=NOW - timedelta(days=3))]

    assert tuple(orders) == records_due_for_redaction(
        orders, NOW, 2, timestamp=lambda o: o.ordered_at
    )


def test_redact_order_masks_both_addresses() -> None:
    order = SalesOrder(order_number="X", ship_to=JANE, sold_to=JANE)

    redacted = PiiPolicy().redact_order(order)

    assert ("***", "***", "X") == (
        redacted.ship_to.name,
        redacted.sold_to.email if redacted.sold_to else "",
        redacted.order_number,
    )
