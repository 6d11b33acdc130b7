"""Closed Extensiv order -> host shipment, with what the warehouse changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import cattrs

from ..errors import ValidationError, Violation
from ..mapping import (
    ParsedReference,
    ReferenceLevel,
)
from ..models import (
    ContactInfo,
    Order,
    RoutingInfo,
    SalesOrder,
    Shipment,
    ShipmentChange,
    ShipmentChangeKind,
    ShipmentLine,
    ShipmentLot,
    ShipmentPackage,
    ShipmentStatus,
)
from ._common import (
    STATUS_CANCELED,
    ShipmentTranslation,
    TranslationConfig,
    channel_name,
    contact_info,
    normalise_text,
    unit_factor,
)
from ._orders import sales_order_to_order

__all__ = ["order_to_shipment", "translate_shipment"]


@attrs.frozen
class _SentLine:
    external_id: str
    channel_sku: str
    primary_qty: Decimal
    host_sku: str


@attrs.frozen
class _Sent:
    lines: tuple[_SentLine, ...]
    carrier: str
    mode: str
    ship_to: ContactInfo | None
    unit_factors: dict[str, Decimal]  # host line reference -> unit factor


def _baseline(
    sent: SalesOrder | Order, config: TranslationConfig, converter: cattrs.Converter | None
) -> _Sent:
    factors: dict[str, Decimal] = {}
    if isinstance(sent, SalesOrder):
        for line in sent.lines:
            if line.line_reference:
                factor = unit_factor(config, line.sku, line.unit)
                factors[line.line_reference] = factor or Decimal(1)
        try:
            # Compare against exactly what this order becomes when sent in full.
            sent_order = sales_order_to_order(sent, config, converter=converter).order
        except ValidationError:
            return _lenient_baseline(sent, config, factors)
    else:
        sent_order = sent
    lines = tuple(
        _SentLine(
            external_id=item.external_id or "",
            channel_sku=item.item_identifier.sku or "",
            primary_qty=item.qty or Decimal(0),
            host_sku=config.sku_mappings.to_host(item.item_identifier.sku or "").sku,
        )
        for item in sent_order.order_items
    )
    routing = sent_order.routing_info or RoutingInfo()
    return _Sent(lines, routing.carrier or "", routing.mode or "", sent_order.ship_to, factors)


def _lenient_baseline(
    sent: SalesOrder, config: TranslationConfig, factors: dict[str, Decimal]
) -> _Sent:
    """A baseline for an order that would not pass validation today (rules changed since)."""
    out: list[_SentLine] = []
    for line in sent.lines:
        sku = config.sku_mappings.to_channel(line.sku)
        factor = unit_factor(config, line.sku, line.unit) or Decimal(1)
        out.append(
            _SentLine(
                line.line_reference, sku.sku, line.quantity * factor * sku.pack_factor, line.sku
            )
        )
    carrier = config.carrier_mappings.resolve(sent.carrier, sent.service)
    return _Sent(
        tuple(out),
        carrier.extensiv_carrier,
        carrier.extensiv_service,
        contact_info(config.pii.apply(sent.ship_to)),
        factors,
    )


_ADDRESS_FIELDS = (
    "name",
    "company_name",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "country",
)


def _address_changed(sent: ContactInfo | None, got: ContactInfo | None) -> list[str]:
    if sent is None or got is None:
        return []
    return [
        name
        for name in _ADDRESS_FIELDS
        if getattr(got, name) is not None
        and normalise_text(getattr(sent, name)) != normalise_text(getattr(got, name))
    ]


def _tracking_numbers(order: Order) -> tuple[str, ...]:
    found: list[str] = []
    routing = order.routing_info
    candidates: list[str] = []
    if routing is not None and routing.tracking_number:
        candidates.extend(routing.tracking_number.replace(";", ",").split(","))
    if order.read_only is not None:
        candidates.extend(p.tracking_number or "" for p in order.read_only.packages)
    for candidate in candidates:
        number = candidate.strip()
        if number and number not in found:
            found.append(number)
    return tuple(found)


def _classify(
    sent: _Sent,
    order: Order,
    shipped: Mapping[int, Decimal],
    host_skus: Mapping[int, str],
) -> list[ShipmentChange]:
    changes: list[ShipmentChange] = []
    unmatched = list(range(len(order.order_items)))

    def take(line: _SentLine) -> int | None:
        for pos in unmatched:
            item = order.order_items[pos]
            if line.external_id and item.external_id:
                if line.external_id == item.external_id:
                    unmatched.remove(pos)
                    return pos
            elif normalise_text(item.item_identifier.sku) == normalise_text(line.channel_sku):
                unmatched.remove(pos)
                return pos
        return None

    for line in sent.lines:
        pos = take(line)
        if pos is None:
            changes.append(
                ShipmentChange(
                    kind=ShipmentChangeKind.LINE_REMOVED, detail="line removed", sku=line.host_sku
                )
            )
            continue
        got = shipped[pos]
        if got < line.primary_qty:
            kind = ShipmentChangeKind.QUANTITY_DECREASED
        elif got > line.primary_qty:
            kind = ShipmentChangeKind.QUANTITY_INCREASED
        else:
            continue
        detail = f"{line.primary_qty} -> {got} primary units"
        changes.append(ShipmentChange(kind=kind, detail=detail, sku=host_skus[pos]))
    for pos in unmatched:
        changes.append(
            ShipmentChange(
                kind=ShipmentChangeKind.LINE_ADDED, detail="line added", sku=host_skus[pos]
            )
        )
    routing = order.routing_info or RoutingInfo()
    if (
        routing.carrier
        and sent.carrier
        and normalise_text(routing.carrier) != normalise_text(sent.carrier)
    ):
        changes.append(
            ShipmentChange(
                kind=ShipmentChangeKind.CARRIER_CHANGED,
                detail=f"{sent.carrier} -> {routing.carrier}",
            )
        )
    if routing.mode and sent.mode and normalise_text(routing.mode) != normalise_text(sent.mode):
        changes.append(
            ShipmentChange(
                kind=ShipmentChangeKind.SERVICE_CHANGED, detail=f"{sent.mode} -> {routing.mode}"
            )
        )
    fields = _address_changed(sent.ship_to, order.ship_to)
    if fields:
        changes.append(
            ShipmentChange(
                kind=ShipmentChangeKind.ADDRESS_CHANGED, detail="changed: " + ", ".join(fields)
            )
        )
    return changes


def translate_shipment(
    order: Order,
    config: TranslationConfig,
    sent: SalesOrder | Order | None = None,
    *,
    converter: cattrs.Converter | None = None,
) -> ShipmentTranslation:
    """A closed (or canceled) Extensiv order as a host shipment, with every violation.

    ``sent`` is the baseline for the change classification: the ``SalesOrder`` (compared as it
    would have been sent in full) or, better, the ``Order`` actually sent.
    """
    violations: list[Violation] = []
    read_only = order.read_only
    reference = order.reference_num or ""
    template = config.references.order
    parsed: ParsedReference | None = template.parse(reference, channel=channel_name(config) or None)
    references = config.reference_mappings.inbound(
        {
            "poNum": order.po_num,
            "externalId": order.external_id,
            "notes": order.notes,
            "shippingNotes": order.shipping_notes,
            "description": order.description,
        },
        ReferenceLevel.ORDER,
    )
    if parsed is None:
        violations.append(
            Violation(
                "referenceNum",
                f"reference {reference!r} does not match the order template",
                "warning",
                "reference.unparsed",
            )
        )
    elif parsed.is_backorder:
        references["extensiv.parent_reference"] = parsed.parent_reference or ""
        references["extensiv.backorder_seq"] = str(parsed.backorder_seq)
    canceled = read_only is not None and read_only.status == STATUS_CANCELED
    routing = order.routing_info or RoutingInfo()
    carrier = config.carrier_mappings.reverse(routing.carrier, routing.mode, routing.scac_code)
    violations.extend(carrier.violations)

    baseline = None if sent is None else _baseline(sent, config, converter)
    packages = read_only.packages if read_only is not None else ()
    packed: dict[int, Decimal] = defaultdict(Decimal)
    lots: dict[int, list[str]] = defaultdict(list)
    serials: dict[int, list[str]] = defaultdict(list)
    # per line: (lot, expiry) -> [primary qty, serials], in package order
    lot_parts: dict[int, dict[tuple[str, datetime | None], list[Any]]] = defaultdict(dict)
    any_contents = False
    for package in packages:
        for content in package.package_contents:
            any_contents = True
            if content.order_item_id is None:
                continue
            packed[content.order_item_id] += content.qty or Decimal(0)
            if content.lot_number and content.lot_number not in lots[content.order_item_id]:
                lots[content.order_item_id].append(content.lot_number)
            content_serials = [s for s in (content.serial_number, *content.serial_numbers) if s]
            for serial in content_serials:
                if serial not in serials[content.order_item_id]:
                    serials[content.order_item_id].append(serial)
            if content.lot_number or content.expiration_date:  # expiry without a lot counts
                part = lot_parts[content.order_item_id].setdefault(
                    (content.lot_number or "", content.expiration_date), [Decimal(0), []]
                )
                part[0] += content.qty or Decimal(0)
                part[1].extend(s for s in content_serials if s not in part[1])
    for outbound in read_only.outbound_serial_numbers if read_only is not None else ():
        # serials reported per item (not per package line): credit the lines of that item
        for item in order.order_items:
            item_id = item.read_only.order_item_id if item.read_only else None
            if item_id is None or item.item_identifier.sku != outbound.item_identifier.sku:
                continue
            for serial in outbound.serial_numbers:
                if serial not in serials[item_id]:
                    serials[item_id].append(serial)
            break

    lines: list[ShipmentLine] = []
    shipped_primary: dict[int, Decimal] = {}
    host_skus: dict[int, str] = {}
    factor_by_item_id: dict[int, Decimal] = {}
    host_by_item_id: dict[int, str] = {}
    for pos, item in enumerate(order.order_items):
        item_id = item.read_only.order_item_id if item.read_only else None
        sku = config.sku_mappings.to_host(
            item.item_identifier.sku or "", f"orderItems[{pos}].itemIdentifier.sku"
        )
        violations.extend(sku.violations)
        if canceled:
            got = Decimal(0)
        elif any_contents:
            got = packed.get(item_id, Decimal(0)) if item_id is not None else Decimal(0)
        else:
            got = item.qty or Decimal(0)
        ordered = (
            (item.read_only.original_primary_qty if item.read_only else None)
            or item.qty
            or Decimal(0)
        )
        unit_factor = Decimal(1)
        if baseline is not None and item.external_id:
            unit_factor = baseline.unit_factors.get(item.external_id, Decimal(1))
        factor = sku.pack_factor * unit_factor
        shipped_primary[pos] = got
        host_skus[pos] = sku.sku
        if item_id is not None:
            factor_by_item_id[item_id] = factor
            host_by_item_id[item_id] = sku.sku
        lines.append(
            ShipmentLine(
                sku=sku.sku,
                shipped_quantity=got / factor,
                ordered_quantity=ordered / factor,
                line_reference=item.external_id or "",
                lot_numbers=tuple(lots.get(item_id, ())) if item_id is not None else (),
                serial_numbers=tuple(serials.get(item_id, ())) if item_id is not None else (),
                lots=tuple(
                    ShipmentLot(
                        lot_number=lot,
                        quantity=Decimal(0) if canceled else qty / factor,
                        expiration_date=expiry,
                        serial_numbers=tuple(lot_serials),
                    )
                    for (lot, expiry), (qty, lot_serials) in lot_parts.get(
                        item_id if item_id is not None else -1, {}
                    ).items()
                ),
            )
        )

    shipment_packages = tuple(
        ShipmentPackage(
            tracking_number=package.tracking_number or "",
            weight=package.weight,
            length=package.length,
            width=package.width,
            height=package.height,
            contents=tuple(
                ShipmentLine(
                    sku=host_by_item_id.get(content.order_item_id or -1, ""),
                    shipped_quantity=(content.qty or Decimal(0))
                    / factor_by_item_id.get(content.order_item_id or -1, Decimal(1)),
                    lot_numbers=(content.lot_number,) if content.lot_number else (),
                    serial_numbers=tuple(
                        dict.fromkeys(
                            s for s in (content.serial_number, *content.serial_numbers) if s
                        )
                    ),
                    lots=(
                        ShipmentLot(
                            lot_number=content.lot_number or "",
                            quantity=(content.qty or Decimal(0))
                            / factor_by_item_id.get(content.order_item_id or -1, Decimal(1)),
                            expiration_date=content.expiration_date,
                            serial_numbers=tuple(
                                dict.fromkeys(
                                    s for s in (content.serial_number, *content.serial_numbers) if s
                                )
                            ),
                        ),
                    )
                    if content.lot_number or content.expiration_date
                    else (),
                )
                for content in package.package_contents
            ),
        )
        for package in packages
    )
    changes = (
        []
        if canceled or baseline is None
        else _classify(baseline, order, shipped_primary, host_skus)
    )
    shipped_at: datetime | None = None
    if read_only is not None:
        shipped_at = (
            read_only.process_date or read_only.ship_date or read_only.small_parcel_ship_date
        )
    shipment = Shipment(
        order_number=parsed.order_number if parsed else reference,
        reference=reference,
        status=ShipmentStatus.CANCELED if canceled else ShipmentStatus.SHIPPED,
        shipment_seq=parsed.shipment_seq if parsed else 1,
        order_id=order.order_id,
        carrier=carrier.host_carrier,
        service=carrier.host_service,
        tracking_numbers=_tracking_numbers(order),
        shipped_at=None if canceled else shipped_at,
        lines=tuple(lines),
        packages=shipment_packages,
        changes=tuple(changes),
        references=references,
        last_modified=read_only.last_modified_date if read_only else None,
    )
    return ShipmentTranslation(shipment=shipment, violations=tuple(violations))


def order_to_shipment(
    order: Order,
    config: TranslationConfig,
    sent: SalesOrder | Order | None = None,
    *,
    converter: cattrs.Converter | None = None,
) -> Shipment:
    """:func:`translate_shipment`, raising :class:`ValidationError` on any error (e.g. a
    channel SKU without a mapping under the hold policy)."""
    result = translate_shipment(order, config, sent, converter=converter)
    if result.errors:
        raise ValidationError(
            result.violations, f"shipment {order.reference_num or order.order_id}"
        )
    return result.shipment
