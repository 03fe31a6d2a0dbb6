"""Shared fixtures: an SDK client on pytest-httpx, and a recorder for retry waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import pytest

from authpi_admin import AuthPIAdmin
from authpi_admin.retries import RetryConfig, RetryPolicy

from .transport_helpers import CURRENT, PATHS, connect

T = TypeVar("T")

BASE = "https://api.authpi.dev"
ACCT = f"{BASE}/v1/accounts/me"


class Waits(list[float]):
    """Every retry wait a client asked for, in order; nothing really sleeps.

    Hand ``waits.policy(**retry_options)`` to a client as ``retries=``. The jitter is 0 (the computed
    backoff exactly) unless a test sets ``waits.jitter``.
    """

    jitter = 0.0

    def policy(self, **options: Any) -> RetryPolicy:
        return RetryPolicy(RetryConfig(**options), sleep=self._record, random=lambda: self.jitter)

    async def _record(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    """A fresh recorder of retry waits."""
    return Waits()


@pytest.fixture(params=PATHS)
async def wire_path(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Run the test with clients on one path to the wire (see ``transport_helpers``), then close what it
    injected."""
    CURRENT.name, CURRENT.injected = request.param, []
    try:
        yield request.param
    finally:
        for http in CURRENT.injected:
            await http.aclose()
        CURRENT.name, CURRENT.injected = PATHS[0], []


@pytest.fixture
async def admin(waits: Waits, wire_path: str) -> AsyncIterator[AuthPIAdmin]:
    """A client with an API key; pair it with ``httpx_mock`` to see and answer what it sends."""
    async with connect(account_id="me", api_key="key_test", retries=waits.policy()) as client:
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
