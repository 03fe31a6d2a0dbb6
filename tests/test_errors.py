"""error_from_response: status to class, body fields, defaults."""

from __future__ import annotations

import pytest

from authpi_admin import (
    ApiError,
    AuthenticationError,
    BadGatewayError,
    ClosedClientError,
    ConflictError,
    ForbiddenError,
    GatewayTimeoutError,
    InternalServerError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedError,
    ValidationError,
)
from authpi_admin.errors import error_from_response


@pytest.mark.parametrize(
    ("status", "cls", "retryable", "description"),
    [
        (400, ValidationError, False, "Bad Request"),
        (401, AuthenticationError, False, "Unauthorized"),
        (403, ForbiddenError, False, "Forbidden"),
        (404, NotFoundError, False, "Not Found"),
        (408, ApiError, True, "Request Timeout"),
        (409, ConflictError, False, "Conflict"),
        (412, PreconditionFailedError, False, "Precondition Failed"),
        (422, ValidationError, False, "Unprocessable Entity"),
        (429, RateLimitError, True, "Too Many Requests"),
        (500, InternalServerError, False, "Internal Server Error"),
        (501, ServerError, False, "Not Implemented"),
        (502, BadGatewayError, True, "Bad Gateway"),
        (503, ServiceUnavailableError, True, "Service Unavailable"),
        (504, GatewayTimeoutError, True, "Gateway Timeout"),
        (507, ServerError, False, "Insufficient Storage"),
        (599, ServerError, False, "HTTP 599"),
        (418, UnexpectedError, False, "I'm a Teapot"),
        (302, UnexpectedError, False, "Found"),
    ],
)
def test_status_maps_to_class_with_defaults(
    status: int, cls: type[ApiError], retryable: bool, description: str
) -> None:
    error = error_from_response(status_code=status, body=None, headers={})
    assert type(error) is cls
    assert error.status_code == status
    assert error.error == "unknown"
    assert error.error_description == description
    assert str(error) == description
    assert error.retryable is retryable
    assert error.reference is None
    assert error.raw_body is None


def test_server_error_family() -> None:
    for cls in (InternalServerError, BadGatewayError, ServiceUnavailableError, GatewayTimeoutError):
        assert issubclass(cls, ServerError)
    assert issubclass(ServerError, ApiError)


def test_body_fields_are_read() -> None:
    error = error_from_response(
        status_code=422,
        body={
            "error": "validation_failed",
            "error_description": "email is invalid",
            "reference": "req_1",
            "retryable": True,
            "fields": [{"field": "email", "code": "invalid", "message": "bad"}],
        },
        headers={},
    )
    assert isinstance(error, ValidationError)
    assert (error.error, str(error), error.reference, error.retryable) == (
        "validation_failed",
        "email is invalid",
        "req_1",
        True,
    )
    assert error.fields == [{"field": "email", "code": "invalid", "message": "bad"}]


def test_body_retryable_wins_over_the_status_default() -> None:
    assert error_from_response(status_code=503, body={"retryable": False}, headers={}).retryable is False


def test_validation_fields_default_to_an_empty_list() -> None:
    error = error_from_response(status_code=400, body={"fields": "not a list"}, headers={})
    assert isinstance(error, ValidationError)
    assert error.fields == []


def test_precondition_failed_carries_current_etag() -> None:
    error = error_from_response(status_code=412, body={"current_etag": '"v9"'}, headers={})
    assert isinstance(error, PreconditionFailedError)
    assert error.current_etag == '"v9"'


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        ({"retry_after": 12}, {"Retry-After": "30"}, 12),
        ({}, {"Retry-After": "30"}, 30),
        ({}, {"retry-after": "30"}, 30),
        ({}, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        ({}, {}, None),
        ({"retry_after": "12"}, {}, None),
    ],
)
def test_rate_limit_retry_after(body: dict[str, object], headers: dict[str, str], expected: int | None) -> None:
    error = error_from_response(status_code=429, body=body, headers=headers)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == expected


def test_raw_body_is_cut_to_4096_characters() -> None:
    error = error_from_response(status_code=502, body=None, headers={}, raw_body="y" * 10_000)
    assert error.raw_body == "y" * 4096


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None, {"error": 5, "error_description": ["x"]}])
def test_odd_bodies_do_not_break_the_mapping(body: object) -> None:
    error = error_from_response(status_code=404, body=body, headers={})
    assert isinstance(error, NotFoundError)
    assert (error.error, error.error_description) == ("unknown", "Not Found")


def test_closed_client_error() -> None:
    error = ClosedClientError()
    assert (error.error, error.status_code, error.retryable) == ("closed_client", 0, False)
    assert str(error) == "Cannot make requests after the client has been closed"


def test_api_error_constructor_and_repr() -> None:
    error = ApiError(error="e", error_description="d", status_code=499)
    assert (error.retryable, error.reference, error.raw_body) == (False, None, None)
    assert repr(error) == "ApiError(error='e', status_code=499, error_description='d')"
