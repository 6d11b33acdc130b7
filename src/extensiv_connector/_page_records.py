"""A page's records read into models, a refused record named by its place in the page.

A record's reader names a wrong value by its path within the record (``$.available``); in a
page of 500 that does not say which record, nor (for a paged list) which page. Here the error
becomes ``$.summaries[37].available`` and the caller's ``reword`` adds the request; the
records before it are kept, so a paged list yields them before raising. Nothing here runs per
record on the success path: the index comes from the list iterator after a refusal.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from .errors import WireFormatError

__all__ = ["FailedPage", "Reword", "at_record", "read_records"]

#: How a caller names the document an error was found in (the client: its request).
Reword = Callable[[WireFormatError], WireFormatError]


def at_record(exc: WireFormatError, record_key: str, index: int) -> WireFormatError:
    """``exc``, raised by a record's reader, with its path from the page: the records' key
    (``$.summaries``, ``$._embedded['http://api.3plCentral.com/rels/orders/order']``, as
    ``parse_collection`` gives it), the index, then the path within the record."""
    within = exc.json_path[1:] if exc.json_path.startswith("$") else "." + exc.json_path
    return WireFormatError(f"{record_key or '$'}[{index}]{within}", exc.message)


class FailedPage(Sequence[Any]):
    """A page whose record ``len(models)`` the reader refused: iterating yields the models of
    the records before it, then raises ``error``. Its length is the page's (the paging stop
    rules count records, not models)."""

    __slots__ = ("error", "models", "size")

    def __init__(self, models: list[Any], error: WireFormatError, size: int) -> None:
        self.models = models
        self.error = error
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Any]:
        yield from self.models
        raise self.error

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return list(self)[index]  # raises the error: the page has no complete list

    def __repr__(self) -> str:
        return f"<FailedPage: {len(self.models)} of {self.size} records, then {self.error}>"


def read_records(
    records: list[Any],
    read: Callable[[Any], Any],
    record_key: str,
    reword: Reword | None = None,
    *,
    keep: bool = True,
) -> list[Any] | FailedPage:
    """``[read(r) for r in records]``, or, when ``read`` raises ``WireFormatError``, a
    :class:`FailedPage` with the error named by its record's place (then ``reword``) and, with
    ``keep``, the models of the records before it (read again: a refusal costs that, a page
    read whole costs nothing more)."""
    rest = iter(records)
    try:
        return [read(record) for record in rest]
    except WireFormatError as exc:
        # The list iterator knows how many records it has left: the one refused is the last
        # it gave out. No counter per record.
        index = len(records) - operator.length_hint(rest) - 1
        error = at_record(exc, record_key, index)
    if reword is not None:
        error = reword(error)
    before = [read(record) for record in records[:index]] if keep else []
    return FailedPage(before, error, len(records))
