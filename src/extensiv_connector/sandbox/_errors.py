"""Error answers in the real API's shapes (Rels/exceptions in the public API docs).

Typed 400/403 bodies are Newtonsoft ``TypeNameHandling.Objects`` PascalCase with ``$type``,
``ErrorCode`` and ``Hint``; 500s are plain text; token and bearer failures carry ``Message``.
"""

from __future__ import annotations

from typing import Any

from ..errors import ExtensivError, SandboxError

__all__ = [
    "ApiFault",
    "SandboxError",
    "authorization",
    "model_validation",
    "not_found",
    "operation",
    "precondition_failed",
    "precondition_required",
    "query_parameter",
]

_NS = "WMS.V2.Generic.Models.Exceptions.{}, WMS.V2.Generic.Models"


class ApiFault(ExtensivError):  # noqa: N818 - an HTTP answer to send, not a sandbox failure
    """An HTTP error answer: ``body`` is a JSON document, or ``text`` a plain body.

    Raised by the sandbox's REST handlers and turned into the response by its WSGI app; it never
    reaches a client. (``SandboxError`` is defined in :mod:`extensiv_connector.errors`.)
    """

    def __init__(
        self,
        status: int,
        body: dict[str, Any] | None = None,
        *,
        text: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {body if body is not None else text}")
        self.status = status
        self.body = body
        self.text = text
        self.headers = headers or {}


def model_validation(
    code: str,
    hint: str,
    properties: list[tuple[str, Any]] | None = None,
    model_type: str | None = None,
) -> ApiFault:
    body: dict[str, Any] = {"$type": _NS.format("ModelValidationException")}
    if model_type:
        body["ModelType"] = model_type
    body["Properties"] = [{"Name": n, "Value": v} for n, v in properties or []]
    body["ErrorCode"] = code
    body["Hint"] = hint
    return ApiFault(400, body)


def query_parameter(code: str, hint: str, parameters: list[str]) -> ApiFault:
    return ApiFault(
        400,
        {
            "$type": _NS.format("QueryParameterException"),
            "Parameters": parameters,
            "ErrorCode": code,
            "Hint": hint,
        },
    )


def operation(code: str, hint: str, action: str) -> ApiFault:
    return ApiFault(
        403,
        {
            "$type": _NS.format("OperationException"),
            "ActionNameType": "Action",
            "ActionName": action,
            "ErrorCode": code,
            "Hint": hint,
        },
    )


def precondition_required() -> ApiFault:
    return ApiFault(428, {"Message": "Precondition required. If-Match header required."})


def precondition_failed() -> ApiFault:
    return ApiFault(
        412,
        {
            "Message": "Precondition failed. The If-Match header specified doesn't match the "
            "current state of the resource."
        },
    )


def not_found(what: str) -> ApiFault:
    return ApiFault(404, text=f"{what} not found")


def authorization(hint: str) -> ApiFault:
    return ApiFault(
        403,
        {
            "$type": _NS.format("AuthorizationException"),
            "ErrorCode": "NotAuthorized",
            "Hint": hint,
        },
    )
