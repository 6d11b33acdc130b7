"""OMS <-> Extensiv translation: pure functions over frozen models and the channel config.

Outbound (host -> Extensiv) functions return a translation holding the Extensiv model, its
camelCase payload (after the validation rules normalised/truncated it) and the warnings; any
error (unmapped SKU or carrier under "hold", a rule broken, a reference too long...) raises
:class:`~extensiv_connector.errors.ValidationError` listing every violation at once.

Inbound (Extensiv -> host) functions map SKUs, carriers and references back, convert
quantities through pack factors, and classify what the warehouse changed on a shipment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs
import cattrs

from .errors import ValidationError, Violation
from .mapping import (
    CarrierMapping,
    Measures,
    MeasureSystem,
    ParsedReference,
    ReferenceLevel,
    ReferenceMapping,
    ReferenceSettings,
    SkuMapping,
    UnitSettings,
)
from .models import (
    Address,
    ContactInfo,
    CustomerIdentifier,
    FacilityIdentifier,
    InventoryLevel,
    Item,
    ItemIdentifier,
    ItemKit,
    ItemKitComponent,
    ItemOptions,
    KitComponent,
    MeasureSet,
    Order,
    OrderItem,
    Product,
    Receipt,
    ReceiptLine,
    ReceiptStatus,
    ReceiveItem,
    Receiver,
    RoutingInfo,
    SalesOrder,
    SavedElement,
    Shipment,
    ShipmentChange,
    ShipmentChangeKind,
    ShipmentLine,
    ShipmentPackage,
    ShipmentStatus,
    StockSummary,
    UnitIdentifier,
    UnitOption,
)
from .pii import PiiPolicy
from .rules import ValidationRules
from .wire import make_converter

__all__ = [
    "BackorderDecisionLike",
    "InventoryTranslation",
    "OrderTranslation",
    "ReceiverTranslation",
    "ShipmentTranslation",
    "TranslationConfig",
    "item_to_product",
    "order_to_shipment",
    "product_to_item",
    "receipt_to_receiver",
    "receiver_to_receipt",
    "sales_order_to_order",
    "stock_summaries_to_inventory",
    "stock_summary_to_inventory",
    "translate_shipment",
    "unit_factor",
]

#: Extensiv transaction status values (orders and receivers).
STATUS_OPEN, STATUS_CLOSED, STATUS_CANCELED = 0, 1, 2
#: ``transactionEntryType`` automated processes should send ("Api").
ENTRY_TYPE_API = 4


# -- what the functions need from the config and the backorder decision --------------------


class _Credentials(Protocol):
    @property
    def customer_id(self) -> int: ...
    @property
    def facility_id(self) -> int: ...


class _General(Protocol):
    @property
    def connection_name(self) -> str: ...


class _LineUnits(Protocol):
    """Order-line unit factors (the backorder policy holds them)."""

    @property
    def unit_factors(self) -> Mapping[str, Mapping[str, Decimal]]: ...
    @property
    def default_unit_factors(self) -> Mapping[str, Decimal]: ...


class TranslationConfig(Protocol):
    """The parts of ``ChannelConfig`` translation reads."""

    @property
    def credentials(self) -> _Credentials: ...
    @property
    def general(self) -> _General: ...
    @property
    def carrier_mappings(self) -> CarrierMapping: ...
    @property
    def sku_mappings(self) -> SkuMapping: ...
    @property
    def reference_mappings(self) -> ReferenceMapping: ...
    @property
    def references(self) -> ReferenceSettings: ...
    @property
    def units(self) -> UnitSettings: ...
    @property
    def pii(self) -> PiiPolicy: ...
    @property
    def backorder(self) -> _LineUnits: ...
    @property
    def validation(self) -> ValidationRules: ...


class BackorderDecisionLike(Protocol):
    """A backorder decision: quantity to send per order line (aligned with ``order.lines``)."""

    @property
    def line_quantities(self) -> tuple[Decimal, ...]: ...


# -- results -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OrderTranslation:
    """A sales order as an Extensiv order. ``line_indexes[i]`` is the host line index of
    ``order.order_items[i]`` (lines with nothing to send are left out)."""

    order: Order = attrs.field(repr=False)  # ship-to holds personal data: kept out of repr
    payload: dict[str, Any] = attrs.field(repr=False)
    reference: str
    line_indexes: tuple[int, ...] = ()
    violations: tuple[Violation, ...] = ()  # warnings only; errors raise


@attrs.frozen(kw_only=True)
class ShipmentTranslation:
    shipment: Shipment
    violations: tuple[Violation, ...] = ()

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")


@attrs.frozen(kw_only=True)
class ReceiverTranslation:
    receiver: Receiver
    payload: dict[str, Any]
    reference: str
    violations: tuple[Violation, ...] = ()


@attrs.frozen(kw_only=True)
class InventoryTranslation:
    """Levels per host SKU (and facility); channel SKUs that could not be mapped are skipped
    and reported in ``violations``."""

    levels: tuple[InventoryLevel, ...]
    violations: tuple[Violation, ...] = ()


# -- helpers -----------------------------------------------------------------------------


def _errors(violations: Iterable[Violation]) -> bool:
    return any(v.severity == "error" for v in violations)


def _join(*parts: str | None) -> str | None:
    text = "\n".join(p for p in parts if p)
    return text or None


def _contact(address: Address) -> ContactInfo:
    def val(text: str) -> str | None:
        return text or None

    return ContactInfo(
        company_name=val(address.company),
        name=val(address.name),
        address1=val(address.address1),
        address2=val(address.address2),
        city=val(address.city),
        state=val(address.state),
        zip=val(address.postal_code),
        country=val(address.country),
        phone_number=val(address.phone),
        email_address=val(address.email),
    )


def _saved(pairs: Sequence[tuple[str, str]]) -> tuple[SavedElement, ...] | None:
    return tuple(SavedElement(name=n, value=v) for n, v in pairs) or None


def unit_factor(config: TranslationConfig, sku: str, unit: str) -> Decimal | None:
    """Primary units per one ``unit`` of host ``sku`` (``""`` = the primary unit), from the
    backorder policy's ``unit_factors`` (per SKU) then ``default_unit_factors``; ``None`` if
    the unit has no factor. Mirrors the backorder module so both convert alike."""
    if not unit:
        return Decimal(1)
    policy = config.backorder
    factor = policy.unit_factors.get(sku, {}).get(unit)
    return factor if factor is not None else policy.default_unit_factors.get(unit)


def _channel_name(config: TranslationConfig) -> str:
    return config.general.connection_name


def _render(
    template_settings: Any, number: str, seq: int, channel: str, out: list[Violation]
) -> str:
    try:
        return str(template_settings.render(number, seq, channel))
    except ValidationError as exc:
        out.extend(exc.violations)
        return ""


def _check_payload(
    config: TranslationConfig,
    resource: str,
    model: Any,
    cls: type[Any],
    out: list[Violation],
    converter: cattrs.Converter | None,
) -> tuple[Any, dict[str, Any]]:
    converter = converter or make_converter()
    raw = converter.unstructure(model)
    result = config.validation.apply(resource, raw)
    # A field the mapping stage already reported (e.g. a reference that failed to render and
    # so is missing) is not reported twice.
    seen = {v.path for v in out}
    out.extend(v for v in result.violations if v.path not in seen)
    if result.payload == raw:
        return model, result.payload
    return converter.structure(result.payload, cls), result.payload


# -- sales order -> Extensiv order -----------------------------------------------------------


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
    reference = _render(
        config.references.order,
        order.order_number,
        order.shipment_seq,
        _channel_name(config),
        violations,
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
                notes=_join(line.notes, line_refs.fields.get("notes")),
                qualifier=line_refs.fields.get("qualifier"),
                lot_number=line_refs.fields.get("lotNumber"),
                serial_number=line_refs.fields.get("serialNumber"),
                saved_elements=_saved(line_refs.saved_elements),
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
        notes=_join(order.notes, fields.get("notes")),
        shipping_notes=_join(order.shipping_notes, fields.get("shippingNotes")),
        billing_code=carrier.billing_code or None,
        routing_info=routing,
        ship_to=_contact(config.pii.apply(order.ship_to)),
        sold_to=None if order.sold_to is None else _contact(config.pii.apply(order.sold_to)),
        saved_elements=_saved(routed.saved_elements),
        order_items=tuple(items),
    )
    checked, payload = _check_payload(config, "order", model, Order, violations, converter)
    if _errors(violations):
        raise ValidationError(violations, f"order {order.order_number}")
    return OrderTranslation(
        order=checked,
        payload=payload,
        reference=reference,
        line_indexes=tuple(indexes),
        violations=tuple(violations),
    )


# -- closed Extensiv order -> shipment --------------------------------------------------------


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
        _contact(config.pii.apply(sent.ship_to)),
        factors,
    )


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


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
        and _norm(getattr(sent, name)) != _norm(getattr(got, name))
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
            elif _norm(item.item_identifier.sku) == _norm(line.channel_sku):
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
    if routing.carrier and sent.carrier and _norm(routing.carrier) != _norm(sent.carrier):
        changes.append(
            ShipmentChange(
                kind=ShipmentChangeKind.CARRIER_CHANGED,
                detail=f"{sent.carrier} -> {routing.carrier}",
            )
        )
    if routing.mode and sent.mode and _norm(routing.mode) != _norm(sent.mode):
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
    parsed: ParsedReference | None = template.parse(
        reference, channel=_channel_name(config) or None
    )
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
    any_contents = False
    for package in packages:
        for content in package.package_contents:
            any_contents = True
            if content.order_item_id is None:
                continue
            packed[content.order_item_id] += content.qty or Decimal(0)
            if content.lot_number and content.lot_number not in lots[content.order_item_id]:
                lots[content.order_item_id].append(content.lot_number)
            for serial in (content.serial_number, *content.serial_numbers):
                if serial and serial not in serials[content.order_item_id]:
                    serials[content.order_item_id].append(serial)

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
                        s for s in (content.serial_number, *content.serial_numbers) if s
                    ),
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


# -- receipts -----------------------------------------------------------------------------


def receipt_to_receiver(
    receipt: Receipt, config: TranslationConfig, *, converter: cattrs.Converter | None = None
) -> ReceiverTranslation:
    """The ``POST /inventory/receivers`` body for a host receipt (ASN)."""
    violations: list[Violation] = []
    reference = _render(
        config.references.receipt, receipt.reference, 1, _channel_name(config), violations
    )
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
    checked, payload = _check_payload(config, "receiver", model, Receiver, violations, converter)
    if _errors(violations):
        raise ValidationError(violations, f"receipt {receipt.reference}")
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
    parsed = config.references.receipt.parse(reference, channel=_channel_name(config) or None)
    sent_lines = list(sent.lines) if sent is not None else []

    def sent_expected(external_id: str, host_sku: str) -> Decimal | None:
        for i, line in enumerate(sent_lines):
            if (external_id and line.line_reference == external_id) or (
                not external_id and _norm(line.sku) == _norm(host_sku)
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
            )
        )
    if _errors(violations):
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


# -- stock --------------------------------------------------------------------------------


def _level(
    summary: StockSummary, sku: str, factor: Decimal, *, clamp: bool = True
) -> InventoryLevel:
    def q(value: Decimal | None) -> Decimal:
        return (value or Decimal(0)) / factor

    available = q(summary.available)
    return InventoryLevel(
        sku=sku,
        available=max(Decimal(0), available) if clamp else available,
        on_hand=q(summary.on_hand),
        allocated=q(summary.allocated),
        on_hold=q(summary.on_hold),
        facility_id=summary.facility_id,
    )


def stock_summary_to_inventory(summary: StockSummary, config: TranslationConfig) -> InventoryLevel:
    """One stock-summary row in host SKU and units; ``available`` never below zero.
    Raises :class:`ValidationError` for a channel SKU without a mapping (hold policy)."""
    sku = config.sku_mappings.to_host(summary.item_identifier.sku or "", "itemIdentifier.sku")
    if sku.held:
        raise ValidationError(sku.violations, "stock summary")
    return _level(summary, sku.sku, sku.pack_factor)


def stock_summaries_to_inventory(
    summaries: Iterable[StockSummary],
    config: TranslationConfig,
    *,
    qualifiers: Iterable[str] | None = None,
) -> InventoryTranslation:
    """Rows summed per host SKU and facility, ``available`` clamped at zero after summing.

    Rows of every qualifier add up unless ``qualifiers`` lists the ones to count (``""`` is
    the unqualified stock); channel SKUs sharing a host SKU add up too. Unmapped channel SKUs
    are skipped and reported as warnings.
    """
    wanted = None if qualifiers is None else {q.casefold() for q in qualifiers}
    totals: dict[tuple[str, int | None], InventoryLevel] = {}
    violations: list[Violation] = []
    for index, summary in enumerate(summaries):
        if wanted is not None and (summary.qualifier or "").casefold() not in wanted:
            continue
        sku = config.sku_mappings.to_host(
            summary.item_identifier.sku or "", f"summaries[{index}].itemIdentifier.sku"
        )
        if sku.held:
            violations.extend(
                attrs.evolve(v, severity="warning", message=v.message + " (skipped)")
                for v in sku.violations
            )
            continue
        level = _level(summary, sku.sku, sku.pack_factor, clamp=False)
        key = (level.sku, level.facility_id)
        if key in totals:
            prev = totals[key]
            level = attrs.evolve(
                prev,
                available=prev.available + level.available,
                on_hand=prev.on_hand + level.on_hand,
                allocated=prev.allocated + level.allocated,
                on_hold=prev.on_hold + level.on_hold,
            )
        totals[key] = level
    levels = tuple(attrs.evolve(v, available=max(Decimal(0), v.available)) for v in totals.values())
    return InventoryTranslation(levels=levels, violations=tuple(violations))


# -- items <-> products ---------------------------------------------------------------------


def item_to_product(item: Item, config: TranslationConfig) -> Product:
    """An Extensiv item as a host product: host SKU, primary unit, measures in host units
    (``units.host_length_unit``/``host_weight_unit``, else Extensiv's), kit components."""
    sku = config.sku_mappings.to_host(item.sku or "", "sku")
    if sku.held:
        raise ValidationError(sku.violations, "item")
    unit = (item.options.inventory_unit if item.options else None) or UnitOption()
    measures = None
    for system, values in (
        (MeasureSystem.IMPERIAL, unit.imperial),
        (MeasureSystem.METRIC, unit.metric),
    ):
        if values is not None and any(
            v is not None for v in (values.length, values.width, values.height, values.weight)
        ):
            measures = Measures(
                system=system,
                length=values.length,
                width=values.width,
                height=values.height,
                weight=values.weight,
            )
            break
    host_values, length_unit, weight_unit = config.units.to_host(
        measures or Measures(system=MeasureSystem.IMPERIAL)
    )
    components: list[KitComponent] = []
    if item.kit is not None:
        for component in item.kit.components:
            part = config.sku_mappings.to_host(component.item_identifier.sku or "")
            components.append(
                KitComponent(
                    sku=part.sku, quantity=(component.qty or Decimal(0)) / part.pack_factor
                )
            )
    deactivated = item.read_only.deactivated if item.read_only else None
    return Product(
        sku=sku.sku,
        description=item.description or "",
        description2=item.description2 or "",
        upc=item.upc or unit.upc or "",
        unit=(unit.unit_identifier.name if unit.unit_identifier else None) or "Each",
        cost=item.cost,
        price=item.price,
        weight=host_values.weight,
        weight_unit=weight_unit,
        length=host_values.length,
        width=host_values.width,
        height=host_values.height,
        dimension_unit=length_unit,
        kit_components=tuple(components),
        active=not deactivated,
        channel_id=item.item_id,
    )


def product_to_item(
    product: Product, config: TranslationConfig, *, converter: cattrs.Converter | None = None
) -> Item:
    """A host product as an Extensiv item (for ``POST``/``PUT /customers/{id}/items``).

    Measures go in exactly one Extensiv pair (cm+kg or in+lb, ``units.system``). Raises
    :class:`ValidationError` on an unmapped SKU (hold policy) or a broken item rule.
    """
    violations: list[Violation] = []
    sku = config.sku_mappings.to_channel(product.sku, "sku")
    violations.extend(sku.violations)
    measures: Measures | None = None
    try:
        measures = config.units.to_extensiv(
            length=product.length,
            width=product.width,
            height=product.height,
            weight=product.weight,
            length_unit=product.dimension_unit,
            weight_unit=product.weight_unit,
        )
    except ValidationError as exc:
        violations.extend(exc.violations)
    measure_set = None
    if measures is not None and any(
        v is not None for v in (measures.length, measures.width, measures.height, measures.weight)
    ):
        measure_set = MeasureSet(
            length=measures.length,
            width=measures.width,
            height=measures.height,
            weight=measures.weight,
        )
    imperial = measures is not None and measures.system is MeasureSystem.IMPERIAL
    kit = None
    if product.kit_components:
        parts = []
        for index, component in enumerate(product.kit_components):
            part = config.sku_mappings.to_channel(component.sku, f"kit_components[{index}].sku")
            violations.extend(part.violations)
            parts.append(
                ItemKitComponent(
                    item_identifier=ItemIdentifier(sku=part.sku),
                    qty=component.quantity * part.pack_factor,
                )
            )
        kit = ItemKit(components=tuple(parts))
    model = Item(
        sku=sku.sku,
        item_id=product.channel_id,
        upc=product.upc or None,
        description=product.description or None,
        description2=product.description2 or None,
        cost=product.cost,
        price=product.price,
        kit=kit,
        options=ItemOptions(
            inventory_unit=UnitOption(
                unit_identifier=UnitIdentifier(name=product.unit or "Each"),
                imperial=measure_set if imperial else None,
                metric=None if imperial else measure_set,
            )
        ),
    )
    checked, _payload = _check_payload(config, "item", model, Item, violations, converter)
    if _errors(violations):
        raise ValidationError(violations, f"product {product.sku}")
    return checked  # type: ignore[no-any-return]
