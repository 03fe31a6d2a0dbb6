"""Every operation of the OpenAPI document, through the SDK, checked on the wire.

The cases are read from ``openapi/authpi-core.json`` so none can be missed: for each method at each
mount, the exact verb, URL and query, headers, JSON body, and the shape of what comes back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pytest_httpx import HTTPXMock

from authpi_admin import AuthPIAdmin, Page
from authpi_admin.generated import models

from .openapi_walk import DOCUMENT, Operation, Parameter, operations, reach, resolve, sample, sample_id

BASE = "https://api.authpi.dev"
OPERATIONS = operations()
LISTS = [op for op in OPERATIONS if op.returns.kind in ("page", "model_page")]
SURFACE = json.loads((Path(__file__).parent / "data" / "surface-0.3.0.json").read_text())
QUERY_VALUES = {"integer": 7, "string": "s", "number": 1.5, "boolean": True}
WIRE = {True: "true"}


def query_value(parameter: Parameter) -> Any:
    value = QUERY_VALUES[parameter.schema["type"]]
    return f"{parameter.name}-v" if value == "s" else value


def wire(value: Any) -> str:
    return WIRE.get(value, str(value)) if isinstance(value, bool) else str(value)


def item_for(op: Operation) -> Any:
    if op.returns.kind in ("model", "model_page"):
        return sample({"$ref": f"#/components/schemas/{op.returns.model}"})
    return {"id": "obj_1", "n": 1}


def test_every_reference_method_is_in_the_document() -> None:
    documented = {(op.class_name, op.method) for op in OPERATIONS if "since" not in op.binding}
    reference = {(c, m["name"]) for c, info in SURFACE.items() for m in info["methods"] if m["http"]}
    assert documented == reference
    assert len(reference) == 108
    for op in OPERATIONS:
        if "since" in op.binding:
            continue
        method = next(m for m in SURFACE[op.class_name]["methods"] if m["name"] == op.method)
        query = [p.name for p in op.in_("query") if not p.keyword_only]  # later filters are keyword-only
        assert (method["http"], method["query"]) == (op.verb, query)


def test_document_lists_each_mounted_path_once() -> None:
    assert len({(op.verb, op.path) for op in OPERATIONS}) == sum(len(v) for v in DOCUMENT.raw["paths"].values())


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
async def test_operation_on_the_wire(op: Operation, httpx_mock: HTTPXMock) -> None:
    path_values = {name: sample_id(name) for name in op.path.replace("}", "{").split("{")[1::2]}
    url_path = op.path.format(**path_values)
    query = {p.name: query_value(p) for p in op.in_("query")}
    header_names = {p.name for p in op.in_("header")}
    has_body = "requestBody" in op.spec
    item = item_for(op)
    status, response_json = 200, item
    if op.returns.kind == "none":
        status, response_json = 204, None
    elif op.returns.kind in ("page", "model_page"):
        response_json = {"data": [item], "has_more": True, "next_cursor": "cur_2"}
    else:
        response_json = {"data": item}
    for _ in range(2):  # the plain call, then the same through with_raw_response
        httpx_mock.add_response(status_code=status, json=response_json, headers={"ETag": '"e1"'})

    # a method's id argument may be named apart from the document's placeholder (resource_id for user_id)
    renames = {sdk: canonical for canonical, sdk in op.binding.get("path_params", {}).items()}
    args: list[Any] = [sample_id(renames.get(p, p)) for p in op.suffix_ids]
    kwargs: dict[str, Any] = {"timeout": 5.0, "headers": {"X-Trace": "t-1"}}
    if has_body:
        args.append({"name": "Alice", "_etag": '"e0"', "nested": {"_skip": 1, "keep": 2}})
    if "If-Match" in header_names:
        kwargs["if_match"] = '"e0"'
    if "Idempotency-Key" in header_names:
        kwargs["idempotency_key"] = "idem-1"
    kwargs.update(query)

    async with AuthPIAdmin(account_id="me", api_key="key_test") as admin:
        result = await getattr(reach(op.mount, admin), op.method)(*args, **kwargs)
        raw = await getattr(reach(op.mount, admin).with_raw_response, op.method)(*args, **kwargs)

    request, raw_request = httpx_mock.get_requests()
    # the raw view sends exactly what the plain call sends, and parses to exactly what it returns
    assert (raw_request.method, raw_request.url, raw_request.content) == (request.method, request.url, request.content)
    assert raw_request.headers == request.headers
    assert (raw.status_code, raw.headers["etag"], raw.retries_taken) == (status, '"e1"', 0)
    assert raw.http_request.url == request.url and raw.http_request.headers["authorization"] == "Bearer [redacted]"
    parsed = raw.parse()
    if hasattr(result, "model_dump"):
        assert (type(parsed), parsed.model_dump(), parsed._etag) == (type(result), result.model_dump(), result._etag)
    elif isinstance(result, Page) and result.data and hasattr(result.data[0], "model_dump"):
        assert [m.model_dump() for m in parsed.data] == [m.model_dump() for m in result.data]
    else:
        assert parsed == result
    assert request.method == op.verb
    expected_query = urlencode({k: wire(v) for k, v in query.items()})
    assert str(request.url) == BASE + url_path + (f"?{expected_query}" if expected_query else "")
    assert request.headers["authorization"] == "Bearer key_test"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("authpi-admin-py/0.3.0 Python/")
    assert request.headers["x-trace"] == "t-1"
    assert request.headers.get("if-match") == kwargs.get("if_match")
    assert request.headers.get("idempotency-key") == kwargs.get("idempotency_key")
    assert request.extensions["timeout"]["read"] == 5.0
    if has_body:
        assert request.headers["content-type"] == "application/json"
        assert request.content == b'{"name": "Alice", "nested": {"_skip": 1, "keep": 2}}'
    else:
        assert "content-type" not in request.headers
        assert request.content == b""

    if op.returns.kind == "none":
        assert result is None
    elif op.returns.kind in ("object", "any"):
        assert result == {**item, "_etag": '"e1"'}
    elif op.returns.kind == "page":
        assert result == Page(data=[item], has_more=True, next_cursor="cur_2")
    elif op.returns.kind == "model_page":
        model = getattr(models, str(op.returns.model))
        assert result == Page(data=[model.model_validate(item)], has_more=True, next_cursor="cur_2")
        assert isinstance(result.data[0], model)
    else:
        model = getattr(models, str(op.returns.model))
        assert isinstance(result, model)
        assert result.model_dump() == model.model_validate(item).model_dump()
        assert result._etag == '"e1"'


@pytest.mark.parametrize("op", LISTS, ids=[op.id for op in LISTS])
async def test_list_all_walks_every_page(op: Operation, httpx_mock: HTTPXMock) -> None:
    path_values = {name: sample_id(name) for name in op.path.replace("}", "{").split("{")[1::2]}
    url = BASE + op.path.format(**path_values)
    filters = {p.name: query_value(p) for p in op.in_("query") if p.name != "cursor"}
    item = item_for(op)
    pages = [
        {"data": [item, item], "has_more": True, "next_cursor": "cur_2"},
        {"data": [item], "has_more": True, "next_cursor": "cur_3"},
        {"data": [], "has_more": False, "next_cursor": None},
    ]
    for page in pages:
        httpx_mock.add_response(json=page)

    async with AuthPIAdmin(account_id="me", api_key="key_test") as admin:
        resource = reach(op.mount, admin)
        iterate = getattr(resource, "list_all" if op.method == "list" else f"{op.method}_all")
        items = [x async for x in iterate(**filters, headers={"X-Trace": "t"}, timeout=4.0)]

    assert len(items) == 3
    if op.returns.kind == "model_page":
        assert all(type(x).__name__ == op.returns.model for x in items)
    else:
        assert items == [item, item, item]
    sent = httpx_mock.get_requests()
    names = [p.name for p in op.in_("query")]
    for request, cursor in zip(sent, [None, "cur_2", "cur_3"], strict=True):
        expected = {**{n: None for n in names}, **filters, "cursor": cursor}
        query = urlencode({k: wire(v) for k, v in expected.items() if v is not None})
        assert str(request.url) == url + (f"?{query}" if query else "")
        assert request.headers["x-trace"] == "t"


def test_document_models_are_all_generated() -> None:
    for name in DOCUMENT.schemas:
        assert hasattr(models, name) is DOCUMENT.is_model(name)


def test_resolve_follows_references() -> None:
    assert resolve({"$ref": "#/components/parameters/limit"})["name"] == "limit"
