"""API validation rules: declarative per-field checks run on a payload before it is sent.

A :class:`FieldRule` names a field by path in the camelCase payload (``shipTo.name``,
``orderItems[].itemIdentifier.sku``; ``[]`` means every element) of a resource (``order``,
``receiver``, ``item``) and says: required, maximum length (reject, or truncate with a
warning), regular-expression pattern, allowed values, and a normalisation (``country``: names
and alpha-3 codes to ISO 3166 alpha-2; ``phone``: digits and a leading ``+`` only; ``upper``;
``strip``). Each rule has a severity: ``error`` blocks the record, ``warning`` is reported.
Every violation is collected, with concrete paths (``orderItems[2].qty``), never only the
first.

Field limits are not published by Extensiv [U]; the defaults (:data:`DEFAULT_RULES`) are
conservative values, listed in docs/validation.md. Rules you configure replace the default
rule of the same resource and path and add to the others (``include_defaults = false`` drops
the defaults).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

import attrs

from ._json_copy import copy_json
from .errors import ConfigError, ValidationError, Violation

__all__ = [
    "COUNTRY_CODES",
    "DEFAULT_RULES",
    "FieldRule",
    "Normalise",
    "RuleResult",
    "Severity",
    "TooLong",
    "ValidationRules",
    "normalise_country",
    "normalise_phone",
]


class Severity(enum.Enum):
    """Whether a broken rule blocks the record (``error``) or is only reported (``warning``)."""

    ERROR = "error"
    WARNING = "warning"


class TooLong(enum.Enum):
    """What to do with a value longer than its limit: reject the record or truncate the value."""

    REJECT = "reject"
    TRUNCATE = "truncate"


class Normalise(enum.Enum):
    """How a field is normalised before it is checked (country code, phone, upper case, strip)."""

    NONE = "none"
    COUNTRY = "country"
    PHONE = "phone"
    UPPER = "upper"
    STRIP = "strip"


@attrs.frozen(kw_only=True)
class FieldRule:
    """One declarative rule on one field path of one resource."""

    path: str = ""
    resource: str = "order"
    required: bool = False
    max_length: int | None = None
    too_long: TooLong = TooLong.REJECT
    pattern: str = ""
    allowed: tuple[str, ...] = ()
    normalise: Normalise = Normalise.NONE
    severity: Severity = Severity.ERROR
    message: str = ""  # replaces the generic message of a pattern/allowed failure


def _r(path: str, resource: str = "order", **kwargs: Any) -> FieldRule:
    return FieldRule(path=path, resource=resource, **kwargs)


_TRUNC: dict[str, Any] = {"too_long": TooLong.TRUNCATE}
_CONTACT = (
    ("companyName", 100), ("name", 100), ("address1", 100), ("address2", 100), ("city", 50),
    ("state", 50), ("zip", 20), ("emailAddress", 100),
)  # fmt: skip

#: Conservative defaults for Extensiv's (unpublished [U]) field limits.
DEFAULT_RULES: tuple[FieldRule, ...] = (
    _r("referenceNum", required=True, max_length=50),
    _r("poNum", max_length=50),
    _r("externalId", max_length=50),
    _r("description", max_length=255, **_TRUNC),
    _r("notes", max_length=1000, **_TRUNC),
    _r("shippingNotes", max_length=1000, **_TRUNC),
    _r("billingCode", max_length=50),
    _r("routingInfo.carrier", max_length=50),
    _r("routingInfo.mode", max_length=50),
    _r("routingInfo.scacCode", max_length=4, pattern=r"[A-Z0-9]{2,4}", severity=Severity.WARNING),
    _r("customerIdentifier", required=True),
    _r("facilityIdentifier", required=True),
    _r("shipTo", required=True),
    _r("shipTo.country", required=True, normalise=Normalise.COUNTRY, pattern="[A-Z]{2}",
       message="expected an ISO 3166 alpha-2 country code"),
    _r("shipTo.phoneNumber", max_length=30, normalise=Normalise.PHONE),
    *(_r(f"shipTo.{name}", max_length=limit) for name, limit in _CONTACT),
    _r("shipTo.address1", required=True),
    _r("shipTo.city", required=True),
    _r("soldTo.country", normalise=Normalise.COUNTRY, pattern="[A-Z]{2}",
       message="expected an ISO 3166 alpha-2 country code"),
    _r("soldTo.phoneNumber", max_length=30, normalise=Normalise.PHONE),
    *(_r(f"soldTo.{name}", max_length=limit) for name, limit in _CONTACT),
    _r("orderItems", required=True),
    _r("orderItems[].itemIdentifier.sku", required=True, max_length=100),
    _r("orderItems[].qty", required=True),
    _r("orderItems[].externalId", max_length=50),
    _r("orderItems[].notes", max_length=1000, **_TRUNC),
    _r("referenceNum", "receiver", required=True, max_length=50),
    _r("poNum", "receiver", max_length=50),
    _r("notes", "receiver", max_length=1000, **_TRUNC),
    _r("carrier", "receiver", max_length=50),
    _r("trackingNumber", "receiver", max_length=100),
    _r("receiveItems", "receiver", required=True),
    _r("receiveItems[].itemIdentifier.sku", "receiver", required=True, max_length=100),
    _r("receiveItems[].qty", "receiver", required=True),
    _r("sku", "item", required=True, max_length=100),
    _r("description", "item", max_length=255, **_TRUNC),
    _r("description2", "item", max_length=255, **_TRUNC),
    _r("upc", "item", max_length=50),
)  # fmt: skip


@attrs.frozen(kw_only=True)
class RuleResult:
    """The payload after normalisation/truncation, and every violation found."""

    payload: dict[str, Any]
    violations: tuple[Violation, ...] = ()

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity != "error")

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self, subject: str = "") -> None:
        """Raise :class:`ValidationError` with every violation when any is an error."""
        if self.errors:
            raise ValidationError(self.violations, subject)


@attrs.frozen(kw_only=True)
class ValidationRules:
    """Config section ``[validation]``."""

    rules: tuple[FieldRule, ...] = ()
    include_defaults: bool = True
    enabled: bool = True

    def __attrs_post_init__(self) -> None:
        for i, rule in enumerate(self.rules):
            path = f"validation.rules[{i}]"
            if not rule.path or not _PATH.match(rule.path):
                raise ConfigError(f"{path}.path", f"not a field path: {rule.path!r}")
            if rule.max_length is not None and rule.max_length < 1:
                raise ConfigError(f"{path}.max_length", "must be at least 1")
            if rule.pattern:
                try:
                    re.compile(rule.pattern)
                except re.error as exc:
                    raise ConfigError(
                        f"{path}.pattern", f"not a regular expression: {exc}"
                    ) from None

    def effective(self, resource: str) -> tuple[FieldRule, ...]:
        """The rules applied to ``resource``: configured ones replace defaults of the same path."""
        own = [r for r in self.rules if r.resource == resource]
        own_paths = {r.path for r in own}
        base = (
            [r for r in DEFAULT_RULES if r.resource == resource and r.path not in own_paths]
            if self.include_defaults
            else []
        )
        return (*base, *own)

    def apply(self, resource: str, payload: dict[str, Any]) -> RuleResult:
        """Check (and normalise/truncate a copy of) ``payload``; never raises for data."""
        if not self.enabled:
            return RuleResult(payload=payload)
        document = copy_json(payload)
        violations: list[Violation] = []
        self.apply_in_place(resource, document, violations)
        return RuleResult(payload=document, violations=tuple(violations))

    def apply_in_place(
        self, resource: str, document: dict[str, Any], violations: list[Violation]
    ) -> bool:
        """:meth:`apply` on ``document`` itself (a payload nobody else holds, such as one just
        unstructured), adding the violations to ``violations``; True if a value changed."""
        if not self.enabled:
            return False
        if not isinstance(cast(Any, document), dict):  # typed as a dict; hosts pass anything
            violations.append(Violation("$", "is not a JSON object", "error", "type"))
            return False
        changed = False
        for group in self._plan(resource):
            if group.parent is None:  # a path with ``[]``: every element's place
                step = group.steps[0]
                for place, key, path in _locate(document, step.parts, ""):
                    changed = _check(step, place, key, path, violations) or changed
                continue
            container: Any = document
            for name in group.parent:
                container = container.get(name)
                if not isinstance(container, dict):
                    break
            else:
                for step in group.steps:
                    changed = _check(step, container, step.key, step.path, violations) or changed
        return changed

    def _plan(self, resource: str) -> tuple[_Group, ...]:
        """:meth:`effective`, each rule compiled (path split, pattern compiled, normaliser
        chosen), worked out once per rule set and resource (the rules are frozen), not per
        payload: consecutive rules on fields of one object share one walk to it."""
        entry = _PLANS.get(id(self))
        if entry is None or entry[0] is not self:
            if len(_PLANS) >= _PLANS_KEPT:
                _PLANS.clear()
            entry = _PLANS[id(self)] = (self, {})
        plans = entry[1]
        plan = plans.get(resource)
        if plan is None:
            plan = plans[resource] = _groups(_Step.of(rule) for rule in self.effective(resource))
        return plan

    def check(self, resource: str, payload: dict[str, Any], subject: str = "") -> RuleResult:
        """:meth:`apply`, raising :class:`ValidationError` (all violations) on any error."""
        result = self.apply(resource, payload)
        result.raise_for_errors(subject)
        return result


@attrs.frozen
class _Step:
    """One rule of a plan, with what checking it needs worked out once."""

    path: str
    parts: list[str]
    simple: bool  # no part has ``[]``: the path addresses at most one place
    key: str  # the last part: the field's name in its object
    required: bool
    severity: str
    normalise: Callable[[str], str] | None
    max_length: int | None
    truncate: bool
    pattern: re.Pattern[str] | None
    pattern_text: str
    allowed: tuple[str, ...]
    message: str

    @classmethod
    def of(cls, rule: FieldRule) -> _Step:
        return cls(
            path=rule.path,
            parts=rule.path.split("."),
            simple="[]" not in rule.path,
            key=rule.path.split(".")[-1],
            required=rule.required,
            severity=rule.severity.value,
            normalise=_NORMALISERS[rule.normalise],
            max_length=rule.max_length,
            truncate=rule.too_long is TooLong.TRUNCATE,
            pattern=re.compile(rule.pattern) if rule.pattern else None,
            pattern_text=rule.pattern,
            allowed=rule.allowed,
            message=rule.message,
        )


_PATH = re.compile(r"^[A-Za-z_$][\w$]*(\[\])?(\.[A-Za-z_$][\w$]*(\[\])?)*$")
#: ``id(rules) -> (rules, {resource: plan})``: the rule sets seen (kept alive by the entry, so
#: an id is not reused while it is cached) and their per-resource plans; bounded.
_PLANS: dict[int, tuple[ValidationRules, dict[str, tuple[_Group, ...]]]] = {}
_PLANS_KEPT = 64


def _locate(document: Any, parts: list[str], prefix: str) -> Iterator[tuple[Any, str, str]]:
    """(container, key, concrete path) for every place ``parts`` addresses. A missing
    intermediate object stops the walk (its own ``required`` rule reports it)."""
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(document, dict):
        return
    here = f"{prefix}.{key}" if prefix else key
    if not rest and not many:
        yield document, key, here
        return
    value = document.get(key)
    if many:
        if not isinstance(value, list):
            return
        for index, element in enumerate(value):
            if rest:
                yield from _locate(element, rest, f"{here}[{index}]")
            else:
                yield value, str(index), f"{here}[{index}]"
        return
    if isinstance(value, dict):
        yield from _locate(value, rest, here)


@attrs.frozen
class _Group:
    """Consecutive steps on fields of one object (``parent``: the path to it, ``()`` for the
    document itself), found once for all of them; ``None`` for a single step whose path has
    ``[]`` (its places are found by :func:`_locate`). The order of the steps is kept, so the
    violations come in the rules' order."""

    parent: tuple[str, ...] | None
    steps: tuple[_Step, ...]


def _groups(steps: Iterable[_Step]) -> tuple[_Group, ...]:
    groups: list[_Group] = []
    for step in steps:
        parent = tuple(step.parts[:-1]) if step.simple else None
        if parent is not None and groups and groups[-1].parent == parent:
            groups[-1] = _Group(parent, (*groups[-1].steps, step))
        else:
            groups.append(_Group(parent, (step,)))
    return tuple(groups)


def _check(step: _Step, container: Any, key: str, path: str, out: list[Violation]) -> bool:
    """Add ``step``'s violations at ``container[key]`` (``path``) to ``out``; True if it
    changed the value."""
    value = container[int(key)] if isinstance(container, list) else container.get(key)
    if value is None or (not value and isinstance(value, str | list | dict)):
        if step.required:
            out.append(Violation(path, "is required", step.severity, "required"))
        return False
    if not isinstance(value, str):
        return False
    changed = False
    severity = step.severity
    if step.normalise is not None:
        fixed = step.normalise(value)
        if fixed != value:
            _set(container, key, fixed)
            value, changed = fixed, True
    limit = step.max_length
    if limit is not None and len(value) > limit:
        if step.truncate:
            value = value[:limit]
            _set(container, key, value)
            changed = True
            out.append(
                Violation(
                    path, f"truncated to {limit} characters", "warning", "max_length.truncated"
                )
            )
        else:
            out.append(
                Violation(
                    path, f"is {len(value)} characters, limit {limit}", severity, "max_length"
                )
            )
    if step.pattern is not None and step.pattern.fullmatch(value) is None:
        text = step.message or f"does not match {step.pattern_text!r}"
        out.append(Violation(path, text, severity, "pattern"))
    if step.allowed and value not in step.allowed:
        text = step.message or f"not one of: {', '.join(step.allowed)}"
        out.append(Violation(path, text, severity, "allowed"))
    return changed


def _set(container: Any, key: str, value: str) -> None:
    if isinstance(container, list):
        container[int(key)] = value
    else:
        container[key] = value


def normalise_phone(value: str) -> str:
    """Digits only, keeping one leading ``+``: ``"+1 (555) 010-9999"`` -> ``"+15550109999"``.
    An extension (``x123``/``ext. 123``) is dropped."""
    head = re.split(r"(?i)\s*(?:x|ext\.?|extension)\s*\d+\s*$", value.strip())[0]
    digits = "".join(c for c in head if c.isdigit())
    return f"+{digits}" if head.startswith("+") and digits else digits


_COUNTRIES: dict[str, tuple[str, ...]] = {
    "US": ("United States", "United States of America", "USA", "U.S.A.", "U.S.", "America"),
    "CA": ("Canada", "CAN"),
    "MX": ("Mexico", "México", "MEX"),
    "GB": ("United Kingdom", "UK", "U.K.", "Great Britain", "Britain", "England", "Scotland",
           "Wales", "Northern Ireland", "GBR"),
    "IE": ("Ireland", "IRL"), "FR": ("France", "FRA"), "DE": ("Germany", "Deutschland", "DEU"),
    "ES": ("Spain", "España", "ESP"), "PT": ("Portugal", "PRT"), "IT": ("Italy", "Italia", "ITA"),
    "NL": ("Netherlands", "The Netherlands", "Holland", "NLD"), "BE": ("Belgium", "BEL"),
    "LU": ("Luxembourg", "LUX"), "CH": ("Switzerland", "CHE"), "AT": ("Austria", "AUT"),
    "DK": ("Denmark", "DNK"), "SE": ("Sweden", "SWE"), "NO": ("Norway", "NOR"),
    "FI": ("Finland", "FIN"), "IS": ("Iceland", "ISL"), "PL": ("Poland", "POL"),
    "CZ": ("Czech Republic", "Czechia", "CZE"), "SK": ("Slovakia", "SVK"), "HU": ("Hungary", "HUN"),
    "RO": ("Romania", "ROU"), "BG": ("Bulgaria", "BGR"), "GR": ("Greece", "GRC"),
    "HR": ("Croatia", "HRV"), "SI": ("Slovenia", "SVN"), "EE": ("Estonia", "EST"),
    "LV": ("Latvia", "LVA"), "LT": ("Lithuania", "LTU"), "UA": ("Ukraine", "UKR"),
    "TR": ("Turkey", "Türkiye", "TUR"), "IL": ("Israel", "ISR"),
    "AE": ("United Arab Emirates", "UAE", "ARE"), "SA": ("Saudi Arabia", "SAU"),
    "IN": ("India", "IND"), "CN": ("China", "People's Republic of China", "CHN"),
    "HK": ("Hong Kong", "HKG"), "TW": ("Taiwan", "TWN"), "JP": ("Japan", "JPN"),
    "KR": ("South Korea", "Korea", "Republic of Korea", "KOR"), "SG": ("Singapore", "SGP"),
    "MY": ("Malaysia", "MYS"), "TH": ("Thailand", "THA"), "VN": ("Vietnam", "Viet Nam", "VNM"),
    "PH": ("Philippines", "PHL"), "ID": ("Indonesia", "IDN"), "AU": ("Australia", "AUS"),
    "NZ": ("New Zealand", "NZL"), "ZA": ("South Africa", "ZAF"), "EG": ("Egypt", "EGY"),
    "NG": ("Nigeria", "NGA"), "KE": ("Kenya", "KEN"), "MA": ("Morocco", "MAR"),
    "BR": ("Brazil", "Brasil", "BRA"), "AR": ("Argentina", "ARG"), "CL": ("Chile", "CHL"),
    "CO": ("Colombia", "COL"), "PE": ("Peru", "PER"), "PR": ("Puerto Rico", "PRI"),
    "CR": ("Costa Rica", "CRI"), "PA": ("Panama", "PAN"), "DO": ("Dominican Republic", "DOM"),
    "JM": ("Jamaica", "JAM"), "BS": ("Bahamas", "The Bahamas", "BHS"),
}  # fmt: skip


def _country_key(text: str) -> str:
    return re.sub(r"[\s.'-]+", " ", text.casefold()).strip()


#: Common country names, alpha-3 codes and aliases -> ISO 3166-1 alpha-2.
COUNTRY_CODES: dict[str, str] = {
    _country_key(name): code for code, names in _COUNTRIES.items() for name in names
}


def normalise_country(value: str) -> str:
    """``"United States"``/``"usa"``/``"us"`` -> ``"US"``; unknown names come back stripped."""
    text = value.strip()
    code = COUNTRY_CODES.get(_country_key(text))
    if code is not None:
        return code
    return text.upper() if len(text) == 2 and text.isalpha() else text


def _strip(value: str) -> str:
    return value.strip()


def _upper(value: str) -> str:
    return value.strip().upper()


_NORMALISERS: dict[Normalise, Callable[[str], str] | None] = {
    Normalise.NONE: None,
    Normalise.COUNTRY: normalise_country,
    Normalise.PHONE: normalise_phone,
    Normalise.UPPER: _upper,
    Normalise.STRIP: _strip,
}
