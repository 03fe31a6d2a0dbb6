"""The credential: token refresh on 401 (single-flight, cancellation-safe) and secrets kept out of sight."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    AuthenticationError,
)
from authpi_admin._auth import BearerToken
from authpi_admin.http_client import HttpClient

from .conftest import Waits
from .transport_helpers import BASE, SECRET, connect, make

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire


async def test_401_refreshes_once_and_resends_with_the_new_token(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"})
    httpx_mock.add_response(json={"ok": True}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        return {"access_token": "new"}

    client = make(access_token="old", on_token_expired=refresh)
    assert (await client.request("POST", "/v1/x", body={"a": 1})).data == {"ok": True}
    assert calls == 1
    await client.request("GET", "/v1/y")  # the new token stays in use
    assert [r.headers["authorization"] for r in httpx_mock.get_requests()] == [
        "Bearer old",
        "Bearer new",
        "Bearer new",
    ]
    await client.close()


async def test_second_401_after_refresh_is_an_authentication_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, json={"error": "invalid_token"}, is_reusable=True)

    async def refresh() -> dict[str, str]:
        return {"access_token": "still-bad"}

    client = make(access_token="old", on_token_expired=refresh)
    with pytest.raises(AuthenticationError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.error == "invalid_token"
    assert len(httpx_mock.get_requests()) == 2
    await client.close()


async def test_401_without_callback_is_an_authentication_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401)
    client = make()
    with pytest.raises(AuthenticationError) as caught:
        await client.request("GET", "/v1/x")
    assert caught.value.retryable is False
    await client.close()


async def test_concurrent_401s_share_one_refresh(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"}, is_reusable=True)
    httpx_mock.add_response(json={}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return {"access_token": "new"}

    client = make(access_token="old", on_token_expired=refresh)
    await asyncio.gather(*(client.request("GET", f"/v1/x/{i}") for i in range(20)))
    assert calls == 1
    await client.close()


async def test_refresh_result_without_a_token_is_a_clear_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401)

    async def refresh() -> dict[str, str]:
        return {"token": "misnamed"}

    client = make(access_token="old", on_token_expired=refresh)
    with pytest.raises(AuthenticationError, match="access_token"):
        await client.request("GET", "/v1/x")
    await client.close()


async def test_failed_refresh_reaches_every_waiter_and_the_next_401_tries_again(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"}, is_reusable=True)
    httpx_mock.add_response(json={}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    calls = 0
    boom = RuntimeError("identity provider is down")

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise boom
        return {"access_token": "new"}

    client = make(access_token="old", on_token_expired=refresh)
    results = await asyncio.gather(*(client.request("GET", f"/v1/{i}") for i in range(10)), return_exceptions=True)
    assert calls == 1
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert all(r.__cause__ is boom for r in results if isinstance(r, BaseException))
    assert {r.error for r in results if isinstance(r, AuthenticationError)} == {"token_refresh_failed"}
    assert (await client.request("GET", "/v1/again")).data == {}
    assert calls == 2
    await client.close()


async def test_cancelled_request_during_refresh_leaves_the_client_usable(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, match_headers={"authorization": "Bearer old"}, is_reusable=True)
    httpx_mock.add_response(json={"ok": 1}, match_headers={"authorization": "Bearer new"}, is_reusable=True)
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return {"access_token": "new"}

    client = make(access_token="old", on_token_expired=refresh)
    first = asyncio.create_task(client.request("GET", "/v1/a"))
    await started.wait()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()
    assert (await client.request("GET", "/v1/b")).data == {"ok": 1}
    assert calls == 1
    await client.close()


async def test_never_more_than_one_refresh_per_request(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=401, is_reusable=True)
    tokens = iter(["t1", "t2", "t3"])
    calls = 0

    async def refresh() -> dict[str, str]:
        nonlocal calls
        calls += 1
        return {"access_token": next(tokens)}

    client = make(access_token="t0", on_token_expired=refresh)
    with pytest.raises(AuthenticationError):
        await client.request("GET", "/v1/x")
    assert (calls, len(httpx_mock.get_requests())) == (1, 2)
    await client.close()


@pytest.mark.parametrize("result", [{"access_token": 5}, {"access_token": ""}, {}, ["access_token"], None])
async def test_refresh_result_must_hold_a_string_token(httpx_mock: HTTPXMock, result: Any) -> None:
    httpx_mock.add_response(status_code=401)

    async def refresh() -> Any:
        return result

    client = make(access_token="old", on_token_expired=refresh)
    with pytest.raises(AuthenticationError, match="non-empty 'access_token'"):
        await client.request("GET", "/v1/x")
    await client.close()


def test_credentials_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError):
        HttpClient(BASE, api_key="key\r\nX-Evil: 1")


async def test_no_credential_in_reprs_errors_attributes_or_logs(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture, waits: Waits
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=401, json={"error": "unauthorized", "error_description": "bad key"})
    admin = connect(account_id="me", api_key=SECRET, retries=waits.policy())
    with caplog.at_level(logging.DEBUG, logger="authpi_admin"), pytest.raises(AuthenticationError) as caught:
        await admin.issuers.list()
    await admin.close()
    texts = [repr(admin), str(admin), repr(admin.http), repr(admin.http._token), str(admin.http._token)]
    texts += [repr(caught.value), str(caught.value), str(vars(caught.value))]
    texts += [r.getMessage() for r in caplog.records]
    texts += [repr(v) for v in vars(admin).values()] + [repr(v) for v in vars(admin.http).values()]
    assert all(SECRET not in text for text in texts)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert messages[0].startswith("IssuersResource.list: GET /v1/accounts/me/issuers -> 503 (attempt 1, ")
    assert messages[1].startswith("IssuersResource.list: GET /v1/accounts/me/issuers -> 401 (attempt 2, ")
    assert BearerToken(SECRET).value == SECRET


async def test_a_refresh_that_finished_just_now_is_used_before_its_callback_runs() -> None:
    """A waiter can meet the refresh task done while its done-callback is still only scheduled."""

    async def never() -> dict[str, str]:
        raise AssertionError("the callback must not run again")

    token = BearerToken("old", never)
    finished: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    finished.set_result("new")
    token._refreshing = finished  # type: ignore[assignment]
    await token.refresh(token.generation)
    assert token.value == "new"
    assert token.authorization == "Bearer new"


async def test_a_refresh_callback_may_use_the_same_client_even_with_one_slot(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/v1/x", status_code=401, match_headers={"authorization": "Bearer old"})
    httpx_mock.add_response(url=f"{BASE}/v1/session", json={"data": {"token": "new"}})
    httpx_mock.add_response(url=f"{BASE}/v1/x", json={"ok": True}, match_headers={"authorization": "Bearer new"})

    async def refresh() -> dict[str, str]:
        # the call that met the 401 gave its slot back while it waits: this one can run
        answer = await client.request("POST", "/v1/session")
        return {"access_token": answer.data["data"]["token"]}

    client = make(access_token="old", on_token_expired=refresh, max_concurrency=1)
    assert (await asyncio.wait_for(client.request("GET", "/v1/x"), timeout=30)).data == {"ok": True}
    await client.close()


async def test_a_refresh_callback_whose_own_call_meets_a_401_fails_at_once_saying_why(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(status_code=401, is_reusable=True)

    async def refresh() -> dict[str, str]:
        await client.request("POST", "/v1/session")  # sent with the expired token: 401 again
        return {"access_token": "never"}

    client = make(access_token="old", on_token_expired=refresh)
    with pytest.raises(AuthenticationError) as caught:
        await asyncio.wait_for(client.request("GET", "/v1/x", timeout=3600), timeout=30)
    assert caught.value.error == "token_refresh_failed"
    assert "on_token_expired made a call with the expired token" in str(caught.value.__cause__)
    await client.close()
