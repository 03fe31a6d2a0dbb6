"""A user's project with authpi-admin[testing]: the README's fixture example, as written there."""

import pytest


@pytest.mark.authpi(strict=True)
async def test_signup_creates_a_user(authpi_client, authpi_emulator):
    issuer = await authpi_client.issuers.create({"name": "Acme"})
    await authpi_client.issuer(issuer["id"]).users.create(
        {"username_type": "email", "username": "a@example.com", "profile": {"display_name": "Ada"}}
    )
    assert authpi_emulator.store.count("users") == 1


async def test_over_a_socket(authpi_server):
    from authpi_admin import AuthPIAdmin

    async with AuthPIAdmin(api_key=("key_test", "sec_test"), base_url=authpi_server.base_url) as admin:
        created = await admin.issuers.create({"name": "Over HTTP"})
        assert (await admin.issuers.get(created["id"]))["name"] == "Over HTTP"
