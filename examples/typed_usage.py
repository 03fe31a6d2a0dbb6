"""A typed tour of the SDK, in today's API shapes, checked by ``mypy --strict`` in CI and run by the tests.

uv run examples/typed_usage.py

What user code sees, with no casts: the plain calls (0.3.0's answers: dicts with ``_etag``, pages, three
lists of models), the typed view ``admin.typed`` (today's model for every call), raw responses and typed
errors. It runs against a strict emulator, which refuses what today's API refuses.
"""

from __future__ import annotations

import asyncio
from typing import Any

from authpi_admin import AuthPIAdmin, Page, RawResponse, ValidationError, WebhookEventType
from authpi_admin.generated.models import Agent, Event, IssuerUsersListItem, User, WebhookListItem
from authpi_admin.testing import Emulator
from authpi_admin.types import CreateWebhookInput, UserCreate


async def plain_answers(admin: AuthPIAdmin) -> str:
    """0.3.0's answers: a dict with ``_etag``, a ``Page`` of dicts, ``None``; the issuer's id for the rest."""
    issuer: dict[str, Any] = await admin.issuers.create({"name": "Typed"})
    scope = admin.issuer(issuer["id"])
    agent: dict[str, Any] = await scope.agents.create({"name": "bot", "model": "m-1"})
    etag: str | None = agent.get("_etag")
    page: Page[dict[str, Any]] = await scope.agents.list(limit=5, status="active")
    assert page.data[0]["id"] == agent["id"]
    await scope.agents.update(agent["id"], {"description": "helps"}, if_match=etag)

    hook: CreateWebhookInput = {
        "name": "audit",
        "url": "https://hooks.example.com/a",
        "auth": {"type": "none"},
        "events": [WebhookEventType.AGENT_CREATED, "user.created"],  # a member or its value
    }
    await admin.webhooks.create(hook)
    hooks: Page[WebhookListItem] = await admin.webhooks.list()  # one of the three lists that answer models
    print("webhook:", hooks.data[0].name, hooks.data[0].url)

    async for event in admin.events.list_all(event_types="agent.created"):
        typed: Event = event
        print("event:", typed.type, typed.subject)
    return str(issuer["id"])


async def typed_answers(admin: AuthPIAdmin, issuer_id: str) -> None:
    """The typed view: the same calls, answering today's models."""
    users = admin.typed.issuer(issuer_id).users
    alice: UserCreate = {"username_type": "email", "username": "alice@example.com", "profile": {"display_name": "A"}}
    user: User = await users.create(alice)
    print("user:", user.id, user.username, user._etag)
    listed: Page[IssuerUsersListItem] = await users.list(limit=10)
    print("users:", [item.user_id for item in listed.data])
    agents: list[Agent] = [agent async for agent in admin.typed.issuer(issuer_id).agents.list_all()]
    print("agents:", [agent.name for agent in agents])
    raw: RawResponse[User] = await users.with_raw_response.get(user.id)
    print("raw:", raw.status_code, raw.headers["etag"], raw.retries_taken, raw.parse().username)
    await users.delete(user.id)  # None: a 204


async def typed_errors(admin: AuthPIAdmin, issuer_id: str) -> None:
    """A body today's API refuses is a ``ValidationError`` naming each field."""
    try:
        await admin.issuer(issuer_id).users.create({"username_type": "email", "profile": {}})
    except ValidationError as error:
        fields: list[Any] = error.fields
        print("validation failed on:", [field["field"] for field in fields])


async def main() -> None:
    """Run the tour in process against a fresh, strict emulator."""
    async with Emulator(strict=True).client() as admin:
        issuer_id = await plain_answers(admin)
        await typed_answers(admin, issuer_id)
        await typed_errors(admin, issuer_id)


if __name__ == "__main__":
    asyncio.run(main())
