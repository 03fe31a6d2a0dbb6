"""authpi-admin: the async, fully typed Python admin SDK for the AuthPI Core API.

async with AuthPIAdmin(api_key="key_...") as admin:
    page = await admin.issuers.list(limit=10)
"""

from typing import TYPE_CHECKING, Any

from . import errors
from ._logging import configure_from_environment
from ._version import SDK_VERSION
from .client import AuthPIAdmin
from .errors import *  # noqa: F403 - every name of errors.__all__ is the package's too (below)
from .generated.scopes import AgentScope, IssuerScope, UserScope, WebhookScope
from .pagination import Page

if TYPE_CHECKING:
    from .generated.models import WebhookEventType

__version__ = SDK_VERSION

configure_from_environment()

__all__ = [
    "AgentScope",
    "AuthPIAdmin",
    "IssuerScope",
    "Page",
    "UserScope",
    "WebhookEventType",
    "WebhookScope",
    "__version__",
]
__all__ += errors.__all__


def __getattr__(name: str) -> Any:
    # WebhookEventType lives with the models: loaded on first use, so importing the SDK skips pydantic
    if name == "WebhookEventType":
        from .generated.models import WebhookEventType

        return WebhookEventType
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
