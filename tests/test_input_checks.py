"""Bad input is refused with a clear, typed error before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    AuthPIAdmin,
)
from authpi_admin.http_client import validate_path_segment

from .transport_helpers import SECRET, make


@pytest.mark.parametrize(
    "bad", ["usr\n1", "usr\x00", "a\x7fb", "tab\there", "..%2fapi-keys", "%2E%2E", "a%5Cb", "a%3Fb", "a%23b"]
)
def test_ids_with_controls_or_encoded_separators_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid user_id"):
        validate_path_segment(bad, "user_id")


async def test_bad_ids_send_nothing(httpx_mock: HTTPXMock) -> None:
    async with AuthPIAdmin(account_id="me", api_key=SECRET) as admin:
        for bad in ("%2e%2e", "x\r\nHost: evil"):
            with pytest.raises(ValueError):
                await admin.issuer("iss_1").users.get(bad)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"X-Ok": "a\r\nSet-Cookie: x"}, ValueError),
        ({"X-Ok": "a\nb"}, ValueError),
        ({"X-Ok": "nul\x00"}, ValueError),
        ({"Bad Name": "v"}, ValueError),
        ({"X-Split\r\n": "v"}, ValueError),
        ({"": "v"}, ValueError),
        ({"X-Num": 5}, TypeError),
    ],
)
async def test_bad_headers_are_refused_before_sending(
    httpx_mock: HTTPXMock, headers: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        make(default_headers=headers)
    client = make()
    with pytest.raises(error):
        await client.request("GET", "/v1/x", headers=headers)
    async with AuthPIAdmin(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(error):
            await admin.issuers.list(headers=headers)
    assert httpx_mock.get_requests() == []
    await client.close()


async def test_if_match_and_idempotency_key_values_are_checked(httpx_mock: HTTPXMock) -> None:
    async with AuthPIAdmin(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="if-match"):
            await admin.issuers.update("iss_1", {}, if_match='"v1"\r\nX-Evil: 1')
        with pytest.raises(ValueError, match="idempotency-key"):
            await admin.issuers.create({}, idempotency_key="k\n")
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("timeout", [float("inf"), -0.5, 0])
async def test_bad_per_call_timeouts(httpx_mock: HTTPXMock, timeout: float) -> None:
    async with AuthPIAdmin(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(ValueError, match="timeout"):
            await admin.issuers.list(timeout=timeout)
    assert httpx_mock.get_requests() == []
