"""``/inventory/receivers``: create, get, list, find by reference."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...models import Receiver
from .._concurrency import Versioned
from ._base import Detail, ResourceContext, Rql, find_by_reference, get_key, join_detail, rql_param
from .orders import with_defaults

__all__ = ["Receivers"]

_REL = "inventory/receiver"


class Receivers:
    """Receivers (ASNs). ``detail="ReceiveItems"`` embeds the lines."""

    def __init__(self, ctx: ResourceContext) -> None:
        self._ctx = ctx

    def __repr__(self) -> str:
        return "Receivers()"

    def create(self, receiver: Receiver | Mapping[str, Any]) -> Versioned[Receiver]:
        """``POST /inventory/receivers``; never repeated blindly (``OutcomeUnknownError``)."""
        payload = with_defaults(self._ctx.unstructure(receiver), self._ctx)
        reference = str(get_key(payload, "referenceNum") or "")
        response = self._ctx.transport.request(
            "POST", "/inventory/receivers", body=payload, create_reference=reference
        )
        return self._ctx.versioned(response, Receiver)

    def get(self, receiver_id: int, *, detail: Detail = None) -> Versioned[Receiver]:
        return self._ctx.get_one(
            f"/inventory/receivers/{int(receiver_id)}",
            Receiver,
            {"detail": join_detail(detail)},
        )

    def list(
        self,
        rql: Rql = None,
        *,
        sort: str | None = None,
        detail: Detail = None,
        itemdetail: Detail = None,
        page_size: int | None = None,
        concurrency: int | None = None,
    ) -> Iterator[Receiver]:
        params = {
            "rql": rql_param(rql),
            "sort": sort,
            "detail": join_detail(detail),
            "itemdetail": join_detail(itemdetail),
        }
        return self._ctx.paged(
            "receivers",
            "/inventory/receivers",
            _REL,
            Receiver,
            params,
            page_size=page_size,
            concurrency=concurrency,
        )

    def find_by_reference(
        self, reference: str, *, customer_id: int | None = None, detail: Detail = None
    ) -> Receiver | None:
        return find_by_reference(
            self._ctx, self.list, reference, customer_id=customer_id, detail=detail
        )
