"""Shared fixtures: an SDK client on pytest-httpx, and a recorder for retry waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import pytest

from authpi_admin import AuthPIAdmin, http_client

T = TypeVar("T")

BASE = "https://api.authpi.dev"
ACCT = f"{BASE}/v1/accounts/me"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every retry wait the transport asks for, in order; nothing really sleeps."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(http_client, "_sleep", record)
    monkeypatch.setattr(http_client, "_jitter", lambda: 0.0)  # the computed backoff exactly
    return recorded


@pytest.fixture
async def admin(waits: list[float]) -> AsyncIterator[AuthPIAdmin]:
    """A client with an API key; pair it with ``httpx_mock`` to see and answer what it sends."""
    async with AuthPIAdmin(api_key="key_test") as client:
        yield client


def run_isolated(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a synchronous test on a loop of its own.

    Unlike ``asyncio.run`` it leaves the thread's current event loop (pytest-asyncio's) in place, so no
    loop is orphaned and left unclosed.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()
