"""Extensiv item <-> host product, with unit normalisation."""

from __future__ import annotations

from decimal import Decimal

import cattrs

from ..errors import ValidationError, Violation
from ..mapping import (
    Measures,
    MeasureSystem,
)
from ..models import (
    Item,
    ItemIdentifier,
    ItemKit,
    ItemKitComponent,
    ItemOptions,
    KitComponent,
    MeasureSet,
    Product,
    UnitIdentifier,
    UnitOption,
)
from ._common import (
    TranslationConfig,
    check_payload,
    has_errors,
)

__all__ = [
    "item_to_product",
    "product_to_item",
]


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
    checked, _payload = check_payload(config, "item", model, Item, violations, converter)
    if has_errors(violations):
        raise ValidationError(violations, f"product {product.sku}")
    return checked  # type: ignore[no-any-return]
