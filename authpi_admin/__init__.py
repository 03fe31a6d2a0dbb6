"""authpi-admin: the async, fully typed Python admin SDK for the AuthPI Core API.

async with AuthPIAdmin(api_key="key_...") as admin:
    page = await admin.issuers.list(limit=10)
"""

from typing import TYPE_CHECKING, Any

from . import errors
from ._logging import configure_from_environment
from ._raw import RawResponse
from ._version import SDK_VERSION
from .client import AuthPIAdmin
from .errors import *  # noqa: F403 - every name of errors.__all__ is the package's too (below)
from .pagination import Page
from .retries import RetryEvent, RetryPolicy

if TYPE_CHECKING:
    from .generated.models import WebhookEventType
    from .generated.scopes import AgentScope, IssuerScope, UserScope, WebhookScope

__version__ = SDK_VERSION

configure_from_environment()

__all__ = [
    "AgentScope",
    "AuthPIAdmin",
    "IssuerScope",
    "Page",
    "RawResponse",
    "RetryEvent",
    "RetryPolicy",
    "UserScope",
    "WebhookEventType",
    "WebhookScope",
    "__version__",
]
__all__ += errors.__all__


# Names loaded on first use, and the module that defines each: importing the SDK skips pydantic (the
# models) and the scope classes and call path (they load with the first resource or scope anyway).
_LAZY = {
    "WebhookEventType": "authpi_admin.generated.models",
    "AgentScope": "authpi_admin.generated.scopes",
    "IssuerScope": "authpi_admin.generated.scopes",
    "UserScope": "authpi_admin.generated.scopes",
    "WebhookScope": "authpi_admin.generated.scopes",
}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # looked up once
    return value
