"""Must pass ``mypy --strict``: annotated payloads handed to their methods."""

from authpi_admin import AuthPIAdmin, WebhookEventType
from authpi_admin.types import CreateIssuerInput, CreateWebhookInput, IssuerCreate, UserCreate


async def main(admin: AuthPIAdmin) -> None:
    issuer: CreateIssuerInput = {"name": "Acme", "description": None}
    await admin.issuers.create(issuer)
    plain: IssuerCreate = {"name": "Acme", "metadata": {"tier": "gold"}}
    await admin.issuers.create(plain)
    hook: CreateWebhookInput = {
        "name": "audit",
        "url": "https://example.com/hook",
        "auth": {"type": "none"},
        "events": ["user.created"],
        "description": None,
    }
    await admin.webhooks.create(hook)
    user: UserCreate = {"username_type": "email", "username": "a@example.com", "profile": {}, "status": "active"}
    await admin.issuer("i_1").users.create(user)
    # an enum field takes the enum's members as well as its values
    audit: CreateWebhookInput = {
        "name": "audit",
        "url": "https://example.com/hook",
        "auth": {"type": "none"},
        "events": [WebhookEventType.USER_CREATED, "user.deleted"],
    }
    await admin.webhooks.create(audit)
