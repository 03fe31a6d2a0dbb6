"""Every operation of the document, driven against the strict emulator with valid input, answers today's model.

The document names each operation's answer (from today's SDK's models; where today's SDK has none, the
model of the same kind): this walks every route, sends it valid input over the in-process transport, and
validates the answer with the model of ``authpi_admin.generated.models``, every item of a page or list
included. An answer today's SDK types as a plain dict is checked for the fields the document names.
Routes today's API no longer has (the issuer-level groups, invitations, members and domains) answer 404
in strict mode and are driven in lenient mode.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from authpi_admin.generated import models
from authpi_admin.testing import Emulator
from authpi_admin.testing.routes import RouteSpec, route_table

from .emulator_world import BODY_VALUES, QUERY_VALUES, build_world, free_form_body, meet_preconditions, world_path
from .openapi_walk import DOCUMENT, resolve, sample

ROUTES = sorted(
    (spec for verbs in route_table(DOCUMENT).values() for spec in verbs.values()),
    key=lambda spec: (spec.template, spec.verb),
)
PAIR = ("key_strict", "sec_strict")


def _success_schema(spec: RouteSpec) -> tuple[int, dict[str, Any]] | None:
    """The success status and its documented schema (None for 204)."""
    status, response = DOCUMENT.success(DOCUMENT.raw["paths"][spec.template][spec.verb.lower()])
    if status == 204:
        return None
    return status, resolve(response["content"]["application/json"]["schema"])


def _answer_model(schema: dict[str, Any]) -> tuple[str, str | None, list[str]]:
    """(shape, model, dict fields): shape is "page", "list", "object" or "dict"."""
    parts = schema.get("allOf")
    if parts:
        items = parts[1]["properties"]["data"]["items"]
        return "page", items["$ref"].rsplit("/", 1)[1], []
    data = schema["properties"]["data"]
    if data.get("type") == "array":
        return "list", data["items"]["$ref"].rsplit("/", 1)[1], []
    if "$ref" in data:
        return "object", data["$ref"].rsplit("/", 1)[1], []
    return "dict", None, list(data.get("required", []))


def _body(spec: RouteSpec) -> bytes | None:
    if spec.body_schema is None:
        return None
    free_form = free_form_body(spec.verb, spec.template)
    if free_form is not None:
        return json.dumps(free_form).encode()
    schema = resolve(spec.body_schema)
    body = sample(schema, BODY_VALUES)
    for name in schema.get("x-strict-required", []):
        body.setdefault(name, BODY_VALUES.get(name) or sample(schema["properties"][name], BODY_VALUES))
    return json.dumps(body).encode()


def _todays(spec: RouteSpec) -> bool:
    return not spec.deprecated


@pytest.mark.parametrize("spec", ROUTES, ids=[f"{spec.verb} {spec.template}" for spec in ROUTES])
async def test_every_answer_is_todays_model(spec: RouteSpec) -> None:
    strict = _todays(spec)
    emulator = build_world(Emulator(strict=strict, api_keys=[":".join(PAIR)]))
    meet_preconditions(emulator, spec.verb, spec.template)
    path = world_path(spec.template, spec.collection, account="acc_test")
    query = {p.name: QUERY_VALUES[p.name] for p in spec.query if p.required}
    credential = base64.b64encode(":".join(PAIR).encode()).decode()

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator") as http:
            headers = {"authorization": f"Basic {credential}", "content-type": "application/json"}
            return await http.request(spec.verb, path, params=query, headers=headers, content=_body(spec))

    response = await send()
    assert 200 <= response.status_code < 300, (path, response.status_code, response.text)
    documented = _success_schema(spec)
    if documented is None:
        assert response.status_code == 204 and response.content == b""
        return
    code, schema = documented
    assert response.status_code == code
    shape, model, fields = _answer_model(schema)
    body = response.json()
    if shape == "dict":
        assert isinstance(body["data"], dict)
        assert set(fields) <= set(body["data"]), f"{spec.verb} {spec.template} lacks {set(fields) - set(body['data'])}"
        return
    cls = getattr(models, str(model))
    if shape == "object":
        cls.model_validate(body["data"])
        return
    items = body["data"]
    assert isinstance(items, list) and items, f"{spec.verb} {path} listed nothing"
    TypeAdapter(list[cls]).validate_python(items)  # type: ignore[valid-type]
