"""pytest fixtures for testing code that uses authpi-admin, registered by the package.

- ``authpi_emulator``: a fresh :class:`~authpi_admin.testing.Emulator` for each test;
- ``authpi_client``: an :class:`~authpi_admin.AuthPIAdmin` bound to it, in process;
- ``authpi_server``: one emulator served by uvicorn on loopback for the whole session.

Loading the plugin imports nothing but this module: the emulator and its dependencies (the ``testing``
extra) are imported when a fixture is first used. Without the extra, a test that uses a fixture fails with
a one-line message naming what to install; every other test is untouched. ``authpi_client`` is async:
pytest needs pytest-asyncio (or anyio) to run the tests that use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from . import MissingExtraError, require_extra

if TYPE_CHECKING:
    from ..client import AuthPIAdmin
    from .app import Emulator
    from .server import EmulatorServer


def _require_extra() -> None:
    try:
        require_extra()
    except MissingExtraError as error:
        message = str(error)
    else:
        return
    pytest.fail(message, pytrace=False)  # outside the except: one line, no chained traceback


@pytest.fixture
def authpi_emulator() -> Emulator:
    """A fresh in-memory emulator; its API key is ``key_test`` for account ``acc_test``."""
    _require_extra()
    from .app import Emulator

    return Emulator()


@pytest.fixture
def authpi_client(authpi_emulator: Emulator) -> AuthPIAdmin:
    """An ``AuthPIAdmin`` wired to ``authpi_emulator`` with no socket."""
    return authpi_emulator.client()


@pytest.fixture(scope="session")
def authpi_server() -> Iterator[EmulatorServer]:
    """An emulator served over HTTP on 127.0.0.1 (a free port) for the whole test session."""
    _require_extra()
    from .server import EmulatorServer

    with EmulatorServer() as server:
        yield server
