"""Host sales order -> Extensiv order (``POST /orders`` body)."""

from __future__ import annotations

from decimal import Decimal

import cattrs

from .._text import check_plain_text, display_text
from ..errors import ValidationError, Violation
from ..mapping import (
    ReferenceLevel,
)
from ..models import (
    CustomerIdentifier,
    FacilityIdentifier,
    ItemIdentifier,
    Order,
    OrderItem,
    RoutingInfo,
    SalesOrder,
)
from ._common import (
    BackorderDecisionLike,
    OrderTranslation,
    TranslationConfig,
    channel_name,
    check_payload,
    contact_info,
    has_errors,
    join_lines,
    render_reference,
    saved_elements,
    unit_factor,
)

__all__ = [
    "sales_order_to_order",
]


def sales_order_to_order(
    order: SalesOrder,
    config: TranslationConfig,
    decision: BackorderDecisionLike | None = None,
    *,
    converter: cattrs.Converter | None = None,
) -> OrderTranslation:
    """The ``POST /orders`` body for one shipment of a sales order.

    ``decision`` (from the backorder module) gives the quantity to send per line; lines with
    zero are left out. Quantities go through the line's unit factor and the SKU's pack factor
    into primary units. Raises :class:`ValidationError` with every violation on any error.
    ``converter`` (from :func:`~extensiv_connector.wire.make_converter`) may be passed to
    reuse one across calls; a new one is made otherwise.
    """
    violations: list[Violation] = []
    check_plain_text("order_number", order.order_number, violations)
    for index, line in enumerate(order.lines):
        check_plain_text(f"lines[{index}].sku", line.sku, violations)
        check_plain_text(f"lines[{index}].line_reference", line.line_reference, violations)
    quantities = [line.quantity for line in order.lines]
    if decision is not None:
        if len(decision.line_quantities) != len(order.lines):
            violations.append(
                Violation(
                    "lines",
                    f"backorder decision has {len(decision.line_quantities)} quantities"
                    f" for {len(order.lines)} lines",
                    rule="backorder.mismatch",
                )
            )
        else:
            quantities = list(decision.line_quantities)
    # An order number already refused is not rendered (and reported) a second time.
    reference = (
        ""
        if any(v.path == "order_number" for v in violations)
        else render_reference(
            config.references.order,
            order.order_number,
            order.shipment_seq,
            channel_name(config),
            violations,
        )
    )
    carrier = config.carrier_mappings.resolve(order.carrier, order.service)
    violations.extend(carrier.violations)
    routed = config.reference_mappings.route(order.references, ReferenceLevel.ORDER)
    fields = routed.fields

    items: list[OrderItem] = []
    indexes: list[int] = []
    for index, (line, quantity) in enumerate(zip(order.lines, quantities, strict=False)):
        path = f"lines[{index}]"
        if quantity <= 0:
            if decision is None:
                violations.append(
                    Violation(f"{path}.quantity", "must be positive", rule="quantity")
                )
            continue
        sku = config.sku_mappings.to_channel(line.sku, f"{path}.sku")
        violations.extend(sku.violations)
        factor = unit_factor(config, line.sku, line.unit)
        if factor is None:
            violations.append(
                Violation(
                    f"{path}.unit",
                    f"no conversion factor for unit {line.unit!r} (backorder.unit_factors)",
                    rule="units.unknown",
                )
            )
            factor = Decimal(1)
        primary = quantity * factor * sku.pack_factor
        if primary != primary.to_integral_value():
            violations.append(
                Violation(
                    f"{path}.quantity",
                    f"{primary} is not a whole number of primary units",
                    "warning",
                    "units.fraction",
                )
            )
        line_refs = config.reference_mappings.route(line.references, ReferenceLevel.LINE)
        items.append(
            OrderItem(
                item_identifier=ItemIdentifier(sku=sku.sku),
                qty=primary,
                external_id=line_refs.fields.get("externalId") or line.line_reference or None,
                notes=join_lines(line.notes, line_refs.fields.get("notes")),
                qualifier=line_refs.fields.get("qualifier"),
                lot_number=line_refs.fields.get("lotNumber"),
                serial_number=line_refs.fields.get("serialNumber"),
                saved_elements=saved_elements(line_refs.saved_elements),
            )
        )
        indexes.append(index)
    if order.lines and not items:
        violations.append(
            Violation(
                "orderItems", "no line has a quantity to send", rule="backorder.nothing_to_send"
            )
        )

    routing = None
    if carrier.extensiv_carrier or carrier.extensiv_service or carrier.scac:
        routing = RoutingInfo(
            carrier=carrier.extensiv_carrier or None,
            mode=carrier.extensiv_service or None,
            scac_code=carrier.scac or None,
        )
    model = Order(
        customer_identifier=CustomerIdentifier(id=config.credentials.customer_id),
        facility_identifier=FacilityIdentifier(id=config.credentials.facility_id),
        reference_num=reference or None,
        po_num=order.po_number or fields.get("poNum") or None,
        external_id=fields.get("externalId") or order.order_number,
        description=fields.get("description"),
        notes=join_lines(order.notes, fields.get("notes")),
        shipping_notes=join_lines(order.shipping_notes, fields.get("shippingNotes")),
        billing_code=carrier.billing_code or None,
        routing_info=routing,
        ship_to=contact_info(config.pii.apply(order.ship_to)),
        sold_to=None if order.sold_to is None else contact_info(config.pii.apply(order.sold_to)),
        saved_elements=saved_elements(routed.saved_elements),
        order_items=tuple(items),
    )
    checked, payload = check_payload(config, "order", model, Order, violations, converter)
    if has_errors(violations):
        raise ValidationError(violations, f"order {display_text(order.order_number)}")
    return OrderTranslation(
        order=checked,
        payload=payload,
        reference=reference,
        line_indexes=tuple(indexes),
        violations=tuple(violations),
    )
