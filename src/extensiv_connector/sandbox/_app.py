"""The WSGI application: match a route, run its handler, answer in the asked-for form.

The routes are in :mod:`._routes`, the handlers in one ``_api_*`` module per resource; paging is
in :mod:`._paging`, the response forms in :mod:`._render`, the token rules in :mod:`._auth` and
fault injection in :mod:`._faults`. Every rule is listed in docs/sandbox.md ("Extensiv API
behaviour implemented"), taken from the public Extensiv API documentation.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from . import _errors as err
from . import _rql as rql
from ._api_items import item_links
from ._api_orders import order_links
from ._api_receivers import receiver_links
from ._auth import AuthSettings, SandboxCredentials, TokenStore, bearer
from ._call import Args, Call
from ._faults import FaultDecision, Faults, injected_response, reset_connection
from ._render import fault_response, hal, json_response, text_response
from ._routes import Route, route_map
from ._warehouse import Doc, Notification, Warehouse, copy_doc
from ._webhooks import WebhookSender

__all__ = ["AppSettings", "SandboxApp"]

logger = logging.getLogger("extensiv_connector.sandbox")
#: How many distinct request lines keep their route match (ids in paths make them many).
_MATCHES_KEPT = 4096
#: A ``Location`` werkzeug's ``iri_to_uri`` leaves as it is (the sandbox's: ``/orders/1001``).
_PLAIN_LOCATION = re.compile(r"/(?!/)[A-Za-z0-9_./-]*")


@attrs.frozen(kw_only=True)
class AppSettings:
    """[U] response-shape choices.

    ``summaries_links``: stock summaries carry ``_links.next`` (one doc variant lists them; the
    documented sample has none → default False). ``default_order_detail``: ``detail`` used by
    ``GET /orders/{id}`` when none is given (documented default None).
    """

    summaries_links: bool = False
    default_order_detail: str = "None"


def _plain_answer(
    response: Response, environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """What ``response(environ, start_response)`` would hand the server, for the answers the
    sandbox makes (a buffered ``Response``, its ``Content-Length`` set, a plain relative
    ``Location`` if any): status, headers and body, without werkzeug's per-response header
    copy and URL checks. None for anything else (werkzeug's own path answers it)."""
    if type(response) is not Response or response.direct_passthrough:
        return None
    code = response.status_code
    if code < 200 or code == 304 or not response.is_sequence:
        return None
    headers = response.headers.to_wsgi_list()
    has_length = has_location = False
    for key, value in headers:
        lower = key.lower()
        if lower == "content-length":
            has_length = True
        elif lower == "location":
            if has_location or not _PLAIN_LOCATION.fullmatch(value):
                return None  # werkzeug rewrites it (iri_to_uri) and keeps one
            has_location = True
        elif lower == "content-location":
            return None  # werkzeug rewrites it (iri_to_uri)
    if code == 204:  # werkzeug drops it (RFC 9110: no Content-Length on a 204)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    elif not has_length:
        return None
    if code == 204 or environ["REQUEST_METHOD"] == "HEAD":
        return response.status, headers, b""
    return response.status, headers, b"".join(response.response)  # type: ignore[arg-type]


class SandboxApp:
    """WSGI callable. Not started by itself: :class:`~extensiv_connector.sandbox.Sandbox` serves
    it with werkzeug's threaded server."""

    def __init__(
        self,
        *,
        warehouse: Warehouse,
        credentials: SandboxCredentials,
        auth: AuthSettings,
        tokens: TokenStore,
        faults: Faults,
        webhooks: WebhookSender,
        settings: AppSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.warehouse = warehouse
        self.credentials = credentials
        self.auth = auth
        self.tokens = tokens
        self.faults = faults
        self.webhooks = webhooks
        self.settings = settings or AppSettings()
        self._sleep = sleep
        self.request_count = 0
        #: The last item listing's filtered, sorted docs, keyed by (rql, sort, generation).
        self.items_view: tuple[tuple[str | None, str | None, int], list[Doc]] | None = None
        self.url_map = route_map()
        #: ``(method, path) -> (route, path values)`` for paths matched before (bounded), and
        #: the map they were matched against.
        self._matches: dict[tuple[str, str], tuple[Route, dict[str, Any]]] = {}
        self._matched_map = self.url_map

    # ------------------------------------------------------------------ WSGI
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        plain = _plain_answer(response, environ)
        if plain is None:
            result: Iterable[bytes] = response(environ, start_response)
            return result
        status, headers, body = plain
        start_response(status, headers)
        return [body]

    def handle(self, request: Request) -> Response:
        self.request_count += 1
        path = request.path.rstrip("/").lower() or "/"
        method = request.method.upper()
        is_auth = path == "/authserver/api/token"
        decision = FaultDecision()
        if path != "/events/webhook/key":
            decision = self.faults.decide(
                method, path, is_auth=is_auth, is_write=method in ("POST", "PUT", "DELETE")
            )
        if decision.delay_s:
            self._sleep(decision.delay_s)
        if decision.reset:
            return reset_connection(request)
        if decision.status is not None:
            return injected_response(decision)
        if decision.expire_token and not is_auth:
            token = bearer(request.headers.get("Authorization"))
            if token:
                self.tokens.revoke(token)
        response = self._dispatch(request, path, method)
        if decision.lose_response and response.status_code < 500:
            if decision.lost_mode == "500":
                return text_response(500, "An error has occurred.")
            return reset_connection(request)
        return response

    def _match(self, path: str, method: str) -> tuple[Route, dict[str, Any]]:
        """The route and path values for ``method path``; werkzeug's matching runs once per
        distinct request line (it was a tenth of the sandbox's CPU per request)."""
        if self._matched_map is not self.url_map:  # the map was replaced: forget its matches
            self._matches, self._matched_map = {}, self.url_map
        key = (method, path)
        known = self._matches.get(key)
        if known is not None:
            return known
        endpoint, values = self.url_map.bind("sandbox", "/").match(path, method=method)
        route: Route = endpoint  # every rule's endpoint is its Route (see route_map)
        found = (route, dict(values))
        if len(self._matches) >= _MATCHES_KEPT:
            self._matches.clear()
        self._matches[key] = found
        return found

    def _dispatch(self, request: Request, path: str, method: str) -> Response:
        try:
            route, values = self._match(path, method)
        except HTTPException as exc:  # 404 unknown path, 405 known path with another method
            return text_response(exc.code or 404, exc.description or "")
        try:
            if not route.public:
                token = bearer(request.headers.get("Authorization"))
                if not token or not self.tokens.valid(token):
                    return json_response(
                        401,
                        {"Message": "Missing Authorization header with proper bearer token"},
                        headers={"WWW-Authenticate": "Bearer"},
                    )
            is_hal = "hal+json" in (request.headers.get("Accept") or "").lower()
            return route.handler(Call(self, request, Args(request), is_hal), **values)
        except err.ApiFault as fault:
            return fault_response(fault)
        except rql.RqlError as exc:
            return fault_response(err.query_parameter("NotParsable", exc.hint, ["rql"]))
        except Exception:  # a real server answers 500 plain text for any bug
            # The route pattern, not the path or body: those may carry customer data.
            logger.exception(
                "sandbox handler %s failed on %s %s",
                route.handler.__qualname__,
                method,
                route.pattern,
            )
            return text_response(500, "An error has occurred.")

    # ------------------------------------------------------------------ webhooks
    def render_notification(self, note: Notification) -> Doc:
        """HAL body for a webhook ``resource.body``."""
        doc: Doc = copy_doc(note.doc)
        if note.kind == "order":
            return hal(doc, order_links(doc))
        if note.kind == "receiver":
            return hal(doc, receiver_links(doc))
        if note.kind == "item":
            return hal(doc, item_links(self.warehouse, doc))
        return doc
