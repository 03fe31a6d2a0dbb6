"""pytest fixtures for testing code that uses authpi-admin, registered by the package.

- ``authpi_emulator``: a fresh :class:`~authpi_admin.testing.Emulator` for each test;
- ``authpi_client``: an :class:`~authpi_admin.AuthPIAdmin` bound to it, in process;
- ``authpi_server``: one emulator served by uvicorn on loopback for the whole session.

The emulator's own dependencies (the ``testing`` extra) are imported only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..client import AuthPIAdmin
    from .app import Emulator
    from .server import EmulatorServer


@pytest.fixture
def authpi_emulator() -> Emulator:
    """A fresh in-memory emulator; its API key is ``key_test`` for account ``acc_test``."""
    from .app import Emulator

    return Emulator()


@pytest.fixture
def authpi_client(authpi_emulator: Emulator) -> AuthPIAdmin:
    """An ``AuthPIAdmin`` wired to ``authpi_emulator`` with no socket."""
    return authpi_emulator.client()


@pytest.fixture(scope="session")
def authpi_server() -> Iterator[EmulatorServer]:
    """An emulator served over HTTP on 127.0.0.1 (a free port) for the whole test session."""
    from .server import EmulatorServer

    with EmulatorServer() as server:
        yield server
