"""What a handler receives: the app, the request, its query parameters and its response form."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from werkzeug.wrappers import Request

from . import _errors as err
from ._render import canonical_body
from ._warehouse import Doc

if TYPE_CHECKING:  # the app imports the route table, which imports the handlers
    from ._app import SandboxApp

__all__ = ["Args", "Call"]


class Args:
    """Query parameters, names case-insensitive (first value wins)."""

    def __init__(self, request: Request) -> None:
        self.pairs: list[tuple[str, str]] = list(request.args.items(multi=True))
        self.values: dict[str, str] = {}
        for key, value in self.pairs:
            self.values.setdefault(key.lower(), value)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def detail(self, name: str, default: str = "None") -> set[str]:
        """A comma-separated option (``detail``, ``itemdetail``), lower-cased."""
        raw = self.get(name) or default
        return {part.strip().lower() for part in raw.split(",") if part.strip()}

    @staticmethod
    def without(args: Args, name: str) -> Args:
        """A copy of ``args`` lacking ``name``."""
        copy = object.__new__(Args)
        copy.pairs = [(k, v) for k, v in args.pairs if k.lower() != name]
        copy.values = {k: v for k, v in args.values.items() if k != name}
        return copy


@attrs.frozen
class Call:
    """One routed request. Handlers take it first, then the path's ``<int:...>`` values."""

    app: SandboxApp
    request: Request
    args: Args
    is_hal: bool

    @property
    def if_match(self) -> str | None:
        return self.request.headers.get("If-Match")

    def body(self) -> Doc:
        """The JSON object body in canonical (camelCase) form; 400 if it is not one."""
        raw = self.request.get_data(cache=True)
        try:
            parsed = json.loads(raw, parse_float=Decimal) if raw.strip() else None
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise err.model_validation("ValueNotSupported", "Request body is not JSON") from exc
        if not isinstance(parsed, dict):
            raise err.model_validation("Required", "Request body must be a JSON object")
        try:
            result: Doc = canonical_body(parsed)
        except RecursionError as exc:
            raise err.model_validation("ValueNotSupported", "Request body nests too deep") from exc
        return result

    def optional_body(self) -> Doc:
        """:meth:`body`, or ``{}`` when the request has none."""
        return self.body() if self.request.get_data(cache=True).strip() else {}
