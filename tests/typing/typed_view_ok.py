"""Must pass ``mypy --strict`` and pyright: the typed view answers models, the plain calls dicts."""

from collections.abc import AsyncIterator
from typing import Any, assert_type

from authpi_admin import AuthPIAdmin, Page, RawResponse
from authpi_admin.generated.models import Issuer, IssuerUsersListItem, Note, User


async def main(admin: AuthPIAdmin) -> None:
    typed = admin.typed
    issuer = await typed.issuers.create({"name": "Acme"})
    assert_type(issuer, Issuer)
    assert_type(await typed.issuer(issuer.id).get(), Issuer)
    users = typed.issuer(issuer.id).users
    assert_type(await users.get("usr_1"), User)
    assert_type(await users.list(limit=5), Page[IssuerUsersListItem])
    assert_type(users.list_all(), AsyncIterator[IssuerUsersListItem])
    assert_type(await users.delete("usr_1"), None)
    assert_type(await typed.notes.backlinks("user", "usr_1"), list[Note])
    raw = await users.with_raw_response.get("usr_1")
    assert_type(raw, RawResponse[User])
    assert_type(raw.parse(), User)
    assert_type(await admin.with_options(timeout=5).typed.issuers.get("iss_1"), Issuer)
    # a boolean filter takes a bool (and 0.3.0's string)
    await admin.issuer("iss_1").organizations.list(sso_enabled=True, mfa_required="false")
    # the plain calls keep their 0.3.0 answers
    assert_type(await admin.issuers.get("iss_1"), dict[str, Any])
    assert_type(await admin.issuer("iss_1").get(), Any)
