"""Reference templates: host order number (+ shipment sequence, channel) <-> ``referenceNum``.

A template is fixed text with tokens ``{order_number}`` (required), ``{shipment_seq}`` and
``{channel}``; ``{{`` and ``}}`` are literal braces. Rendering is deterministic and checked
against Extensiv's field length, and every rendered reference parses back to the values it
was rendered from, so the reference doubles as the idempotency key of the order. A value the
template cannot carry unambiguously is refused at render time.

The warehouse names split backorders ``<reference>-BO1``, ``-BO2``...; :meth:`parse`
recognises that suffix and ties the child to its parent reference.
"""

from __future__ import annotations

import functools
import re
import string

import attrs

from .._text import check_plain_text, display_text
from ..errors import ConfigError, ValidationError, Violation

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "ParsedReference",
    "ReferenceSettings",
    "ReferenceTemplate",
]

#: Assumed limit of ``referenceNum`` (orders and receivers). Not published by Extensiv [U];
#: 50 is the conservative value used by peers. Configurable as ``references.max_length``.
DEFAULT_MAX_LENGTH = 50

TOKENS = ("order_number", "shipment_seq", "channel")
_BACKORDER = re.compile(r"^(?P<parent>.+)-BO(?P<seq>[1-9][0-9]*)$", re.IGNORECASE)
_SEQ_PATTERN = "[1-9][0-9]*"


@attrs.frozen(kw_only=True)
class ParsedReference:
    """What a reference says. ``backorder_seq`` is set for a warehouse split (``-BO<n>``)."""

    reference: str
    order_number: str
    shipment_seq: int = 1
    channel: str = ""
    backorder_seq: int | None = None
    parent_reference: str | None = None

    @property
    def is_backorder(self) -> bool:
        return self.backorder_seq is not None


def _compile(template: str, path: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """Split the template into (literal, token) parts and build the parse pattern."""
    parts: list[tuple[str, str | None]] = []
    pattern = ["^"]
    seen: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(path, f"malformed template: {exc}") from None
    for literal, field, spec, conversion in parsed:
        pattern.append(re.escape(literal))
        if field is None:
            parts.append((literal, None))
            continue
        if field not in TOKENS:
            raise ConfigError(path, f"unknown token {{{field}}} (allowed: {', '.join(TOKENS)})")
        if spec or conversion:
            raise ConfigError(path, f"token {{{field}}} takes no format or conversion")
        if field in seen:
            raise ConfigError(path, f"token {{{field}}} appears twice")
        seen.add(field)
        parts.append((literal, field))
        if field == "shipment_seq":
            pattern.append(f"(?P<shipment_seq>{_SEQ_PATTERN})")
        elif field == "channel":
            pattern.append("(?P<channel>.+?)")
        else:
            pattern.append("(?P<order_number>.+)")
    if "order_number" not in seen:
        raise ConfigError(path, "a reference template needs the {order_number} token")
    pattern.append("$")
    return tuple(parts), "".join(pattern)


@attrs.frozen
class ReferenceTemplate:
    """``ReferenceTemplate("{order_number}-{shipment_seq}")``: render and parse references."""

    template: str = "{order_number}-{shipment_seq}"
    max_length: int = attrs.field(default=DEFAULT_MAX_LENGTH, kw_only=True)
    field: str = attrs.field(default="referenceNum", kw_only=True)
    _parts: tuple[tuple[str, str | None], ...] = attrs.field(init=False, repr=False, eq=False)
    _pattern: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)
    _tokens: tuple[str, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        parts, pattern = _compile(self.template, "references.template")
        object.__setattr__(self, "_parts", parts)
        object.__setattr__(self, "_pattern", re.compile(pattern, re.DOTALL))
        # read a few times per reference rendered or parsed: worked out once
        object.__setattr__(self, "_tokens", tuple(t for _, t in parts if t is not None))
        if self.max_length < 1:
            raise ConfigError("references.max_length", "must be at least 1")

    @property
    def tokens(self) -> tuple[str, ...]:
        return self._tokens

    def _format(self, order_number: str, shipment_seq: int, channel: str) -> str:
        values = {
            "order_number": order_number,
            "shipment_seq": str(shipment_seq),
            "channel": channel,
        }
        return "".join(lit + (values[tok] if tok else "") for lit, tok in self._parts)

    def render(self, order_number: str, shipment_seq: int = 1, channel: str = "") -> str:
        """The reference for one shipment of an order.

        Raises :class:`ValidationError` (all problems at once) when the result is longer
        than ``max_length``, when the template has no ``{shipment_seq}`` but a sequence other
        than 1 is asked for (two shipments would share a key), or when the reference would
        not parse back to these values (e.g. an order number ending in ``-BO1``).
        """
        problems: list[Violation] = []
        if not order_number:
            problems.append(Violation(self.field, "order number is empty", rule="reference.empty"))
        check_plain_text("order_number", order_number, problems)
        if shipment_seq < 1:
            problems.append(
                Violation(self.field, "shipment sequence must be at least 1", rule="reference.seq")
            )
        elif "shipment_seq" not in self.tokens and shipment_seq != 1:
            problems.append(
                Violation(
                    self.field,
                    f"template {self.template!r} has no {{shipment_seq}} token,"
                    f" cannot render sequence {shipment_seq}",
                    rule="reference.seq",
                )
            )
        if "channel" in self.tokens and not channel:
            problems.append(
                Violation(self.field, "template needs a channel name", rule="reference.channel")
            )
        if problems:
            raise ValidationError(problems, "reference")
        reference = self._format(order_number, shipment_seq, channel)
        if len(reference) > self.max_length:
            problems.append(
                Violation(
                    self.field,
                    f"reference {display_text(reference, 40)!r} is {len(reference)} characters,"
                    f" limit {self.max_length}",
                    rule="reference.max_length",
                )
            )
        parsed = self.parse(reference, channel=channel or None)
        if parsed is None or (
            parsed.order_number,
            parsed.shipment_seq,
            parsed.backorder_seq,
        ) != (order_number, shipment_seq, None):
            problems.append(
                Violation(
                    self.field,
                    f"order number {order_number!r} does not parse back unambiguously"
                    f" from {reference!r}",
                    rule="reference.ambiguous",
                )
            )
        if problems:
            raise ValidationError(problems, "reference")
        return reference

    def admits(self, order_number: str, shipment_seq: int = 1, channel: str = "") -> bool:
        """Whether :meth:`render` accepts these values."""
        try:
            self.render(order_number, shipment_seq, channel)
        except ValidationError:
            return False
        return True

    def parse(self, reference: str, channel: str | None = None) -> ParsedReference | None:
        """Order number and sequence from a reference; ``None`` if the template did not make it.

        ``channel``, when given, must be the one in the reference. A ``-BO<n>`` suffix the
        template itself cannot produce marks a warehouse-split backorder of the parent.
        """
        split = _BACKORDER.match(reference)
        if split is not None:
            parent = self._parse_plain(split.group("parent"), channel)
            if parent is not None:
                return attrs.evolve(
                    parent,
                    reference=reference,
                    backorder_seq=int(split.group("seq")),
                    parent_reference=split.group("parent"),
                )
        return self._parse_plain(reference, channel)

    def _parse_plain(self, reference: str, channel: str | None) -> ParsedReference | None:
        pattern = self._pattern
        if channel is not None and "channel" in self.tokens:
            pattern = re.compile(
                self._pattern.pattern.replace(
                    "(?P<channel>.+?)", f"(?P<channel>{re.escape(channel)})", 1
                ),
                re.DOTALL,
            )
        match = pattern.match(reference)
        if match is None:
            return None
        groups = match.groupdict()
        return ParsedReference(
            reference=reference,
            order_number=groups["order_number"],
            shipment_seq=int(groups.get("shipment_seq") or 1),
            channel=groups.get("channel") or "",
        )


@attrs.frozen(kw_only=True)
class ReferenceSettings:
    """Config section ``[references]``: reference templates for orders and receipts.

    In ``receipt_template`` the ``{order_number}`` token stands for the receipt's reference.
    """

    order_template: str = "{order_number}-{shipment_seq}"
    receipt_template: str = "{order_number}"
    max_length: int = DEFAULT_MAX_LENGTH

    def __attrs_post_init__(self) -> None:
        if self.max_length < 1:
            raise ConfigError("references.max_length", "must be at least 1")
        _compile(self.order_template, "references.order_template")
        _compile(self.receipt_template, "references.receipt_template")

    @property
    def order(self) -> ReferenceTemplate:
        return _template(self.order_template, self.max_length)

    @property
    def receipt(self) -> ReferenceTemplate:
        return _template(self.receipt_template, self.max_length)


@functools.lru_cache(maxsize=64)
def _template(template: str, max_length: int) -> ReferenceTemplate:
    # Compiling a template is the costly part of rendering one; templates are few and frozen.
    return ReferenceTemplate(template, max_length=max_length)
