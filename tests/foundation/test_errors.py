from __future__ import annotations

import pytest

from extensiv_connector import errors


@pytest.mark.parametrize(
    "cls",
    [
        errors.ConfigError,
        errors.ValidationError,
        errors.WireFormatError,
        errors.AuthenticationError,
        errors.ApiError,
        errors.DuplicateError,
        errors.NotFoundError,
        errors.PreconditionFailedError,
        errors.PreconditionRequiredError,
        errors.RateLimitedError,
        errors.ServerError,
        errors.TransportError,
        errors.TimeoutError_,
        errors.OutcomeUnknownError,
    ],
)
def test_every_error_derives_from_the_one_root(cls: type[Exception]) -> None:
    assert issubclass(cls, errors.ExtensivError)


def test_validation_error_keeps_every_violation() -> None:
    violations = [errors.Violation(f"lines[{i}].sku", "required") for i in range(12)]

    error = errors.ValidationError(violations, subject="order SO-1")

    assert 12 == len(error.violations)
    assert "12 violation(s)" in str(error)
    assert "(+2 more)" in str(error)


def test_api_error_message_names_method_path_and_code_but_not_the_raw_body() -> None:
    error = errors.DuplicateError(
        400,
        "Duplicate ReferenceNum",
        method="POST",
        path="/orders",
        error_type="ModelValidationException",
        error_code="Duplicate",
        raw_body='{"secret-ish": "body"}',
    )

    assert (
        "POST /orders -> HTTP 400 [ModelValidationException/Duplicate]: Duplicate ReferenceNum"
        == str(error)
    )
    assert '{"secret-ish": "body"}' == error.raw_body


def test_config_error_carries_the_dotted_path() -> None:
    error = errors.ConfigError("backorder.mode", "expected one of manage_in_oms, manage_in_channel")

    assert (
        "backorder.mode",
        "backorder.mode: expected one of manage_in_oms, manage_in_channel",
    ) == (
        error.path,
        str(error),
    )
