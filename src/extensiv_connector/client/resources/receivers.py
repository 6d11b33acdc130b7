"""``/inventory/receivers``: create, get, list, find by reference, update (PUT), cancel,
digests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...errors import PreconditionFailedError, ValidationError, Violation
from ...models import Receiver, ReceiverDigest
from .._concurrency import Versioned, update_with_retry
from .._links import expand_link
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

    def create(
        self,
        receiver: Receiver | Mapping[str, Any],
        *,
        resolve: Callable[[str], None] | None = None,
        before_attempt: Callable[[], None] | None = None,
    ) -> Versioned[Receiver]:
        """``POST /inventory/receivers``; never repeated blindly (``OutcomeUnknownError``).

        ``resolve`` and ``before_attempt`` go to this request's retry loop only:
        ``resolve(reference)`` looks the reference up when the outcome is unknown (raise to
        stop: found, or the lookup failed; return when not found), ``before_attempt()`` runs
        before every send of this request, its 401 replay included. Not
        finding it lets the loop send again only where the server answered (500, 503, 408);
        after a read timeout, a reset or a 502/504 the create may still be in flight, so
        ``OutcomeUnknownError`` is raised instead.
        """
        payload = with_defaults(self._ctx.unstructure(receiver), self._ctx)
        reference = str(get_key(payload, "referenceNum") or "")
        response = self._ctx.transport.request(
            "POST",
            "/inventory/receivers",
            body=payload,
            create_reference=reference,
            resolve=resolve,
            before_attempt=before_attempt,
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

    def update(
        self, receiver: Receiver | Versioned[Receiver] | Mapping[str, Any], etag: str | None
    ) -> Versioned[Receiver]:
        """``PUT /inventory/receivers/{id}`` with ``If-Match`` (unconfirmed receivers only):
        the receiver as read with ``detail="ReceiveItems"`` and your edits; lines keep their
        ``readOnly.receiveItemId`` (none or zero adds a line, an omitted line is removed)."""
        if isinstance(receiver, Versioned):  # as returned by get(): its model
            receiver = receiver.value
        model = (
            receiver if isinstance(receiver, Receiver) else self._ctx.structure(receiver, Receiver)
        )
        receiver_id = model.receiver_id
        if receiver_id is None:
            raise ValidationError(
                [Violation("readOnly.receiverId", "missing: update a receiver read by get()")],
                "receivers.update",
            )
        if not model.receive_items:  # omitted lines are removed: never PUT a receiver without
            raise ValidationError(
                [
                    Violation(
                        "receiveItems",
                        "missing: read the receiver with get(id, detail='ReceiveItems')",
                    )
                ],
                "receivers.update",
            )
        template = model.link("edit") or f"/inventory/receivers/{int(receiver_id)}{{?detail}}"
        path = expand_link(template, {"detail": "ReceiveItems"})
        response = self._ctx.transport.request(
            "PUT", path, body=self._ctx.unstructure(model), if_match=etag
        )
        if not response.text.strip():
            return self.get(receiver_id, detail="ReceiveItems")
        return self._ctx.versioned(response, Receiver)

    def cancel(
        self, receiver_id: int, reason: str, *, etag: str | None = None, attempts: int = 3
    ) -> None:
        """``POST /inventory/receivers/{id}/canceler`` with ``If-Match`` (read first unless
        ``etag`` is given; a 412 re-reads and retries)."""

        def write(_receiver: Receiver, tag: str | None) -> None:
            self._ctx.transport.request(
                "POST",
                f"/inventory/receivers/{int(receiver_id)}/canceler",
                body={"reason": reason},
                if_match=tag,
            )

        if etag is not None:
            try:
                write(Receiver(), etag)
                return
            except PreconditionFailedError:
                if attempts <= 1:
                    raise
                attempts -= 1
        update_with_retry(lambda: self.get(receiver_id), write, lambda r: r, attempts=attempts)

    def digests(
        self,
        rql: Rql = None,
        *,
        skulist: str | None = None,
        skucontains: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ReceiverDigest]:
        """``GET /inventory/receiverdigests`` (pages ≤ 1000): per receiver, its items' original
        and available quantities and whether it can still be confirmed or canceled."""
        return self._ctx.paged(
            "receiverdigests",
            "/inventory/receiverdigests",
            "inventory/receiverdigest",
            ReceiverDigest,
            {"rql": rql_param(rql), "skulist": skulist, "skucontains": skucontains},
            page_size=page_size,
            concurrency=1,
        )
