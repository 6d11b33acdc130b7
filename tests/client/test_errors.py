from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from extensiv_connector.client import error_from_response, parse_retry_after
from extensiv_connector.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    DuplicateError,
    ForbiddenError,
    NotFoundError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RateLimitedError,
    ServerError,
)

JSON = "application/json; charset=utf-8"


def test_query_parameter_exception_keeps_type_code_hint_and_where() -> None:
    body = json.dumps(
        {
            "$type": "WMS.V2.Generic.Models.Exceptions.QueryParameterException, "
            "WMS.V2.Generic.Models",
            "Parameters": ["rql"],
            "ErrorCode": "NotParsable",
            "Hint": "Properties not supported: gorp",
        }
    )
    error = error_from_response(400, body, JSON, "GET", "/orders")
    assert type(error) is BadRequestError
    assert isinstance(error, ApiError)
    assert ("QueryParameterException", "NotParsable") == (error.error_type, error.error_code)
    assert "Properties not supported: gorp" == error.hint
    assert ("GET", "/orders", body) == (error.method, error.path, error.raw_body)
    assert "GET /orders" in str(error)


def test_duplicate_reference_becomes_duplicate_error_with_properties() -> None:
    body = json.dumps(
        {
            "$type": "WMS.V2.Generic.Models.Exceptions.ModelValidationException, WMS",
            "ModelType": "Order",
            "Properties": [{"Name": "ReferenceNum", "Value": "SO-1"}],
            "ErrorCode": "Duplicate",
            "Hint": "ReferenceNum must be unique",
        }
    )
    error = error_from_response(400, body, JSON, "POST", "/orders")
    assert isinstance(error, DuplicateError)
    assert ({"Name": "ReferenceNum", "Value": "SO-1"},) == error.properties
    assert "SO-1" not in str(error)


@pytest.mark.parametrize(
    ("type_name", "code"),
    [("OperationException", "OrderConfirmed"), ("AuthorizationException", "NotAuthorized")],
)
def test_typed_403_bodies_become_forbidden(type_name: str, code: str) -> None:
    body = json.dumps(
        {"$type": f"WMS.Exceptions.{type_name}, WMS", "ErrorCode": code, "Hint": "no"}
    )
    error = error_from_response(403, body, JSON, "POST", "/orders/5/canceler")
    assert isinstance(error, ForbiddenError)
    assert (type_name, code) == (error.error_type, error.error_code)


def test_list_exception_faults_are_kept_per_entry() -> None:
    body = json.dumps(
        {
            "$type": "WMS.V2.Generic.Models.Exceptions.ListException, WMS",
            "Faults": [
                {
                    "EntryNumber": 2,
                    "EntryInfo": "SO-2",
                    "WmsException": {"ErrorCode": "DoesNotExist", "Hint": "sku X", "Message": ""},
                }
            ],
        }
    )
    error = error_from_response(400, body, JSON, "POST", "/orders/importer")
    assert isinstance(error, BadRequestError)
    assert "ListException" == error.error_type
    assert [(2, "DoesNotExist", "sku X")] == [
        (f["entry_number"], f["error_code"], f["hint"]) for f in error.faults
    ]


def test_list_exception_without_type_is_recognised_by_faults() -> None:
    body = json.dumps({"Faults": [{"EntryNumber": 1, "WmsException": {"ErrorCode": "Required"}}]})
    error = error_from_response(400, body, JSON)
    assert isinstance(error, ApiError)
    assert "ListException" == error.error_type


def test_token_401_message_body_becomes_authentication_error() -> None:
    body = '{"Message":"invalid_client: client not registered"}'
    error = error_from_response(401, body, JSON, "POST", "/AuthServer/api/Token")
    assert isinstance(error, AuthenticationError)
    assert 401 == error.status
    assert "invalid_client: client not registered" in str(error)


def test_oauth_style_401_body_becomes_authentication_error() -> None:
    body = '{"error":"invalid_client","error_description":"bad secret"}'
    error = error_from_response(401, body, JSON)
    assert isinstance(error, AuthenticationError)
    assert "invalid_client: bad secret" in str(error)


def test_empty_401_says_bearer_token() -> None:
    error = error_from_response(401, "", "")
    assert isinstance(error, AuthenticationError)
    assert "bearer" in str(error)


def test_plain_text_500_is_server_error_without_body_in_message() -> None:
    body = "Object reference not set to an instance of an object. secret=hunter2"
    error = error_from_response(500, body, "text/plain", "GET", "/orders")
    assert isinstance(error, ServerError)
    assert body == error.raw_body
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (404, NotFoundError),
        (412, PreconditionFailedError),
        (428, PreconditionRequiredError),
        (502, ServerError),
        (503, ServerError),
        (409, ApiError),
    ],
)
def test_statuses_map_to_their_class(status: int, cls: type[ApiError]) -> None:
    error = error_from_response(status, "", "")
    assert cls is type(error)
    assert status == error.status


def test_camel_case_error_keys_are_read_too() -> None:
    body = json.dumps({"$type": "X.ModelValidationException, X", "errorCode": "Duplicate"})
    assert isinstance(error_from_response(400, body, JSON), DuplicateError)


def test_429_reads_retry_after_seconds() -> None:
    error = error_from_response(429, "", "", headers={"Retry-After": "7"})
    assert isinstance(error, RateLimitedError)
    assert 7.0 == error.retry_after


def test_429_reads_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    error = error_from_response(
        429, "", "", headers={"retry-after": "Thu, 01 Jan 2026 12:00:30 GMT"}, now=now
    )
    assert isinstance(error, RateLimitedError)
    assert 30.0 == error.retry_after


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("x", None), ("-3", 0.0)]
)
def test_retry_after_garbage_and_negative(value: str | None, expected: float | None) -> None:
    assert expected == parse_retry_after(value)
