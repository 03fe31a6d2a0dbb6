"""What the transport tests share: a base URL, a recognisable secret, and a client on pytest-httpx."""

from __future__ import annotations

import platform
import sys
from typing import Any

from authpi_admin.http_client import HttpClient

BASE = "https://api.example.test"
SECRET = "key_live_5ecr3t_value"

EXPECTED_USER_AGENT = (
    f"authpi-admin-py/0.3.0 Python/{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro} "
    f"({platform.system().lower()}; {platform.machine().lower()})"
)


def make(**kwargs: Any) -> HttpClient:
    """An ``HttpClient`` for ``BASE`` with the API key ``SECRET``; ``kwargs`` go to the constructor."""
    options: dict[str, Any] = {"api_key": SECRET}
    options.update(kwargs)
    return HttpClient(BASE, **options)
