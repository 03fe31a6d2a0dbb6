"""pytest fixtures for testing code that uses authpi-admin, registered by the package.

- ``authpi_emulator``: a fresh :class:`~authpi_admin.testing.Emulator` for each test;
- ``authpi_client``: an :class:`~authpi_admin.AuthPIAdmin` bound to it, in process, closed after the test;
- ``authpi_server``: one emulator served by uvicorn on loopback for the whole session.

``authpi_strict = true`` in the pytest ini makes their emulators strict (today's API only), and a test's
``@pytest.mark.authpi(strict=True)`` (or ``False``) overrides it for that test.

Loading the plugin imports nothing but this module: the emulator is imported when a fixture is first
used. The in-process fixtures need nothing more than the SDK; ``authpi_server`` needs the ``testing`` extra,
and without it a test that uses it fails with a one-line message naming what to install. ``authpi_client``
is async: pytest needs pytest-asyncio (or anyio) to run the tests that use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

from . import MissingExtraError, require_extra

if TYPE_CHECKING:
    from ..client import AuthPIAdmin
    from .app import Emulator
    from .server import EmulatorServer


_Fixture = TypeVar("_Fixture", bound=Callable[..., Any])


def _require_extra() -> None:
    try:
        require_extra()
    except MissingExtraError as error:
        message = str(error)
    else:
        return
    pytest.fail(message, pytrace=False)  # outside the except: one line, no chained traceback


def pytest_addoption(parser: pytest.Parser) -> None:
    """``authpi_strict``: the emulator fixtures refuse what today's API refuses (see the marker)."""
    parser.addini(
        "authpi_strict",
        "the authpi_* fixtures' emulators refuse what today's API refuses (a test's authpi marker overrides)",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``authpi`` marker."""
    config.addinivalue_line(
        "markers", "authpi(strict=True): the test's authpi_emulator and authpi_client are strict (or lenient)"
    )


def _strict(request: pytest.FixtureRequest) -> bool:
    """The test's ``authpi(strict=...)`` marker, else the ``authpi_strict`` ini option."""
    marker = request.node.get_closest_marker("authpi")
    if marker is not None and "strict" in marker.kwargs:
        return bool(marker.kwargs["strict"])
    return bool(request.config.getini("authpi_strict"))


@pytest.fixture
def authpi_emulator(request: pytest.FixtureRequest) -> Emulator:
    """A fresh in-memory emulator for account ``acc_test``; it accepts the key pair ``("key_test",
    "sec_test")`` (and, lenient, the bearer key ``key_test``). Strict with ``@pytest.mark.authpi(strict=True)``
    or the ini option ``authpi_strict = true``."""
    from .app import Emulator

    return Emulator(strict=_strict(request))


def _async_fixture() -> Callable[[_Fixture], _Fixture]:
    """pytest-asyncio's fixture decorator where it is installed, so the async fixture works in its strict
    mode as well as in auto mode; pytest's own elsewhere (anyio's plugin runs async fixtures itself)."""
    try:
        import pytest_asyncio
    except ImportError:
        return cast("Callable[[_Fixture], _Fixture]", pytest.fixture)
    return cast("Callable[[_Fixture], _Fixture]", pytest_asyncio.fixture)


@_async_fixture()
async def authpi_client(authpi_emulator: Emulator) -> AsyncIterator[AuthPIAdmin]:
    """An ``AuthPIAdmin`` wired to ``authpi_emulator`` with no socket, closed when the test ends."""
    async with authpi_emulator.client() as client:
        yield client


@pytest.fixture(scope="session")
def authpi_server(pytestconfig: pytest.Config) -> Iterator[EmulatorServer]:
    """An emulator served over HTTP on 127.0.0.1 (a free port) for the whole test session; strict with the
    ini option ``authpi_strict = true``."""
    _require_extra()
    from .app import Emulator
    from .server import EmulatorServer

    with EmulatorServer(Emulator(strict=bool(pytestconfig.getini("authpi_strict")))) as server:
        yield server
