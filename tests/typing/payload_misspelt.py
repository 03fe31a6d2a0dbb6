"""Must fail ``mypy --strict``: a misspelt key in an annotated payload."""

from authpi_admin import AuthPIAdmin
from authpi_admin.types import IssuerCreate


async def main(admin: AuthPIAdmin) -> None:
    issuer: IssuerCreate = {"nmae": "Acme"}
    await admin.issuers.create(issuer)
