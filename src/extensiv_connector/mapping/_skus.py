"""SKU mapping: a strict two-way translator between host SKUs and channel (Extensiv) SKUs.

Each entry binds one host SKU to one channel SKU, with aliases (UPC, listing SKU, ...) that
resolve to the same entry from either side, and a pack factor: how many channel (primary)
units one host unit holds, e.g. ``12`` when the host sells a case and the warehouse stocks
eaches.

Unmapped SKUs (``unmapped``):

- ``"auto"`` (default): identity while no entries are configured; once there are entries, a
  SKU missing from them holds the order with an error naming the SKU;
- ``"hold"``: always an error, even with no entries;
- ``"pass_through"``: unmapped SKUs go as they are (pack factor 1).

CSV import/export work on text (``str``), never on files: columns ``host_sku``,
``channel_sku``, ``aliases`` (``|``-separated) and ``pack_factor``.
"""

from __future__ import annotations

import csv
import enum
import functools
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import attrs

from ..errors import ConfigError, ValidationError, Violation

__all__ = [
    "CSV_COLUMNS",
    "SkuImportResult",
    "SkuMapping",
    "SkuMappingEntry",
    "SkuResolution",
    "UnmappedSku",
]

CSV_COLUMNS = ("host_sku", "channel_sku", "aliases", "pack_factor")


class UnmappedSku(enum.Enum):
    """What to do with a host SKU no entry maps: identity while there are no entries (``auto``),
    hold the order, or pass it through."""

    AUTO = "auto"
    HOLD = "hold"
    PASS_THROUGH = "pass_through"  # noqa: S105 - a policy name, not a password


def _key(sku: str) -> str:
    return sku.strip().casefold()


@attrs.frozen(kw_only=True)
class SkuMappingEntry:
    """One host SKU <-> one channel SKU. ``pack_factor`` channel units per host unit."""

    host_sku: str = ""
    channel_sku: str = ""
    aliases: tuple[str, ...] = ()
    pack_factor: Decimal = Decimal(1)


@attrs.frozen(kw_only=True)
class SkuResolution:
    """A SKU translated in one direction. ``entry`` is ``None`` for identity/pass-through."""

    sku: str  # the translated SKU
    pack_factor: Decimal = Decimal(1)
    entry: SkuMappingEntry | None = None
    violations: tuple[Violation, ...] = ()

    @property
    def held(self) -> bool:
        return any(v.severity == "error" for v in self.violations)


@attrs.frozen(kw_only=True)
class SkuImportResult:
    """What a CSV import did (or, with ``dry_run``, would do)."""

    mapping: SkuMapping
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = ()
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


@attrs.frozen(kw_only=True)
class SkuMapping:
    """Config section ``[sku_mappings]``."""

    entries: tuple[SkuMappingEntry, ...] = ()
    unmapped: UnmappedSku = UnmappedSku.AUTO

    def __attrs_post_init__(self) -> None:
        seen: dict[str, int] = {}
        for i, entry in enumerate(self.entries):
            path = f"sku_mappings.entries[{i}]"
            if not entry.host_sku.strip() or not entry.channel_sku.strip():
                raise ConfigError(path, "host_sku and channel_sku are both required")
            if not entry.pack_factor.is_finite() or entry.pack_factor <= 0:
                raise ConfigError(f"{path}.pack_factor", "must be a positive number")
            key = _key(entry.host_sku)
            if key in seen:
                raise ConfigError(
                    f"{path}.host_sku",
                    f"host SKU {entry.host_sku!r} is already mapped by entries[{seen[key]}]",
                )
            seen[key] = i

    # -- indexes (computed once per instance; the mapping is immutable) ---------------------

    @functools.cached_property
    def _outbound(self) -> dict[str, SkuMappingEntry]:
        index: dict[str, SkuMappingEntry] = {}
        for entry in self.entries:
            index.setdefault(_key(entry.host_sku), entry)
        for entry in self.entries:
            for alias in entry.aliases:
                index.setdefault(_key(alias), entry)
        return index

    @functools.cached_property
    def _inbound(self) -> dict[str, SkuMappingEntry]:
        # A channel SKU shared by several host SKUs (each and case of the same item) maps
        # back to the entry with pack factor 1, else to the first listed.
        index: dict[str, SkuMappingEntry] = {}
        for entry in sorted(self.entries, key=lambda e: e.pack_factor != 1):
            index.setdefault(_key(entry.channel_sku), entry)
        for entry in self.entries:
            for alias in entry.aliases:
                index.setdefault(_key(alias), entry)
        return index

    def _unmapped(self, sku: str, path: str, direction: str) -> SkuResolution:
        hold = self.unmapped is UnmappedSku.HOLD or (
            self.unmapped is UnmappedSku.AUTO and bool(self.entries)
        )
        if not hold:
            return SkuResolution(sku=sku)
        return SkuResolution(
            sku=sku,
            violations=(
                Violation(
                    path, f"{direction} SKU {sku!r} has no SKU mapping", "error", "sku.unmapped"
                ),
            ),
        )

    def to_channel(self, host_sku: str, path: str = "sku") -> SkuResolution:
        """Host SKU (or alias) -> channel SKU and pack factor."""
        entry = self._outbound.get(_key(host_sku))
        if entry is None:
            return self._unmapped(host_sku, path, "host")
        return SkuResolution(sku=entry.channel_sku, pack_factor=entry.pack_factor, entry=entry)

    def to_host(self, channel_sku: str, path: str = "sku") -> SkuResolution:
        """Channel SKU (or alias) -> host SKU and pack factor."""
        entry = self._inbound.get(_key(channel_sku))
        if entry is None:
            return self._unmapped(channel_sku, path, "channel")
        return SkuResolution(sku=entry.host_sku, pack_factor=entry.pack_factor, entry=entry)

    # -- CSV ------------------------------------------------------------------------------

    def export_csv(self) -> str:
        """The entries as CSV text (header row first)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for entry in self.entries:
            writer.writerow(
                [entry.host_sku, entry.channel_sku, "|".join(entry.aliases), str(entry.pack_factor)]
            )
        return out.getvalue()

    def import_csv(self, text: str, *, dry_run: bool = False) -> SkuImportResult:
        """Add or update entries from CSV text, keyed by host SKU (an optional column the CSV
        lacks, ``aliases`` or ``pack_factor``, keeps the current value of updated entries).

        With ``dry_run`` nothing changes and the result reports what would. Rows with errors
        are reported as violations (``row N.column``); without ``dry_run`` any error raises
        :class:`ValidationError` listing them all and nothing is applied.
        """
        rows, violations, columns = _parse_rows(text)
        merged = list(self.entries)
        by_key = {_key(e.host_sku): i for i, e in enumerate(merged)}
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        for entry in rows:
            key = _key(entry.host_sku)
            if key in by_key:
                # A column the CSV does not have keeps the current value.
                old = merged[by_key[key]]
                entry = attrs.evolve(
                    entry,
                    aliases=entry.aliases if "aliases" in columns else old.aliases,
                    pack_factor=entry.pack_factor if "pack_factor" in columns else old.pack_factor,
                )
            if key not in by_key:
                by_key[key] = len(merged)
                merged.append(entry)
                added.append(entry.host_sku)
            elif merged[by_key[key]] == entry:
                unchanged.append(entry.host_sku)
            else:
                merged[by_key[key]] = entry
                updated.append(entry.host_sku)
        if violations and not dry_run:
            raise ValidationError(violations, "SKU mapping CSV")
        mapping = self if dry_run else attrs.evolve(self, entries=tuple(merged))
        return SkuImportResult(
            mapping=mapping,
            added=tuple(added),
            updated=tuple(updated),
            unchanged=tuple(unchanged),
            violations=tuple(violations),
            dry_run=dry_run,
        )

    def with_aliases(
        self, aliases: Iterable[tuple[str, str, Decimal]], *, dry_run: bool = False
    ) -> SkuImportResult:
        """Seed the mapping from warehouse item aliases ``(alias, channel_sku, qty)``.

        The alias is the host's name for the item: it becomes the entry ``alias → channel_sku``
        (with pack factor ``qty``, e.g. a case of 12), or, when a one-unit entry for
        ``channel_sku`` already exists, one more alias of that entry. An alias already used by
        another entry is skipped with a warning. Under ``unmapped = "auto"`` a mapping with
        entries holds SKUs it does not list: the result warns when seeding creates the first.
        """
        merged = list(self.entries)
        taken = {_key(e.host_sku) for e in merged} | {_key(a) for e in merged for a in e.aliases}
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        violations: list[Violation] = []
        for index, (alias, channel_sku, qty) in enumerate(aliases):
            path = f"aliases[{index}]"
            if not alias.strip() or not channel_sku.strip() or not qty.is_finite() or qty <= 0:
                violations.append(Violation(path, "alias, SKU and a positive qty are required"))
                continue
            matches = [i for i, e in enumerate(merged) if _key(e.channel_sku) == _key(channel_sku)]
            target: int | None = None
            if qty == 1:
                target = next((i for i in matches if merged[i].pack_factor == 1), None)
                if target is not None and _key(alias) in {
                    _key(a) for a in (merged[target].host_sku, *merged[target].aliases)
                }:
                    unchanged.append(alias)
                    continue
            if _key(alias) in taken:
                violations.append(
                    Violation(path, f"alias {alias!r} is already mapped", "warning", "sku.alias")
                )
                continue
            taken.add(_key(alias))
            if qty != 1:
                merged.append(
                    SkuMappingEntry(host_sku=alias, channel_sku=channel_sku, pack_factor=qty)
                )
                added.append(alias)
            elif target is None:
                merged.append(SkuMappingEntry(host_sku=alias, channel_sku=channel_sku))
                added.append(alias)
            else:
                entry = merged[target]
                merged[target] = attrs.evolve(entry, aliases=(*entry.aliases, alias))
                updated.append(entry.host_sku)
        if not self.entries and merged and self.unmapped is UnmappedSku.AUTO:
            violations.append(
                Violation(
                    "sku_mappings.unmapped",
                    "the mapping now has entries: SKUs it does not list will be held "
                    "(set unmapped = 'pass_through' to keep identity for them)",
                    "warning",
                    "sku.auto",
                )
            )
        mapping = self if dry_run else attrs.evolve(self, entries=tuple(merged))
        return SkuImportResult(
            mapping=mapping,
            added=tuple(added),
            updated=tuple(dict.fromkeys(updated)),
            unchanged=tuple(unchanged),
            violations=tuple(violations),
            dry_run=dry_run,
        )

    @classmethod
    def from_csv(cls, text: str, *, unmapped: UnmappedSku = UnmappedSku.AUTO) -> SkuMapping:
        return cls(unmapped=unmapped).import_csv(text).mapping


def _parse_rows(text: str) -> tuple[list[SkuMappingEntry], list[Violation], frozenset[str]]:
    reader = csv.DictReader(io.StringIO(text))
    violations: list[Violation] = []
    columns = frozenset(c.strip() for c in reader.fieldnames or ())
    missing = [c for c in ("host_sku", "channel_sku") if c not in columns]
    if missing:
        return (
            [],
            [Violation("header", f"missing column(s): {', '.join(missing)}", rule="csv.header")],
            columns,
        )
    rows: list[SkuMappingEntry] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        where = f"row {number}"
        host = (row.get("host_sku") or "").strip()
        channel = (row.get("channel_sku") or "").strip()
        problems = []
        if not host:
            problems.append(Violation(f"{where}.host_sku", "is empty", rule="csv.required"))
        if not channel:
            problems.append(Violation(f"{where}.channel_sku", "is empty", rule="csv.required"))
        factor_text = (row.get("pack_factor") or "").strip() or "1"
        try:
            factor = Decimal(factor_text)
            if not factor.is_finite() or factor <= 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(
                Violation(
                    f"{where}.pack_factor",
                    f"not a positive number: {factor_text[:20]!r}",
                    rule="csv.number",
                )
            )
            factor = Decimal(1)
        if host and _key(host) in seen:
            problems.append(
                Violation(
                    f"{where}.host_sku", f"{host!r} repeats an earlier row", rule="csv.duplicate"
                )
            )
        if problems:
            violations.extend(problems)
            continue
        seen.add(_key(host))
        rows.append(
            SkuMappingEntry(
                host_sku=host,
                channel_sku=channel,
                aliases=_aliases((row.get("aliases") or "").split("|")),
                pack_factor=factor,
            )
        )
    return rows, violations, columns


def _aliases(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v.strip())
