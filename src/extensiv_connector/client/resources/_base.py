"""What every resource shares: the transport, the converter, defaults and paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import attrs
import cattrs

from ... import wire
from ..._page_records import FailedPage, read_records
from ...errors import ConfigError, WireFormatError
from .._concurrency import Versioned
from .._errors import in_request
from .._pagination import FetchedPage, iterate_records, page_size_for
from .._transport import ApiResponse, Transport
from ..rql import Expr, field, to_rql

__all__ = [
    "Detail",
    "ResourceContext",
    "Rql",
    "clean_params",
    "find_by_reference",
    "get_key",
    "join_detail",
    "read_all",
    "rql_param",
]

T = TypeVar("T")


class _Referenced(Protocol):
    @property
    def reference_num(self) -> str | None: ...


R = TypeVar("R", bound=_Referenced)

Detail = str | Sequence[str] | None
Rql = str | Expr | None


def join_detail(detail: Detail) -> str | None:
    """``detail``/``itemdetail`` as the API wants it: a comma list."""
    if detail is None or isinstance(detail, str):
        return detail
    return ",".join(detail)


def clean_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def get_key(doc: Mapping[str, Any], name: str) -> Any:
    """``doc[name]`` matching the key case-insensitively (HAL camelCase or plain PascalCase)."""
    wanted = name.lower()
    for key, value in doc.items():
        if key.lower() == wanted:
            return value
    return None


@attrs.frozen(kw_only=True)
class ResourceContext:
    transport: Transport
    converter: cattrs.Converter
    customer_id: int | None = None
    facility_id: int | None = None
    page_sizes: Mapping[str, int] = attrs.field(factory=dict)
    page_concurrency: int = 1
    page_window: int | None = None

    def require_customer(self, customer_id: int | None) -> int:
        value = customer_id if customer_id is not None else self.customer_id
        if value is None:
            raise ConfigError("credentials.customer_id", "a customer id is needed for this call")
        return value

    def require_facility(self, facility_id: int | None) -> int:
        value = facility_id if facility_id is not None else self.facility_id
        if value is None:
            raise ConfigError("credentials.facility_id", "a facility id is needed for this call")
        return value

    def structure(self, doc: Any, cls: type[T]) -> T:
        return self.converter.structure(doc, cls)

    def reader(self, cls: type[T]) -> Callable[[Any], T]:
        """``structure`` for many records of one class: the converter's hook looked up once
        (for ``wire.make_converter()`` that is the class's generated reader)."""
        hook = self.converter.get_structure_hook(cls)

        def read(doc: Any) -> T:
            return hook(doc, cls)  # type: ignore[no-any-return]

        return read

    def unstructure(self, model: Any) -> Any:
        if isinstance(model, Mapping):
            return dict(model)
        return self.converter.unstructure(model)

    def get_one(
        self, path: str, cls: type[T], params: Mapping[str, Any] | None = None
    ) -> Versioned[T]:
        response = self.transport.request("GET", path, params=clean_params(params or {}))
        return Versioned(self.structure(response.json(), cls), response.etag)

    def versioned(self, response: ApiResponse, cls: type[T]) -> Versioned[T]:
        return Versioned(self.structure(response.json(), cls), response.etag)

    def get_collection(
        self, path: str, rel: str, cls: type[T], params: Mapping[str, Any] | None = None
    ) -> tuple[T, ...]:
        """A small collection fetched in one request (order items, packages, carriers)."""
        response = self.transport.request("GET", path, params=clean_params(params or {}))
        return read_all(
            response, wire.parse_collection(response.json() or {}, rel), self.reader(cls)
        )

    def paged(
        self,
        resource: str,
        path: str,
        rel: str | None,
        cls: type[T],
        params: Mapping[str, Any],
        *,
        page_size: int | None,
        concurrency: int | None,
        convert: Callable[[Any], T] | None = None,
    ) -> Iterator[T]:
        """Every record of a paged collection, as an iterator (pages fetched lazily)."""
        size = page_size_for(resource, page_size, dict(self.page_sizes))
        base = clean_params(params)
        to_model = convert or self.reader(cls)

        def fetch(pgnum: int, pgsiz: int) -> FetchedPage[T]:
            query = {**base, "pgsiz": pgsiz, "pgnum": pgnum}
            response = self.transport.request("GET", path, params=query)

            def reword(exc: WireFormatError) -> WireFormatError:  # worded only on an error
                return in_request(exc, response.method, response.path, (pgnum, pgsiz))

            # A record the reader refuses: the records before it are yielded, then its error
            # (named by its place in the page and by this request) is raised.
            if convert is None:  # the whole page at once (msgspec's typed path), each model
                # built as the iteration reaches it: a caller that drops them keeps them young
                page = wire._read_collection(
                    response.text, cls, rel, _document, to_model, defer=True, reword=reword
                )
                records: Sequence[T] = page.records
            else:
                try:
                    page = wire.parse_collection(_document(response.text), rel)
                except WireFormatError as exc:
                    raise reword(exc) from None
                records = read_records(page.records, to_model, page.record_key, reword)
            return FetchedPage(
                records=records,
                total_results=page.total_results,
                has_links=page.has_links,
                next_href=page.next_href,
            )

        workers = self.page_concurrency if concurrency is None else concurrency
        return iterate_records(fetch, size, concurrency=workers, window=self.page_window)


def _document(text: str | bytes) -> Any:
    """A page's body parsed, an empty one as an empty page (``ApiResponse.json() or {}``
    without naming the request: the page's ``reword`` does, with the page)."""
    return wire.loads(text) if text.strip() else {}


def read_all(response: ApiResponse, page: wire.Page, read: Callable[[Any], T]) -> tuple[T, ...]:
    """Every record of a collection answered at once; a record the reader refuses raises its
    error named by its place in the page and by the request."""
    records = read_records(page.records, read, page.record_key, keep=False)
    if isinstance(records, FailedPage):
        raise in_request(records.error, response.method, response.path) from None
    return tuple(records)


def rql_param(rql: Rql) -> str | None:
    return to_rql(rql)


def find_by_reference(
    ctx: ResourceContext,
    list_records: Callable[..., Iterator[R]],
    reference: str,
    *,
    customer_id: int | None,
    detail: Detail,
) -> R | None:
    """The record whose ``referenceNum`` is exactly ``reference`` (for the given or configured
    customer), or ``None``. The query may match case-insensitively; the check here does not."""
    query: Expr = field("referenceNum") == reference
    cid = customer_id if customer_id is not None else ctx.customer_id
    if cid is not None:
        query = query & (field("readOnly.customerIdentifier.id") == cid)
    for record in list_records(query, detail=detail, page_size=100, concurrency=1):
        if record.reference_num == reference:
            return record
    return None
