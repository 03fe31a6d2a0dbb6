"""What the transport tests share: a base URL, a recognisable secret, and clients on every path to the wire.

The SDK reaches the wire two ways: through the httpx client it makes for itself (sent straight to the
transport httpx picks) and through one the user injects (sent through ``AsyncClient.send``). Test modules
that say ``pytestmark = pytest.mark.usefixtures("wire_path")`` run every test once per path; their
clients come from :func:`make` and :func:`connect`, which inject an httpx client on the injected path.
"""

from __future__ import annotations

import platform
import sys
from typing import Any

import httpx

from authpi_admin import AuthPIAdmin
from authpi_admin.http_client import HttpClient

BASE = "https://api.example.test"
SECRET = "key_live_5ecr3t_value"

EXPECTED_USER_AGENT = (
    f"authpi-admin-py/0.3.0 Python/{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro} "
    f"({platform.system().lower()}; {platform.machine().lower()})"
)

OWN = "own client"
INJECTED = "injected client"
PATHS = (OWN, INJECTED)


class WirePath:
    """The path the current test's clients take, and the httpx clients injected on it (closed after)."""

    def __init__(self) -> None:
        self.name = OWN
        self.injected: list[httpx.AsyncClient] = []

    def options(self, options: dict[str, Any]) -> dict[str, Any]:
        """``options`` with an injected httpx client on the injected path (unless the test gave one).

        The injected client has the SDK's default timeout, so both paths wait alike.
        """
        if self.name == INJECTED and "http_client" not in options:
            http = httpx.AsyncClient(timeout=30.0)
            self.injected.append(http)
            options = {**options, "http_client": http}
        return options


CURRENT = WirePath()


def make(**kwargs: Any) -> HttpClient:
    """An ``HttpClient`` for ``BASE`` (with the API key ``SECRET`` unless given an access token) on the
    current test's path; ``kwargs`` go to the constructor."""
    credential = {} if "access_token" in kwargs else {"api_key": SECRET}
    return HttpClient(BASE, **CURRENT.options({**credential, **kwargs}))


def connect(**kwargs: Any) -> AuthPIAdmin:
    """An ``AuthPIAdmin`` on the current test's path; ``kwargs`` go to the constructor."""
    return AuthPIAdmin(**CURRENT.options(kwargs))
