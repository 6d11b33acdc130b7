"""The error raised when an order line's quantity cannot be expressed in warehouse units."""

from __future__ import annotations

from ..errors import ValidationError, Violation

__all__ = ["UnitConversionError"]


class UnitConversionError(ValidationError):
    """A line's unit has no conversion factor, or its quantity converts to a fraction of an
    integral warehouse unit. ``subject`` names the order; each violation names the line."""

    def __init__(self, order_number: str, index: int, sku: str, message: str) -> None:
        self.order_number = order_number
        self.line_index = index
        self.sku = sku
        super().__init__(
            [Violation(f"lines[{index}]", f"{sku}: {message}", rule="units")],
            subject=f"order {order_number}",
        )
