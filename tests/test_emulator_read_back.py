"""Read, change, send back: an object read from the emulator goes back in an update as it is, in both modes;
and 0.3.0's user fields and today's stay one value, whichever a write names."""

from __future__ import annotations

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
