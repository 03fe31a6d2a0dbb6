"""authpi-admin: the async, fully typed Python admin SDK for the AuthPI Core API.

async with AuthPIAdmin(api_key="key_...") as admin:
    page = await admin.issuers.list(limit=10)
"""

from . import errors
from ._version import SDK_VERSION
from .client import AuthPIAdmin
from .errors import *  # noqa: F403 - every name of errors.__all__ is the package's too (below)
from .generated.scopes import AgentScope, IssuerScope, UserScope, WebhookScope
from .pagination import Page

__version__ = SDK_VERSION

__all__ = [
    "AgentScope",
    "AuthPIAdmin",
    "IssuerScope",
    "Page",
    "UserScope",
    "WebhookScope",
    "__version__",
]
__all__ += errors.__all__
