"""Hostile or broken servers: every odd answer becomes a typed error, never a crash or a loop."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import (
    ApiError,
    MalformedResponseError,
)

from .transport_helpers import SECRET, connect, make

pytestmark = pytest.mark.usefixtures("wire_path")  # every test on both paths to the wire


async def test_list_without_a_data_list_is_malformed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, json={"data": {"not": "a list"}, "has_more": False})
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError) as caught:
            await admin.issuers.list()
    assert caught.value.status_code == 200
    assert "not" in (caught.value.raw_body or "")


async def test_object_call_answered_with_a_list_is_malformed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, json=[1, 2, 3])
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError):
            await admin.issuers.get("iss_1")


async def test_list_all_stops_when_the_server_repeats_a_cursor(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"id": 1}], "has_more": True, "next_cursor": "c1"})
    httpx_mock.add_response(json={"data": [{"id": 2}], "has_more": True, "next_cursor": "c2"})
    httpx_mock.add_response(json={"data": [{"id": 3}], "has_more": True, "next_cursor": "c1"})
    seen = []
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="repeated a pagination cursor"):
            async for item in admin.issuers.list_all():
                seen.append(item["id"])
    assert seen == [1, 2, 3]


@pytest.mark.parametrize(
    "content",
    [b"[]", b'"text"', b"null", b'{"error": {"nested": true}}', b"\xff\xfe garbage", b"x" * 2_000_000],
)
async def test_error_bodies_of_any_shape(httpx_mock: HTTPXMock, content: bytes) -> None:
    httpx_mock.add_response(status_code=409, content=content)
    client = make()
    with pytest.raises(ApiError) as caught:
        await client.request("POST", "/v1/x")
    assert caught.value.status_code == 409
    assert caught.value.error == "unknown"
    assert len(caught.value.raw_body or "") <= 4096
    await client.close()


async def test_a_model_the_server_breaks_is_a_malformed_response(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"id": "evt_1", "type": 5}], "has_more": False})
    httpx_mock.add_response(json={"data": {"content": "no ids"}})
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="not a valid Event") as caught:
            await admin.events.list()
        assert caught.value.__cause__ is not None
        with pytest.raises(MalformedResponseError, match="not a valid Note"):
            await admin.accounts.backlinks_notes("me")


async def test_an_answer_whose_description_panics_pydantic_is_a_malformed_response(httpx_mock: HTTPXMock) -> None:
    # pydantic-core 2.0 panics rendering this input (it cuts the repr inside the 'ø'); found by the fuzz test.
    # The SDK says where and why the answer fails its model without quoting the server's text.
    hostile = {"data": ["", False, None, None], "has_more": {"\x90\U000415eb#É": "", "z>[øi": -7623334091534466}}
    httpx_mock.add_response(status_code=201, json=hostile)
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="not a valid Note") as caught:
            await admin.accounts.backlinks_notes("me")
    assert (caught.value.raw_body or "").startswith("id: Field required; ")
    assert "ø" not in (caught.value.raw_body or "")


async def test_a_panic_inside_the_model_parser_is_a_malformed_response(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from authpi_admin.generated import models

    class PanicException(BaseException):  # what pyo3 raises when pydantic-core panics (seen with 2.0)
        pass

    def panics(cls: object, value: object) -> None:
        raise PanicException("byte index 25 is not a char boundary")

    monkeypatch.setattr(models.WebhookListItem, "model_validate", classmethod(panics))
    httpx_mock.add_response(json={"data": [{"id": "wh_1"}], "has_more": False})
    async with connect(account_id="me", api_key=SECRET) as admin:
        with pytest.raises(MalformedResponseError, match="not a valid WebhookListItem"):
            await admin.webhooks.list()
