"""Property tests with hypothesis: the SDK's input checks, error mapping, body and header preparation and
pagination hold for any input, and the emulator answers any request to any documented operation with a
documented answer and never a 5xx."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authpi_admin import ApiError, MalformedResponseError, Page
from authpi_admin._validation import check_headers
from authpi_admin.errors import _CLASS_BY_STATUS, ServerError, UnexpectedError, error_from_response
from authpi_admin.http_client import HttpClient, encode_body, validate_path_segment
from authpi_admin.pagination import auto_paginate
from authpi_admin.testing.validation import field_errors

from .conftest import run_isolated
from .emulator_world import IDS, build_world
from .openapi_walk import DOCUMENT, Operation, operations, resolve

T = TypeVar("T")
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def run(coroutine: Callable[[], Awaitable[T]]) -> T:
    return run_isolated(coroutine())


# ------------------------------------------------------------------------------------------ the SDK side


@FAST
@given(st.text(max_size=40))
def test_path_segments_are_either_refused_or_safe(value: str) -> None:
    try:
        assert validate_path_segment(value, "id") == value
    except ValueError as error:
        assert str(error).startswith("Invalid id: ")
        return
    assert value not in ("", ".", "..")
    assert not any(c in value for c in "/\\?#")
    assert not re.search(r"[\x00-\x1f\x7f]", value)
    assert not re.search(r"%(2f|5c|3f|23|2e)", value, re.IGNORECASE)


@FAST
@given(
    status=st.integers(0, 999),
    body=json_values,
    headers=st.dictionaries(st.sampled_from(["retry-after", "Retry-After", "x-other"]), st.text(max_size=30)),
    raw=st.none() | st.text(max_size=6000),
)
def test_error_mapping_never_fails(status: int, body: Any, headers: dict[str, str], raw: str | None) -> None:
    error = error_from_response(status_code=status, body=body, headers=headers, raw_body=raw)
    assert isinstance(error, ApiError)
    expected = _CLASS_BY_STATUS.get(status) or (ServerError if 500 <= status <= 599 else UnexpectedError)
    assert type(error) is expected
    assert isinstance(str(error), str)
    assert isinstance(error.error, str)
    assert isinstance(error.retryable, bool)
    assert error.raw_body is None or len(error.raw_body) <= 4096


@FAST
@given(json_values)
def test_bodies_are_json_without_top_level_private_keys(body: Any) -> None:
    sent = json.loads(encode_body(body))
    if isinstance(body, dict):
        assert sent == {k: v for k, v in body.items() if not k.startswith("_")}  # nested "_" keys are data
    else:
        assert sent == body
    assert encode_body(body) == json.dumps(sent).encode()  # json.dumps's defaults, as 0.3.0 sent


@FAST
@given(st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=4))
def test_headers_are_refused_or_sendable(headers: dict[str, str]) -> None:
    try:
        check_headers(headers)
    except ValueError:
        return
    request = httpx.Request("GET", "https://x.test/", headers=headers)
    for name, value in headers.items():
        assert "\r" not in name + value and "\n" not in name + value and "\x00" not in value
        assert request.headers[name] is not None


answers = st.tuples(
    st.integers(200, 599),
    st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())),
    st.dictionaries(st.sampled_from(["etag", "retry-after", "content-type"]), st.text("abc0123 ;=", max_size=12)),
)


@settings(max_examples=150, deadline=None)
@given(answer=answers, method=st.sampled_from(["GET", "POST", "DELETE"]))
def test_any_answer_is_an_api_response_or_a_typed_error(answer: tuple[int, bytes, dict[str, str]], method: str) -> None:
    status, content, headers = answer

    async def scenario() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(status, content=content, headers=headers))
        async with httpx.AsyncClient(transport=transport) as http:
            client = HttpClient("https://api.test", api_key="k", http_client=http, retries=False)
            try:
                response = await client.request(method, "/v1/x")
            except ApiError as error:
                assert status >= 300 or isinstance(error, MalformedResponseError)
            else:
                assert 200 <= status < 300
                assert response.data is None or json.loads(content) == response.data

    run(scenario)


@FAST
@given(
    st.dictionaries(
        st.none() | st.sampled_from("abcdef"),
        st.tuples(st.integers(0, 3), st.booleans(), st.none() | st.sampled_from("abcdef")),
        max_size=7,
    )
)
def test_pagination_ends_or_refuses_a_cursor_cycle(server: dict[str | None, tuple[int, bool, str | None]]) -> None:
    """A server that maps each cursor to one page: the walk ends, or raises if the cursors form a cycle."""

    def page_for(cursor: str | None) -> Page[int]:
        size, more, following = server.get(cursor, (0, False, None))
        return Page(data=[len(cursor or "") * 10 + i for i in range(size)], has_more=more, next_cursor=following)

    # what the walk meets: the pages in order, until the end or the first cursor seen twice (a cycle)
    expected: list[int] = []
    cursor: str | None = None
    seen: set[str | None] = set()
    cycles = False
    while True:
        page = page_for(cursor)
        expected += page.data
        if not page.has_more or page.next_cursor is None:
            break
        if page.next_cursor in seen or page.next_cursor == cursor:
            cycles = True
            break
        seen.add(cursor)
        cursor = page.next_cursor

    async def scenario() -> None:
        fetches = 0

        async def fetch(cursor: str | None) -> Page[int]:
            nonlocal fetches
            fetches += 1
            assert fetches <= 40, "the walk did not stop"
            return page_for(cursor)

        collected: list[int] = []
        try:
            async for item in auto_paginate(fetch):
                collected.append(item)
        except MalformedResponseError:
            assert cycles
            assert collected[: len(expected)] == expected
        else:
            assert not cycles
            assert collected == expected

    run(scenario)


# -------------------------------------------------------------------------------------- the emulator side

OPERATIONS = sorted({(op.verb, op.path): op for op in operations()}.values(), key=lambda op: op.id)
ERROR_SCHEMA = {"$ref": "#/components/schemas/PreconditionFailedBody"}
path_ids = st.sampled_from(sorted(set(IDS.values()))) | st.text(
    st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12
).filter(lambda s: s not in (".", "..") and "/" not in s)


def _request_bodies(op: Operation) -> st.SearchStrategy[Any]:
    if op.body_schema is None:
        return st.none()
    schema = resolve(op.body_schema)
    fields = sorted(schema.get("properties", {}))
    shaped = st.dictionaries(st.sampled_from(fields) if fields else st.text(max_size=5), json_values, max_size=4)
    return st.none() | json_values | shaped


@pytest.mark.parametrize("op", OPERATIONS, ids=[f"{op.verb} {op.path}" for op in OPERATIONS])
def test_emulator_answers_any_request_as_documented(op: Operation) -> None:
    emulator = build_world()
    query_names = [p.name for p in op.in_("query")]
    placeholders = re.findall(r"\{(\w+)\}", op.path)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        ids=st.fixed_dictionaries({name: path_ids for name in placeholders}),
        query=st.dictionaries(st.sampled_from(query_names), st.text(max_size=8), max_size=3)
        if query_names
        else st.just({}),
        body=_request_bodies(op),
        if_match=st.none() | st.text("\"abc'", max_size=6),
    )
    def check(ids: dict[str, str], query: dict[str, str], body: Any, if_match: str | None) -> None:
        ids = {**ids, "account_id": "me"} if "account_id" in ids else ids
        path = op.path.format(**{k: quote(v, safe="") for k, v in ids.items()})
        headers = {"authorization": "Bearer key_test"}
        if if_match is not None and op.verb != "GET":
            headers["if-match"] = if_match

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://e") as http:
                content = None if body is None else json.dumps(body).encode()
                return await http.request(op.verb, path, params=query, headers=headers, content=content)

        response = run(send)
        assert response.status_code < 500, response.text
        documented = op.spec["responses"]
        if response.status_code >= 400:
            errors = field_errors(DOCUMENT, ERROR_SCHEMA, response.json())
        elif response.status_code == 204:
            assert "204" in documented and response.content == b""
            return
        else:
            assert str(response.status_code) in documented
            schema = resolve(documented[str(response.status_code)])["content"]["application/json"]["schema"]
            errors = field_errors(DOCUMENT, schema, response.json())
        assert errors == [], (response.status_code, errors)

    check()


@settings(max_examples=150, deadline=None)
@given(
    status=st.sampled_from([200, 201, 204, 400, 404, 409, 429, 500, 503]),
    body=json_values | st.fixed_dictionaries({"data": json_values, "has_more": json_values}),
    call=st.sampled_from(["events.list", "issuers.list", "issuers.get", "backlinks", "webhook.get", "delete"]),
)
def test_any_answer_to_any_call_is_a_result_or_a_typed_error(status: int, body: Any, call: str) -> None:
    """Whatever a broken or hostile server answers, a resource call returns or raises an ApiError."""
    from authpi_admin import AuthPIAdmin

    async def scenario() -> None:
        content = b"" if status == 204 else json.dumps(body).encode()
        transport = httpx.MockTransport(lambda request: httpx.Response(status, content=content))
        async with httpx.AsyncClient(transport=transport) as http:
            admin = AuthPIAdmin(account_id="me", api_key="k", http_client=http, retries=False)
            calls = {
                "events.list": lambda: admin.events.list(),
                "issuers.list": lambda: admin.issuers.list(),
                "issuers.get": lambda: admin.issuers.get("iss_1"),
                "backlinks": lambda: admin.accounts.backlinks_notes("me"),
                "webhook.get": lambda: admin.webhook("wh_1").get(),
                "delete": lambda: admin.issuers.delete("iss_1"),
            }
            with contextlib.suppress(ApiError):  # any other exception fails the example
                await calls[call]()

    run(scenario)
