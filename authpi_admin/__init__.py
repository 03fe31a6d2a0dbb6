"""authpi-admin: the async, fully typed Python admin SDK for the AuthPI Core API.

async with AuthPIAdmin(api_key="key_...") as admin:
    page = await admin.issuers.list(limit=10)
"""

from ._version import SDK_VERSION
from .client import AuthPIAdmin
from .errors import (
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
from .generated.scopes import AgentScope, IssuerScope, UserScope, WebhookScope
from .pagination import Page

__version__ = SDK_VERSION

__all__ = [
    "AgentScope",
    "ApiError",
    "AuthPIAdmin",
    "AuthenticationError",
    "BadGatewayError",
    "ClosedClientError",
    "ConfigurationError",
    "ConflictError",
    "ForbiddenError",
    "GatewayTimeoutError",
    "InternalServerError",
    "IssuerScope",
    "MalformedResponseError",
    "NetworkError",
    "NotFoundError",
    "Page",
    "PreconditionFailedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "ServiceUnavailableError",
    "UnexpectedError",
    "UserScope",
    "ValidationError",
    "WebhookScope",
    "__version__",
]
