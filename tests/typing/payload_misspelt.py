"""Must fail ``mypy --strict``: a misspelt key, and a misspelt enum value, in annotated payloads."""

from authpi_admin import AuthPIAdmin
from authpi_admin.types import IssuerCreate, UserCreate


async def main(admin: AuthPIAdmin) -> None:
    issuer: IssuerCreate = {"nmae": "Acme"}
    await admin.issuers.create(issuer)
    user: UserCreate = {"username_type": "emali", "username": "a@example.com", "profile": {}}
    await admin.issuer("i_1").users.create(user)
