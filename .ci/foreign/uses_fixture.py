"""Uses the served emulator's fixture in a project without the testing extra: must fail, naming the extra."""


def test_with_the_served_emulator(authpi_server) -> None:
    assert authpi_server.base_url
