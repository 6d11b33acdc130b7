"""PII policy: how much personal data goes to the warehouse, what logs may show, and when stored
records are due for redaction.

Modes (``[pii] mode``):

- ``send_all``: the address goes as the host gave it;
- ``minimise``: only what shipping needs: name, company, street, city, state, postal code and
  country; phone and e-mail are dropped (``minimise_keeps_phone = true`` keeps the phone,
  which some carriers need for international or freight deliveries);
- ``mask``: every personal field (all but the country) is replaced by ``mask_text``; for
  channels where labels are produced elsewhere, and for tests and demos.

Pure except :class:`PiiRedactingFilter`, a ``logging.Filter`` (it rewrites log records).
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from .errors import ConfigError
from .models import Address, ContactInfo, SalesOrder

__all__ = [
    "PERSONAL_ADDRESS_FIELDS",
    "PERSONAL_CONTACT_FIELDS",
    "PiiMode",
    "PiiPolicy",
    "PiiRedactingFilter",
    "records_due_for_redaction",
    "redact_text",
]

T = TypeVar("T")

#: Personal fields of :class:`~extensiv_connector.models.Address` (``country`` is not).
PERSONAL_ADDRESS_FIELDS = (
    "name", "company", "address1", "address2", "city", "state", "postal_code", "phone", "email",
)  # fmt: skip
#: Personal fields of :class:`~extensiv_connector.models.ContactInfo`.
PERSONAL_CONTACT_FIELDS = (
    "company_name", "name", "title", "address1", "address2", "city", "state", "zip",
    "phone_number", "fax", "email_address", "dept",
)  # fmt: skip
_MINIMISE_DROPS = frozenset(
    {"phone", "email", "phone_number", "fax", "email_address", "title", "dept"}
)
_PHONES = frozenset({"phone", "phone_number", "fax"})


class PiiMode(enum.Enum):
    """How much of the ship-to/sold-to leaves the host: everything, the minimum needed to ship, or
    masked."""

    SEND_ALL = "send_all"
    MINIMISE = "minimise"
    MASK = "mask"


_MAX_RETENTION_DAYS = 36_600  # a century


@attrs.frozen(kw_only=True)
class PiiPolicy:
    """Config section ``[pii]``. ``retention_days = 0`` keeps records (no redaction due)."""

    mode: PiiMode = PiiMode.SEND_ALL
    retention_days: int = 0
    mask_text: str = "***"
    minimise_keeps_phone: bool = False

    def __attrs_post_init__(self) -> None:
        if self.retention_days < 0:
            raise ConfigError("pii.retention_days", "must not be negative")
        if self.retention_days > _MAX_RETENTION_DAYS:  # timedelta(days=) overflows past ~2.7M
            raise ConfigError("pii.retention_days", f"must be at most {_MAX_RETENTION_DAYS}")
        if not self.mask_text:
            raise ConfigError("pii.mask_text", "must not be empty")

    def _dropped(self, field: str) -> bool:
        if self.mode is not PiiMode.MINIMISE or field not in _MINIMISE_DROPS:
            return False
        return not (self.minimise_keeps_phone and field in _PHONES)

    def apply(self, address: Address) -> Address:
        """The address as this policy lets it leave the host."""
        return self._apply(address, PERSONAL_ADDRESS_FIELDS)

    def apply_contact(self, contact: ContactInfo) -> ContactInfo:
        """The same for an Extensiv contact (``shipTo``/``soldTo``); ``None`` fields stay."""
        return self._apply(contact, PERSONAL_CONTACT_FIELDS)

    def _apply(self, record: T, fields: tuple[str, ...]) -> T:
        if self.mode is PiiMode.SEND_ALL:
            return record
        changes: dict[str, Any] = {}
        for name in fields:
            value = getattr(record, name)
            if not value:
                continue
            if self.mode is PiiMode.MASK:
                changes[name] = self.mask_text
            elif self._dropped(name):
                changes[name] = "" if isinstance(record, Address) else None
        return attrs.evolve(record, **changes)  # type: ignore[misc]

    def redact(self, address: Address) -> Address:
        """Every personal field masked, whatever the mode (for retention redaction)."""
        return attrs.evolve(self, mode=PiiMode.MASK).apply(address)

    def redact_order(self, order: SalesOrder) -> SalesOrder:
        """A stored order with its ship-to and sold-to addresses redacted."""
        sold_to = None if order.sold_to is None else self.redact(order.sold_to)
        return attrs.evolve(order, ship_to=self.redact(order.ship_to), sold_to=sold_to)

    def due_for_redaction(
        self,
        records: Iterable[T],
        now: datetime,
        *,
        timestamp: Callable[[T], datetime | None] | None = None,
    ) -> tuple[T, ...]:
        """Records older than ``retention_days`` (none when retention is 0 = keep)."""
        if self.retention_days == 0:
            return ()
        return records_due_for_redaction(records, now, self.retention_days, timestamp=timestamp)


_TIMESTAMP_NAMES = (
    "completed_at",
    "shipped_at",
    "closed_at",
    "last_modified",
    "created_at",
    "timestamp",
)


def _default_timestamp(record: Any) -> datetime | None:
    for name in _TIMESTAMP_NAMES:
        value = record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)
        if isinstance(value, datetime):
            return value
    return None


def records_due_for_redaction(
    records: Iterable[T],
    now: datetime,
    days: int,
    *,
    timestamp: Callable[[T], datetime | None] | None = None,
) -> tuple[T, ...]:
    """The records whose timestamp is at least ``days`` days before ``now``, in input order.

    ``timestamp`` reads a record's time; by default the first datetime among the attributes
    (or mapping keys) ``completed_at``, ``shipped_at``, ``closed_at``, ``last_modified``,
    ``created_at``, ``timestamp``. Records without one are never due. ``now`` and the
    timestamps must be alike (both naive or both aware).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    read = timestamp or _default_timestamp
    cutoff = now - timedelta(days=days)
    due: list[T] = []
    for record in records:
        stamp = read(record)
        if stamp is not None and stamp <= cutoff:
            due.append(record)
    return tuple(due)


# -- logging ------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone: "+" and digits, or digit groups joined by separators; 7 to 15 digits in all.
# Bare digit runs (order ids), dates and parts of longer tokens (SO-100045-1) are left alone.
_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+\d[\d\s().-]{5,}\d|\(?\d{2,5}\)?[\s.-]\(?\d[\d\s().-]{3,}\d)(?![\w-])"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_STREET = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z][\w'.-]*\s+){0,4}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place"
    r"|Pkwy|Parkway|Hwy|Highway|Sq|Square|Ter|Terrace|Cir|Circle)\b\.?",
    re.IGNORECASE,
)
_PERSONAL_KEYS = frozenset(
    {
        "name", "company", "company_name", "companyname", "address", "address1", "address2",
        "street", "city", "state", "postal_code", "zip", "phone", "phone_number", "phonenumber",
        "fax", "email", "email_address", "emailaddress", "title", "dept", "ship_to", "shipto",
        "sold_to", "soldto", "bill_to", "billto",
    }
)  # fmt: skip
REDACTED = "[REDACTED]"


def redact_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with e-mail addresses, phone numbers, street addresses and ``known`` values
    (e.g. names the caller knows are in play) replaced by ``[REDACTED]``."""
    for value in sorted({k for k in known if k and len(k) >= 2}, key=len, reverse=True):
        text = re.sub(re.escape(value), REDACTED, text, flags=re.IGNORECASE)
    text = _EMAIL.sub(REDACTED, text)
    text = _STREET.sub(REDACTED, text)
    return _PHONE.sub(_phone_or_keep, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    found = match.group()
    digits = sum(c.isdigit() for c in found)
    if not 7 <= digits <= 15 or _DATE.fullmatch(found.strip()):
        return found
    return REDACTED


def _personal_values(value: Any, depth: int = 0) -> list[str]:
    """Personal strings inside models and mappings an argument carries."""
    if depth > 4:
        return []
    if isinstance(value, Address):
        return [getattr(value, f) for f in PERSONAL_ADDRESS_FIELDS if getattr(value, f)]
    if isinstance(value, ContactInfo):
        return [getattr(value, f) for f in PERSONAL_CONTACT_FIELDS if getattr(value, f)]
    if attrs.has(type(value)):
        found: list[str] = []
        for field in attrs.fields(type(value)):
            found.extend(_personal_values(getattr(value, field.name), depth + 1))
        return found
    if isinstance(value, Mapping):
        found = []
        for key, item in value.items():
            personal = isinstance(key, str) and key.casefold().replace("-", "_") in _PERSONAL_KEYS
            if personal and isinstance(item, str) and item:
                found.append(item)
                continue
            found.extend(_personal_values(item, depth + 1))
        return found
    if isinstance(value, list | tuple):
        found = []
        for item in value:
            found.extend(_personal_values(item, depth + 1))
        return found
    return []


class PiiRedactingFilter(logging.Filter):
    """A logging filter that redacts names, addresses, phones and e-mails from records.

    The message is formatted with its arguments first; every personal value found in an
    argument that is an address, a contact, a model holding one, or a mapping with a personal
    key (``name``, ``address1``, ``phone``, ``email``, ``shipTo``...) is redacted, and so is
    anything that looks like an e-mail, a phone number or a street address, plus any
    ``known_values`` given. The record keeps the redacted text and no arguments. Attach it
    to handlers (``handler.addFilter(PiiRedactingFilter())``) so every record passes it.
    """

    def __init__(self, name: str = "", known_values: Iterable[str] = ()) -> None:
        super().__init__(name)
        self._known = tuple(known_values)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        found: list[str] = list(self._known)
        if isinstance(args, Mapping):
            found.extend(_personal_values(args))
        elif args:
            for arg in args:
                found.extend(_personal_values(arg))
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact_text(message, found)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact_text(
                logging.Formatter().formatException(record.exc_info), found
            )
        return True
