"""Uses a fixture of the plugin in a project without the testing extra: must fail, naming the extra."""


async def test_with_the_emulator(authpi_client) -> None:
    await authpi_client.issuers.list()
