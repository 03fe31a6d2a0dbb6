"""The errors the SDK raises, and the mapping from an HTTP error response to one of them.

Every error the API answers with is an [`ApiError`][authpi_admin.errors.ApiError]; the subclass tells the status.
[`ConfigurationError`][authpi_admin.errors.ConfigurationError] is raised for a bad client set-up, before any request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from ._retry_after import parse_retry_after

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadGatewayError",
    "ClosedClientError",
    "ConfigurationError",
    "ConflictError",
    "ForbiddenError",
    "GatewayTimeoutError",
    "InternalServerError",
    "InvalidTimeoutError",
    "MalformedResponseError",
    "NetworkError",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "ServiceUnavailableError",
    "UnexpectedError",
    "ValidationError",
    "error_from_response",
]

# The one set of retry statuses. The SDK resends reads on these by itself (retries.RetryPolicy) ...
AUTO_RETRIED_STATUSES = frozenset({429, 502, 503, 504})
# ... and marks an error ``retryable`` on these when its body does not say: a 408 may be sent again by the
# caller, but is not resent automatically (as in 0.3.0). The emulator marks its error bodies the same way.
RETRYABLE_STATUSES = AUTO_RETRIED_STATUSES | {408}

# The longest raw body text kept on an error.
RAW_BODY_LIMIT = 4096


class ConfigurationError(Exception):
    """The client was set up wrongly (for example with no credential); nothing was sent."""


class InvalidTimeoutError(ConfigurationError, ValueError):
    """A ``timeout`` that is not a positive, finite number of seconds (or an ``httpx.Timeout`` of such).

    The same class whether the timeout was the client's or one call's; nothing was sent. It is a
    [`ConfigurationError`][authpi_admin.errors.ConfigurationError], and a ``ValueError`` like every other bad argument
    of a call.
    """


# How much of the API's own text ``str(error)`` shows: a hostile server must not make messages huge.
_MESSAGE_LIMIT = 500
_FIELDS_SHOWN = 5


class ApiError(Exception):
    """An error answered by the AuthPI API (or raised in its place by the SDK).

    ``str(error)`` starts with the human-readable ``error_description`` and adds, in brackets, what helps
    act on it: the HTTP status, the API's error code, the field errors and the request ``reference``.
    ``headers`` are the response's headers (empty when there was no answer). Errors pickle and copy, so
    they cross process boundaries.
    """

    def __init__(
        self,
        *,
        error: str,
        error_description: str,
        status_code: int,
        retryable: bool = False,
        reference: str | None = None,
        raw_body: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error_description)
        self.error = error
        self.error_description = error_description
        self.status_code = status_code
        self.retryable = retryable
        self.reference = reference
        self.raw_body = raw_body
        self.headers: dict[str, str] = dict(headers) if headers else {}

    def _details(self) -> list[str]:
        details = [f"HTTP {self.status_code}"] if self.status_code else []
        return [*details, self.error] + ([f"reference {self.reference}"] if self.reference else [])

    def __str__(self) -> str:
        description = _shortened(self.error_description)
        return f"{description} [{'; '.join(self._details())}]"

    def __repr__(self) -> str:
        shown = {"status_code": self.status_code, "error": self.error, "error_description": self.error_description}
        shown.update(self._repr_extras())
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def _repr_extras(self) -> dict[str, Any]:
        return {"reference": self.reference} if self.reference else {}

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from the attributes: the keyword-only constructors cannot be called with ``args``
        return (_restore, (type(self), dict(self.__dict__)))


def _restore(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    """Unpickle an error: a bare instance of ``cls`` with its attributes back."""
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("error_description", ""))
    error.__dict__.update(state)
    return error


def _shortened(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "..."


def _field_text(item: Any) -> str:
    if isinstance(item, Mapping) and "field" in item:
        return _shortened(f"{item.get('field')}: {item.get('message', item.get('code', 'invalid'))}")
    return _shortened(str(item))


class ValidationError(ApiError):
    """400 or 422: the request was malformed or failed validation; ``fields`` says where."""

    def __init__(self, *, fields: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields: list[Any] = list(fields) if fields else []

    def _details(self) -> list[str]:
        shown = [_field_text(item) for item in self.fields[:_FIELDS_SHOWN]]
        if len(self.fields) > _FIELDS_SHOWN:
            shown.append(f"{len(self.fields) - _FIELDS_SHOWN} more field error(s)")
        details = super()._details()
        return [*details[:2], *shown, *details[2:]]

    def _repr_extras(self) -> dict[str, Any]:
        return {**({"fields": self.fields} if self.fields else {}), **super()._repr_extras()}


class AuthenticationError(ApiError):
    """401: the credential is missing, wrong or expired."""


class ForbiddenError(ApiError):
    """403: the credential may not do this."""


class NotFoundError(ApiError):
    """404: no such object."""


class ConflictError(ApiError):
    """409: the request conflicts with the current state (a duplicate, or a reused idempotency key)."""


class PreconditionFailedError(ApiError):
    """412: the object changed since it was read; ``current_etag`` is its ETag now."""

    def __init__(self, *, current_etag: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.current_etag = current_etag

    def _repr_extras(self) -> dict[str, Any]:
        return {**({"current_etag": self.current_etag} if self.current_etag else {}), **super()._repr_extras()}


class RateLimitError(ApiError):
    """429: too many requests; ``retry_after`` is how many seconds the server asked to wait."""

    def __init__(self, *, retry_after: int | None = None, retryable: bool = True, **kwargs: Any) -> None:
        super().__init__(retryable=retryable, **kwargs)
        self.retry_after = retry_after

    def _repr_extras(self) -> dict[str, Any]:
        extras = {"retry_after": self.retry_after} if self.retry_after is not None else {}
        return {**extras, **super()._repr_extras()}


class ServerError(ApiError):
    """A 5xx answer: the server failed.

    ``retryable`` defaults to the class's ``retryable_by_default``: True for 502, 503 and 504, as in 0.3.0.
    """

    retryable_by_default = False

    def __init__(self, *, retryable: bool | None = None, **kwargs: Any) -> None:
        super().__init__(retryable=self.retryable_by_default if retryable is None else retryable, **kwargs)


class InternalServerError(ServerError):
    """500."""


class BadGatewayError(ServerError):
    """502."""

    retryable_by_default = True


class ServiceUnavailableError(ServerError):
    """503."""

    retryable_by_default = True


class GatewayTimeoutError(ServerError):
    """504."""

    retryable_by_default = True


class UnexpectedError(ApiError):
    """A status the API does not document (for example 418 or 3xx)."""


class ClosedClientError(ApiError):
    """A request was made on a client that has been closed."""

    def __init__(self) -> None:
        super().__init__(
            error="closed_client",
            error_description="Cannot make requests after the client has been closed",
            status_code=0,
        )


class MalformedResponseError(ApiError):
    """A success answer whose body is not what the API documents (not JSON, or a list without a list).

    ``raw_body`` holds the body as received, cut to 4096 characters. Not retryable: the same request
    would most likely get the same answer.
    """

    def __init__(self, *, status_code: int, error_description: str, raw_body: str | None) -> None:
        super().__init__(
            error="malformed_response",
            error_description=error_description,
            status_code=status_code,
            raw_body=raw_body[:RAW_BODY_LIMIT] if raw_body is not None else None,
        )


class NetworkError(ApiError):
    """The request failed on the network (connection refused or reset, protocol error): no HTTP answer.

    ``status_code`` is 0 and ``retryable`` is True; the httpx exception is the ``__cause__``. Reads were
    already retried within the retry budget. For a write, whether the server applied it is unknown:
    retry it with the same ``idempotency_key``.
    """

    def __init__(self, error_description: str, *, error: str = "network_error") -> None:
        super().__init__(error=error, error_description=error_description, status_code=0, retryable=True)


class RequestTimeoutError(NetworkError):
    """No answer came within the timeout (connect, write, read or waiting for a pooled connection)."""

    def __init__(self, error_description: str) -> None:
        super().__init__(error_description, error="timeout")


_CLASS_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    408: ApiError,
    409: ConflictError,
    412: PreconditionFailedError,
    422: ValidationError,
    429: RateLimitError,
    500: InternalServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def _error_class(status_code: int) -> type[ApiError]:
    known = _CLASS_BY_STATUS.get(status_code)
    if known is not None:
        return known
    if 500 <= status_code <= 599:
        return ServerError
    return UnexpectedError


def _reason_phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return f"HTTP {status_code}"


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _retry_after_seconds(body_value: Any, headers: Mapping[str, str]) -> int | None:
    """The wait a 429 asks for: the body's ``retry_after``, else the ``Retry-After`` header (seconds or date)."""
    if isinstance(body_value, int) and not isinstance(body_value, bool) and body_value >= 0:
        return body_value
    seconds = parse_retry_after(_header(headers, "retry-after"))
    return math.ceil(seconds) if seconds is not None else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        # Plain dicts are case-sensitive; httpx.Headers is not.
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


def error_from_response(
    *,
    status_code: int,
    body: Any,
    headers: Mapping[str, str],
    raw_body: str | None = None,
) -> ApiError:
    """Build the typed error for an HTTP error answer.

    ``body`` is the parsed JSON body (anything, or None when it was not JSON); fields the API documents
    (``error``, ``error_description``, ``reference``, ``retryable``, ``fields``, ``current_etag``,
    ``retry_after``) are read from it when present and of the right type, and defaulted otherwise.
    """
    fields: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    error = _optional_str(fields.get("error")) or "unknown"
    description = _optional_str(fields.get("error_description")) or _reason_phrase(status_code)
    retryable_value = fields.get("retryable")
    retryable = retryable_value if isinstance(retryable_value, bool) else status_code in RETRYABLE_STATUSES
    if raw_body is not None and len(raw_body) > RAW_BODY_LIMIT:
        raw_body = raw_body[:RAW_BODY_LIMIT]
    common: dict[str, Any] = {
        "error": error,
        "error_description": description,
        "status_code": status_code,
        "retryable": retryable,
        "reference": _optional_str(fields.get("reference")),
        "raw_body": raw_body,
        "headers": headers,
    }
    cls = _error_class(status_code)
    if cls is ValidationError:
        field_errors = fields.get("fields")
        return ValidationError(fields=field_errors if isinstance(field_errors, list) else [], **common)
    if cls is PreconditionFailedError:
        return PreconditionFailedError(current_etag=_optional_str(fields.get("current_etag")), **common)
    if cls is RateLimitError:
        return RateLimitError(retry_after=_retry_after_seconds(fields.get("retry_after"), headers), **common)
    return cls(**common)
