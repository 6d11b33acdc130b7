"""Carrier and service mapping: host code -> canonical carrier/service -> Extensiv routing.

Three tiers (techOMS "Carrier Master Table" model):

1. ``host_codes``: the host's (or its sales channels') carrier/service codes, matched with an
   optional trailing ``*`` wildcard, funnelled into one canonical carrier and service;
2. the canonical pair (a host code without a tier-1 match is its own canonical pair);
3. ``entries``: canonical pair -> Extensiv carrier name, service code (``routingInfo.mode``),
   SCAC and billing code.

The most specific match wins: an exact pattern beats a wildcard, a longer wildcard prefix beats a
shorter one, an empty pattern (or ``*``) matches anything; ties go to the entry listed first.
Matching ignores case and surrounding blanks. Shipments come back through :meth:`reverse`.
"""

from __future__ import annotations

import enum

import attrs

from ..errors import ConfigError, Violation

__all__ = [
    "CarrierMapping",
    "CarrierMappingEntry",
    "CarrierResolution",
    "HostCarrierCode",
    "ReverseCarrier",
    "UnmappedCarrier",
    "match_score",
]


class UnmappedCarrier(enum.Enum):
    """What to do with a carrier/service code no mapping covers."""

    WARN = "warn"  # send the host's codes as they are, with a warning
    HOLD = "hold"  # hold the order with an error naming the code


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def match_score(pattern: str, value: str) -> tuple[int, int] | None:
    """How specifically ``pattern`` matches ``value``: ``None`` if not at all.

    ``(2, n)`` exact, ``(1, n)`` trailing-``*`` wildcard with an ``n``-character prefix,
    ``(0, 0)`` the empty pattern or a lone ``*`` (matches anything).
    """
    pat = _norm(pattern)
    val = _norm(value)
    if pat in ("", "*"):
        return (0, 0)
    if pat.endswith("*"):
        prefix = pat[:-1].rstrip()
        return (1, len(prefix)) if val.startswith(prefix) else None
    return (2, len(pat)) if pat == val else None


def _pair_score(
    carrier_pattern: str, service_pattern: str, carrier: str, service: str
) -> tuple[int, int] | None:
    first = match_score(carrier_pattern, carrier)
    second = match_score(service_pattern, service)
    if first is None or second is None:
        return None
    return (first[0] + second[0], first[1] + second[1])


def _is_concrete(pattern: str) -> bool:
    return bool(pattern.strip()) and "*" not in pattern


@attrs.frozen(kw_only=True)
class HostCarrierCode:
    """Tier 1: host carrier/service codes (``*`` wildcards allowed) -> canonical pair."""

    host_carrier: str = ""
    host_service: str = ""
    carrier: str = ""
    service: str = ""


@attrs.frozen(kw_only=True)
class CarrierMappingEntry:
    """Tier 3: canonical carrier/service (wildcards allowed) -> Extensiv routing values.

    ``inbound_services`` lists further Extensiv service codes (``*`` allowed) that map back to
    this entry on shipments, e.g. ``["2nd Day Air*"]`` for "2nd Day Air Saver".
    """

    carrier: str = ""
    service: str = ""
    extensiv_carrier: str = ""
    extensiv_service: str = ""
    scac: str = ""
    billing_code: str = ""
    inbound_services: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class CarrierResolution:
    """The outcome of mapping one host carrier/service pair for an order."""

    host_carrier: str
    host_service: str
    carrier: str  # canonical
    service: str  # canonical
    extensiv_carrier: str
    extensiv_service: str  # routingInfo.mode
    scac: str = ""
    billing_code: str = ""
    mapped: bool = True
    violations: tuple[Violation, ...] = ()

    @property
    def held(self) -> bool:
        return any(v.severity == "error" for v in self.violations)


@attrs.frozen(kw_only=True)
class ReverseCarrier:
    """Extensiv routing values mapped back to canonical and host codes."""

    carrier: str  # canonical
    service: str  # canonical
    host_carrier: str
    host_service: str
    mapped: bool = True
    violations: tuple[Violation, ...] = ()


@attrs.frozen(kw_only=True)
class CarrierMapping:
    """Config section ``[carrier_mappings]``: tiers 1 and 3 plus the unmapped-code policy."""

    entries: tuple[CarrierMappingEntry, ...] = ()
    host_codes: tuple[HostCarrierCode, ...] = ()
    unmapped: UnmappedCarrier = UnmappedCarrier.WARN

    def __attrs_post_init__(self) -> None:
        for i, entry in enumerate(self.entries):
            if not (entry.extensiv_carrier or entry.scac):
                raise ConfigError(
                    f"carrier_mappings.entries[{i}]",
                    "needs extensiv_carrier or scac (what to send to Extensiv)",
                )
            for name in ("extensiv_carrier", "extensiv_service", "scac", "billing_code"):
                if "*" in getattr(entry, name):
                    raise ConfigError(
                        f"carrier_mappings.entries[{i}].{name}",
                        "a value sent to Extensiv cannot hold a '*' wildcard",
                    )
        for i, code in enumerate(self.host_codes):
            if not (code.carrier or code.service):
                raise ConfigError(
                    f"carrier_mappings.host_codes[{i}]", "needs a canonical carrier or service"
                )

    # -- outbound -------------------------------------------------------------------------

    def canonical(self, host_carrier: str, host_service: str) -> tuple[str, str]:
        """Tier 1: the canonical pair for host codes (the codes themselves if unmatched)."""
        best: tuple[tuple[int, int], int] | None = None
        for index, code in enumerate(self.host_codes):
            score = _pair_score(code.host_carrier, code.host_service, host_carrier, host_service)
            if score is not None and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            return host_carrier.strip(), host_service.strip()
        code = self.host_codes[best[1]]
        return code.carrier or host_carrier.strip(), code.service or host_service.strip()

    def find_entry(self, carrier: str, service: str) -> CarrierMappingEntry | None:
        """Tier 3: the most specific entry for a canonical pair."""
        best: tuple[tuple[int, int], int] | None = None
        for index, entry in enumerate(self.entries):
            score = _pair_score(entry.carrier, entry.service, carrier, service)
            if score is not None and (best is None or score > best[0]):
                best = (score, index)
        return None if best is None else self.entries[best[1]]

    def resolve(self, host_carrier: str, host_service: str) -> CarrierResolution:
        """Map host codes to what goes into ``routingInfo`` and ``billingCode``.

        An empty pair (the order names no carrier) resolves to empty values without a
        violation. An unmapped pair is sent as is with a warning (``unmapped = "warn"``) or
        carries an error (``"hold"``); either violation names the code.
        """
        carrier, service = self.canonical(host_carrier, host_service)
        if not (carrier or service):
            return CarrierResolution(
                host_carrier=host_carrier,
                host_service=host_service,
                carrier="",
                service="",
                extensiv_carrier="",
                extensiv_service="",
                mapped=False,
            )
        entry = self.find_entry(carrier, service)
        if entry is None:
            hold = self.unmapped is UnmappedCarrier.HOLD
            verb = "order held" if hold else "sent as is"
            violation = Violation(
                "routingInfo",
                f"no carrier mapping for carrier {carrier!r} service {service!r} ({verb})",
                "error" if hold else "warning",
                "carrier.unmapped",
            )
            return CarrierResolution(
                host_carrier=host_carrier,
                host_service=host_service,
                carrier=carrier,
                service=service,
                extensiv_carrier=carrier,
                extensiv_service=service,
                mapped=False,
                violations=(violation,),
            )
        return CarrierResolution(
            host_carrier=host_carrier,
            host_service=host_service,
            carrier=carrier,
            service=service,
            extensiv_carrier=entry.extensiv_carrier,
            extensiv_service=entry.extensiv_service,
            scac=entry.scac,
            billing_code=entry.billing_code,
        )

    # -- inbound --------------------------------------------------------------------------

    def reverse(
        self, carrier: str | None, mode: str | None, scac: str | None = None
    ) -> ReverseCarrier:
        """Extensiv ``routingInfo`` (carrier, mode, scacCode) back to canonical and host codes.

        An entry matches when its Extensiv carrier name or its SCAC equals the one received
        and the mode matches its service code or one of its ``inbound_services`` patterns. A
        carrier-name match beats a SCAC-only match; then the most specific service pattern
        wins. Unmatched values come back as they are, with a warning.
        """
        carrier = carrier or ""
        mode = mode or ""
        scac = scac or ""
        best: tuple[tuple[int, int, int], int] | None = None
        for index, entry in enumerate(self.entries):
            by_name = bool(entry.extensiv_carrier) and _norm(entry.extensiv_carrier) == _norm(
                carrier
            )
            by_scac = bool(entry.scac and scac) and _norm(entry.scac) == _norm(scac)
            if not (by_name or by_scac):
                continue
            scores = [
                match_score(p, mode) for p in (entry.extensiv_service, *entry.inbound_services)
            ]
            found = [s for s in scores if s is not None]
            if not found:
                continue
            top = max(found)
            score = (1 if by_name else 0, top[0], top[1])
            if best is None or score > best[0]:
                best = (score, index)
        if best is None:
            if not (carrier or mode or scac):
                return ReverseCarrier(
                    carrier="", service="", host_carrier="", host_service="", mapped=False
                )
            violation = Violation(
                "routingInfo",
                f"no carrier mapping for Extensiv carrier {carrier or scac!r} mode {mode!r}"
                " (passed back as is)",
                "warning",
                "carrier.unmapped_inbound",
            )
            return ReverseCarrier(
                carrier=carrier or scac,
                service=mode,
                host_carrier=carrier or scac,
                host_service=mode,
                mapped=False,
                violations=(violation,),
            )
        entry = self.entries[best[1]]
        canonical_carrier = entry.carrier if _is_concrete(entry.carrier) else (carrier or scac)
        canonical_service = entry.service if _is_concrete(entry.service) else mode
        host_carrier, host_service = self.host_for(canonical_carrier, canonical_service)
        return ReverseCarrier(
            carrier=canonical_carrier,
            service=canonical_service,
            host_carrier=host_carrier,
            host_service=host_service,
        )

    def host_for(self, carrier: str, service: str) -> tuple[str, str]:
        """Tier 1 backwards: the first host code listed that maps forward to this canonical
        pair (wildcard host patterns cannot be reversed), else the canonical pair itself."""
        target = (_norm(carrier), _norm(service))
        for code in self.host_codes:
            host_carrier = _back(code.host_carrier, code.carrier, carrier)
            host_service = _back(code.host_service, code.service, service)
            if host_carrier is None or host_service is None:
                continue
            forward = self.canonical(host_carrier, host_service)
            if (_norm(forward[0]), _norm(forward[1])) == target:
                return host_carrier, host_service
        return carrier, service


def _back(host_pattern: str, canonical_part: str, value: str) -> str | None:
    """The host value a tier-1 code turns into ``value``, if it can be known."""
    if canonical_part:
        if _norm(canonical_part) != _norm(value) or not _is_concrete(host_pattern):
            return None
        return host_pattern
    return value if match_score(host_pattern, value) is not None else None
