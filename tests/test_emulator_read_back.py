"""Read, change, send back: an object read from the emulator goes back in an update as it is, in both modes;
and 0.3.0's user fields and today's stay one value, whichever a write names."""

from __future__ import annotations

from typing import Any

import pytest

from authpi_admin import ValidationError
from authpi_admin.testing import Emulator

PAIR = ("key_rb", "sec_rb")


def _emulator(strict: bool) -> Emulator:
    return Emulator(strict=strict, api_keys=[":".join(PAIR)])


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
async def test_an_object_read_goes_back_in_an_update_as_it_is(strict: bool) -> None:
    async with _emulator(strict).client(api_key=":".join(PAIR), account_id="acc_test") as admin:
        issuer = await admin.issuers.create({"name": "Acme"})
        same = await admin.issuers.update(issuer["id"], await admin.issuers.get(issuer["id"]), if_match=issuer["_etag"])
        assert same["name"] == "Acme"
        users = admin.issuer(issuer["id"]).users
        user = await users.create({"username_type": "email", "username": "a@example.com", "profile": {}})
        read = await users.get(user["id"])
        changed = await users.update(user["id"], {**read, "profile": {"display_name": "Ada"}}, if_match=read["_etag"])
        assert changed["profile"]["display_name"] == "Ada"
        assert (changed["id"], changed["created_at"]) == (read["id"], read["created_at"])


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
async def test_a_changed_field_the_api_sets_is_refused_naming_it(strict: bool) -> None:
    async with _emulator(strict).client(api_key=":".join(PAIR), account_id="acc_test") as admin:
        issuer = await admin.issuers.create({"name": "Acme"})
        read = await admin.issuers.get(issuer["id"])
        with pytest.raises(ValidationError) as caught:
            await admin.issuers.update(issuer["id"], {**read, "id": "i_other", "created_at": 1, "name": "New"})
        assert {(f["field"], f["code"]) for f in caught.value.fields or []} == {
            ("id", "read_only"),
            ("created_at", "read_only"),
        }
        with pytest.raises(ValidationError) as unknown:
            await admin.issuers.update(issuer["id"], {"name": "New", "no_such_field": 1})
        assert [(f["field"], f["code"]) for f in unknown.value.fields or []] == [("no_such_field", "unknown_field")]
        assert (await admin.issuers.get(issuer["id"]))["name"] == "Acme"  # nothing was applied


async def test_lenient_mode_keeps_0_3_0s_fields_and_todays_one_value() -> None:
    async with Emulator().client(account_id="me") as admin:
        issuer = await admin.issuers.create({"name": "Acme"})
        users = admin.issuer(issuer["id"]).users
        old = await users.create({"email": "old@example.com", "display_name": "Old"})
        assert (old["username_type"], old["username"], old["profile"]) == (
            "email",
            "old@example.com",
            {"display_name": "Old"},
        )
        moved = await users.update(old["id"], {"email": "new@example.com"})
        assert (moved["email"], moved["username"]) == ("new@example.com", "new@example.com")
        renamed = await users.update(old["id"], {"profile": {"display_name": "Today"}})
        assert (renamed["display_name"], renamed["profile"]["display_name"]) == ("Today", "Today")
        back = await users.update(old["id"], {"display_name": "Legacy"})
        assert (back["display_name"], back["profile"]["display_name"]) == ("Legacy", "Legacy")
        by_username = await users.update(old["id"], {"username": "third@example.com"})
        assert (by_username["email"], by_username["username"]) == ("third@example.com", "third@example.com")
        created_today = await users.create(
            {"username_type": "email", "username": "t@example.com", "profile": {"display_name": "T"}}
        )
        assert (created_today["email"], created_today["display_name"]) == ("t@example.com", "T")


def _update_routes() -> list[tuple[str, str]]:
    from authpi_admin.testing.routes import route_table

    from .openapi_walk import DOCUMENT

    table = route_table(DOCUMENT)
    return [
        (template, "PATCH")
        for template, verbs in table.items()
        if "PATCH" in verbs
        and "GET" in verbs
        and verbs["PATCH"].action == "update"
        and not verbs["PATCH"].deprecated
        # an approval's update is a decision (its body must say approved or rejected), not an edit
        and verbs["PATCH"].collection != "approvals"
    ]


UPDATES = _update_routes()


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@pytest.mark.parametrize("template", [t for t, _ in UPDATES])
async def test_every_object_goes_back_as_it_was_read(template: str, strict: bool) -> None:
    import base64
    import json

    import httpx

    from .emulator_world import build_world, world_path

    emulator = build_world(_emulator(strict))
    path = world_path(template, template.rstrip("/").split("/")[-2], account="acc_test")
    auth = {"authorization": "Basic " + base64.b64encode(":".join(PAIR).encode()).decode()}
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator", headers=auth) as http:
        read = await http.get(path)
        assert read.status_code == 200, read.text
        sent_back = await http.patch(
            path, content=json.dumps(read.json()["data"]), headers={"if-match": read.headers["etag"]}
        )
    assert sent_back.status_code == 200, (path, sent_back.text)


# ------------------------------------------------------------- every change sent back is kept (property)


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a value is written to: references resolved, the first non-null option of a union."""
    from .openapi_walk import DOCUMENT

    schema = DOCUMENT.resolve(schema)
    for option in schema.get("anyOf", ()):
        if DOCUMENT.resolve(option).get("type") != "null":
            return _schema(option)
    return schema


def _kind_of(schema: dict[str, Any]) -> str:
    kinds = schema.get("type", "object")
    return next(kind for kind in kinds if kind != "null") if isinstance(kinds, list) else kinds


def _changes(name: str, schema: dict[str, Any], held: Any) -> list[tuple[str, Any]]:
    """Each change of field ``name`` to try, as (what it changes, the new value of the field): the field
    itself, and for an object one key inside it (a nested change)."""
    schema = _schema(schema)
    kind = _kind_of(schema)
    if "enum" in schema:
        others = [value for value in schema["enum"] if value != held and value is not None]
        return [(name, others[0])] if others else []
    if kind == "string":
        if schema.get("format") == "email" or name in ("email", "username"):
            return [(name, f"changed.{name}@example.com")]
        if name in ("url", "logo_url"):
            return [(name, "https://changed.example.com/x")]
        return [(name, f"changed {name}")]
    if kind in ("integer", "number"):
        return [(name, (held if isinstance(held, int) else 4_000_000_000) + 1000)]
    if kind == "boolean":
        return [(name, not held)]
    if kind == "array":
        item = _schema(schema.get("items", {}))
        return [(name, ["changed:value"] if _kind_of(item) == "string" else [{"changed": True}])]
    if kind == "object":
        held = held if isinstance(held, dict) else {}
        properties = schema.get("properties", {})
        nested = [
            (f"{name}.{inner}", {**held, inner: value})
            for key, inner_schema in properties.items()
            for inner, value in [(key, dict(_changes(key, inner_schema, held.get(key)))[key])]
            if _changes(key, inner_schema, held.get(key))
        ]
        if schema.get("additionalProperties", True) is not False and not properties:
            # each key it holds (a profile's given_name, which a user also shows at the top level), and a new one
            for inner in [*(key for key, value in held.items() if isinstance(value, str)), "changed_key"]:
                nested.append((f"{name}.{inner}", {**held, inner: f"changed {inner}"}))
        return nested
    return []


# The changes today's API refuses in an update (tested where the refusal is), each with why.
_REFUSED_CHANGES: dict[str, str] = {}

# Fields set before an object is read, so that every copy of a value it shows is in what goes back: a
# user's profile fields are also shown at the top level (0.3.0's fields).
_FILLED = {
    "users": {"profile": {"display_name": "D", "given_name": "G", "family_name": "F", "phone_number": "+15550100"}},
}


def _every_change() -> list[tuple[str, str]]:
    from .openapi_walk import DOCUMENT

    cases = []
    for template, _ in UPDATES:
        from authpi_admin.testing.routes import route_table

        spec = route_table(DOCUMENT)[template]["PATCH"]
        properties = DOCUMENT.resolve(spec.body_schema).get("properties", {})
        cases += [(template, field) for field in properties if field not in _REFUSED_CHANGES]
    return cases


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@pytest.mark.parametrize(("template", "field"), _every_change())
async def test_every_writable_field_changed_and_sent_back_is_kept(template: str, field: str, strict: bool) -> None:
    import base64
    import json

    import httpx

    from authpi_admin.testing.routes import route_table

    from .emulator_world import BODY_VALUES, build_world, world_path
    from .openapi_walk import DOCUMENT

    emulator = build_world(_emulator(strict))
    spec = route_table(DOCUMENT)[template]["PATCH"]
    schema = DOCUMENT.resolve(spec.body_schema)["properties"][field]
    path = world_path(template, template.rstrip("/").split("/")[-2], account="acc_test")
    auth = {"authorization": "Basic " + base64.b64encode(":".join(PAIR).encode()).decode()}
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="http://emulator", headers=auth) as http:
        if spec.collection in _FILLED:
            assert (await http.patch(path, content=json.dumps(_FILLED[spec.collection]))).status_code == 200
        read = (await http.get(path)).json()["data"]
        changes = [(field, BODY_VALUES[field])] if field in BODY_VALUES else _changes(field, schema, read.get(field))
        assert changes, f"no change to try for {field}"
        for what, value in changes:
            before = await http.get(path)
            sent = {**before.json()["data"], field: value}
            answer = await http.patch(path, content=json.dumps(sent), headers={"if-match": before.headers["etag"]})
            assert answer.status_code == 200, (what, answer.text)
            again = (await http.get(path)).json()["data"]
            assert again[field] == value, (what, again[field])
            assert answer.json()["data"] == again


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
async def test_both_forms_of_a_field_changed_to_different_values_is_a_422_naming_both(strict: bool) -> None:
    async with _emulator(strict).client(api_key=":".join(PAIR), account_id="acc_test") as admin:
        issuer = await admin.issuers.create({"name": "Acme"})
        users = admin.issuer(issuer["id"]).users
        user = await users.create(
            {"username_type": "email", "username": "a@example.com", "profile": {"given_name": "Ada"}}
        )
        read = await users.get(user["id"])
        assert read["given_name"] == "Ada"  # 0.3.0's copy, shown beside today's field
        kept = await users.update(user["id"], {**read, "profile": {**read["profile"], "given_name": "Grace"}})
        assert (kept["given_name"], kept["profile"]["given_name"]) == ("Grace", "Grace")
        for body, fields in (
            (
                {**kept, "given_name": "One", "profile": {**kept["profile"], "given_name": "Two"}},
                ["profile.given_name", "given_name"],
            ),
            ({**kept, "email": "b@example.com", "username": "c@example.com"}, ["username", "email"]),
        ):
            with pytest.raises(ValidationError) as caught:
                await users.update(user["id"], body)
            assert [(f["field"], f["code"]) for f in caught.value.fields or []] == [(f, "conflict") for f in fields]
        assert await users.get(user["id"]) == {**kept, "_etag": kept["_etag"]}  # nothing was applied
