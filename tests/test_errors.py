"""error_from_response: status to class, body fields, defaults."""

from __future__ import annotations

import copy
import pickle

import pytest

from authpi_admin import (
    ApiError,
    AuthenticationError,
    BadGatewayError,
    ClosedClientError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    GatewayTimeoutError,
    InternalServerError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitError,
    RequestTimeoutError,
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
    assert str(error) == f"{description} [HTTP {status}; unknown]"
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
    assert (error.error, error.error_description, error.reference, error.retryable) == (
        "validation_failed",
        "email is invalid",
        "req_1",
        True,
    )
    assert str(error) == "email is invalid [HTTP 422; validation_failed; email: bad; reference req_1]"
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
    assert error.error_description == "Cannot make requests after the client has been closed"
    assert str(error) == "Cannot make requests after the client has been closed [closed_client]"


def test_api_error_constructor_and_repr() -> None:
    error = ApiError(error="e", error_description="d", status_code=499)
    assert (error.retryable, error.reference, error.raw_body) == (False, None, None)
    assert repr(error) == "ApiError(status_code=499, error='e', error_description='d')"
    assert error.headers == {}


def test_str_and_repr_say_what_to_act_on() -> None:
    fields = [{"field": f"f{n}", "code": "required", "message": "is required"} for n in range(7)]
    error = error_from_response(
        status_code=422,
        body={"error": "validation_failed", "error_description": "The request is not valid", "reference": "req_9"},
        headers={},
    )
    assert str(error) == "The request is not valid [HTTP 422; validation_failed; reference req_9]"
    many = ValidationError(error="v", error_description="d", status_code=400, fields=[*fields, "odd"])
    assert str(many) == (
        "d [HTTP 400; v; f0: is required; f1: is required; f2: is required; f3: is required; f4: is required; "
        "3 more field error(s)]"
    )
    assert repr(many).startswith("ValidationError(status_code=400, error='v', error_description='d', fields=[")
    stale = error_from_response(status_code=412, body={"current_etag": '"v2"', "reference": "r"}, headers={})
    assert repr(stale) == (
        "PreconditionFailedError(status_code=412, error='unknown', error_description='Precondition Failed', "
        "current_etag='\"v2\"', reference='r')"
    )
    limited = error_from_response(status_code=429, body={}, headers={"Retry-After": "3"})
    assert repr(limited).endswith("retry_after=3)")


def test_a_hostile_description_does_not_make_a_huge_message() -> None:
    error = error_from_response(status_code=500, body={"error_description": "x" * 100_000}, headers={})
    assert len(str(error)) < 600
    assert error.error_description == "x" * 100_000


def test_errors_keep_the_response_headers() -> None:
    error = error_from_response(status_code=404, body=None, headers={"x-request-id": "abc"})
    assert error.headers == {"x-request-id": "abc"}


@pytest.mark.parametrize(
    "error",
    [
        ValidationError(error="v", error_description="d", status_code=422, fields=[{"field": "a"}], headers={"h": "1"}),
        PreconditionFailedError(error="p", error_description="d", status_code=412, current_etag='"e"'),
        RateLimitError(error="r", error_description="d", status_code=429, retry_after=5),
        BadGatewayError(error="b", error_description="d", status_code=502),
        ClosedClientError(),
        MalformedResponseError(status_code=200, error_description="d", raw_body="x"),
        NetworkError("down"),
        RequestTimeoutError("slow"),
        ConfigurationError("bad set-up"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_pickle_and_copy(error: Exception) -> None:
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is type(error)
        assert vars(clone) == vars(error)
        assert (str(clone), repr(clone)) == (str(error), repr(error))


def test_errors_built_directly_default_retryable_as_0_3_0() -> None:
    common = {"error": "e", "error_description": "d"}
    assert RateLimitError(status_code=429, **common).retryable is True
    assert BadGatewayError(status_code=502, **common).retryable is True
    assert ServiceUnavailableError(status_code=503, **common).retryable is True
    assert GatewayTimeoutError(status_code=504, **common).retryable is True
    assert InternalServerError(status_code=500, **common).retryable is False
    assert ServerError(status_code=501, **common).retryable is False
    assert BadGatewayError(status_code=502, retryable=False, **common).retryable is False
    assert BadGatewayError.__bases__ == (ServerError,)
