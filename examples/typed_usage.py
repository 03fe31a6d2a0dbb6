"""A typed tour of the SDK, checked by ``mypy --strict`` in CI: what user code sees, with no casts.

uv run examples/typed_usage.py
"""

from __future__ import annotations

import asyncio
from typing import Any

from authpi_admin import AuthPIAdmin, Page, RateLimitError, ValidationError
from authpi_admin.generated.models import Event, WebhookListItem
from authpi_admin.testing import Emulator


async def tour(admin: AuthPIAdmin) -> None:
    """Every return shape: dict with ``_etag``, ``Page``, models, an async iterator, None."""
    issuer: dict[str, Any] = await admin.issuers.create({"name": "Typed"})
    scope = admin.issuer(issuer["id"])
    agent: dict[str, Any] = await scope.agents.create({"name": "bot", "model": "m-1"})
    etag: str | None = agent.get("_etag")
    page: Page[dict[str, Any]] = await scope.agents.list(limit=5, status="active")
    assert page.data[0]["id"] == agent["id"]
    await scope.agents.update(agent["id"], {"description": "helps"}, if_match=etag)

    await admin.webhooks.create(
        {"name": "audit", "url": "https://hooks.example.com/a", "auth": {"type": "none"}, "events": ["*"]}
    )
    hooks: Page[WebhookListItem] = await admin.webhooks.list()
    print("webhook:", hooks.data[0].name, hooks.data[0].url)

    try:
        await scope.users.create({"email": "not-an-email"})
    except ValidationError as error:
        fields: list[Any] = error.fields
        print("validation failed on:", [f["field"] for f in fields])
    except RateLimitError as error:
        wait: int | None = error.retry_after
        print("rate limited, retry after", wait)

    async for event in admin.events.list_all(event_types="agent.created"):
        typed: Event = event
        print("event:", typed.type, typed.subject)

    await scope.agents.delete(agent["id"])


async def main() -> None:
    """Run the tour in process against a fresh emulator."""
    async with Emulator().client() as admin:
        await tour(admin)


if __name__ == "__main__":
    asyncio.run(main())
