"""Host receipt (ASN) <-> Extensiv receiver."""

from __future__ import annotations

from decimal import Decimal

import cattrs

from .._text import check_plain_text, display_text
from ..errors import ValidationError, Violation
from ..models import (
    CustomerIdentifier,
    FacilityIdentifier,
    ItemIdentifier,
    Receipt,
    ReceiptLine,
    ReceiptStatus,
    ReceiveItem,
    Receiver,
)
from ._common import (
    ENTRY_TYPE_API,
    STATUS_CANCELED,
    STATUS_CLOSED,
    STATUS_OPEN,
    ReceiverTranslation,
    TranslationConfig,
    channel_name,
    check_payload,
    has_errors,
    normalise_text,
    render_reference,
)

__all__ = ["receipt_to_receiver", "receiver_to_receipt"]


def receipt_to_receiver(
    receipt: Receipt, config: TranslationConfig, *, converter: cattrs.Converter | None = None
) -> ReceiverTranslation:
    """The ``POST /inventory/receivers`` body for a host receipt (ASN)."""
    violations: list[Violation] = []
    check_plain_text("reference", receipt.reference, violations)
    reference = (  # a reference already refused is not rendered (and reported) twice
        ""
        if violations
        else render_reference(
            config.references.receipt, receipt.reference, 1, channel_name(config), violations
        )
    )
    for index, line in enumerate(receipt.lines):
        check_plain_text(f"lines[{index}].sku", line.sku, violations)
        check_plain_text(f"lines[{index}].line_reference", line.line_reference, violations)
    items: list[ReceiveItem] = []
    for index, line in enumerate(receipt.lines):
        path = f"lines[{index}]"
        sku = config.sku_mappings.to_channel(line.sku, f"{path}.sku")
        violations.extend(sku.violations)
        if line.expected_quantity <= 0:
            violations.append(
                Violation(f"{path}.expected_quantity", "must be positive", rule="quantity")
            )
        items.append(
            ReceiveItem(
                item_identifier=ItemIdentifier(sku=sku.sku),
                qty=line.expected_quantity * sku.pack_factor,
                external_id=line.line_reference or None,
                lot_number=line.lot_number or None,
                serial_number=line.serial_number or None,
                expiration_date=line.expiration_date,
            )
        )
    model = Receiver(
        customer_identifier=CustomerIdentifier(id=config.credentials.customer_id),
        facility_identifier=FacilityIdentifier(id=config.credentials.facility_id),
        reference_num=reference or None,
        po_num=receipt.po_number or None,
        external_id=receipt.reference,
        arrival_date=receipt.expected_at,
        expected_date=receipt.expected_at,
        notes=receipt.notes or None,
        carrier=receipt.carrier or None,
        tracking_number=receipt.tracking_number or None,
        transaction_entry_type=ENTRY_TYPE_API,
        receive_items=tuple(items),
    )
    checked, payload = check_payload(config, "receiver", model, Receiver, violations, converter)
    if has_errors(violations):
        raise ValidationError(violations, f"receipt {display_text(receipt.reference)}")
    return ReceiverTranslation(
        receiver=checked, payload=payload, reference=reference, violations=tuple(violations)
    )


_RECEIPT_STATUS = {
    STATUS_OPEN: ReceiptStatus.OPEN,
    STATUS_CLOSED: ReceiptStatus.RECEIVED,
    STATUS_CANCELED: ReceiptStatus.CANCELED,
}


def receiver_to_receipt(
    receiver: Receiver, config: TranslationConfig, sent: Receipt | None = None
) -> Receipt:
    """A receiver as a host receipt: received quantities only once it is closed.

    Expected quantities come from ``readOnly.expectedQty``, else from the ``sent`` receipt's
    matching line (by line reference, then SKU), else from the line quantity of an open
    receiver. Raises :class:`ValidationError` on an unmapped SKU under the hold policy.
    """
    violations: list[Violation] = []
    read_only = receiver.read_only
    status = _RECEIPT_STATUS.get(
        read_only.status if read_only and read_only.status is not None else 0, ReceiptStatus.OPEN
    )
    closed = status is ReceiptStatus.RECEIVED
    reference = receiver.reference_num or ""
    parsed = config.references.receipt.parse(reference, channel=channel_name(config) or None)
    sent_lines = list(sent.lines) if sent is not None else []

    def sent_expected(external_id: str, host_sku: str) -> Decimal | None:
        for i, line in enumerate(sent_lines):
            if (external_id and line.line_reference == external_id) or (
                not external_id and normalise_text(line.sku) == normalise_text(host_sku)
            ):
                del sent_lines[i]
                return line.expected_quantity
        return None

    lines: list[ReceiptLine] = []
    for pos, item in enumerate(receiver.receive_items):
        sku = config.sku_mappings.to_host(
            item.item_identifier.sku or "", f"receiveItems[{pos}].itemIdentifier.sku"
        )
        violations.extend(sku.violations)
        qty = item.qty or Decimal(0)
        expected_primary = item.read_only.expected_qty if item.read_only else None
        expected = expected_primary / sku.pack_factor if expected_primary is not None else None
        from_sent = sent_expected(item.external_id or "", sku.sku)
        if expected is None:
            expected = from_sent if from_sent is not None else qty / sku.pack_factor
        lines.append(
            ReceiptLine(
                sku=sku.sku,
                expected_quantity=expected,
                received_quantity=qty / sku.pack_factor if closed else None,
                line_reference=item.external_id or "",
                lot_number=item.lot_number or "",
                expiration_date=item.expiration_date,
                serial_number=item.serial_number or "",
            )
        )
    if has_errors(violations):
        raise ValidationError(violations, f"receiver {reference or receiver.receiver_id}")
    return Receipt(
        reference=parsed.order_number if parsed else reference,
        lines=tuple(lines),
        po_number=receiver.po_num or "",
        expected_at=receiver.expected_date,
        arrived_at=receiver.arrival_date if closed else None,
        carrier=receiver.carrier or "",
        tracking_number=receiver.tracking_number or "",
        notes=receiver.notes or "",
        status=status,
        receiver_id=receiver.receiver_id,
        last_modified=read_only.last_modified_date if read_only else None,
    )
