"""pytest fixtures for testing code that uses authpi-admin, registered by the package.

- ``authpi_emulator``: a fresh [`Emulator`][authpi_admin.testing.Emulator] for each test;
- ``authpi_client``: an [`AuthPIAdmin`][authpi_admin.AuthPIAdmin] bound to it, in process, closed after the test;
- ``authpi_server``: one emulator served by uvicorn on loopback for the whole session.

``authpi_strict = true`` in the pytest ini makes their emulators strict (today's API only), and a test's
``@pytest.mark.authpi(strict=True)`` (or ``False``) overrides it for that test.

Loading the plugin imports nothing but this module: the emulator is imported when a fixture is first
used. The in-process fixtures need nothing more than the SDK; ``authpi_server`` needs the ``testing`` extra,
and without it a test that uses it fails with a one-line message naming what to install. ``authpi_client``
is async: pytest needs pytest-asyncio (or anyio) to run the tests that use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

from . import MissingExtraError, require_extra

if TYPE_CHECKING:
    from ..client import AuthPIAdmin
    from .app import Emulator
    from .server import EmulatorServer
    from .state import Divergence


_Fixture = TypeVar("_Fixture", bound=Callable[..., Any])


def _require_extra() -> None:
    try:
        require_extra()
    except MissingExtraError as error:
        message = str(error)
    else:
        return
    pytest.fail(message, pytrace=False)  # outside the except: one line, no chained traceback


# The requests the fixtures' lenient emulators accepted that today's API refuses, with the test that sent them.
_DIVERGED = pytest.StashKey[list[tuple[str, "Divergence"]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``authpi_strict``: the emulator fixtures refuse what today's API refuses (see the marker);
    ``authpi_divergences``: ``report`` (a summary at the end) or ``fail`` (the test that sent one fails)."""
    parser.addini(
        "authpi_strict",
        "the authpi_* fixtures' emulators refuse what today's API refuses (a test's authpi marker overrides)",
        type="bool",
        default=False,
    )
    parser.addini(
        "authpi_divergences",
        "what to do with requests a lenient emulator accepted that today's API refuses: report (default) or fail",
        default="report",
    )


def _diverged(config: pytest.Config) -> list[tuple[str, Divergence]]:
    return config.stash.setdefault(_DIVERGED, [])


# The fixtures whose emulators a test's requests reach: what each holds, as the emulator.
_EMULATOR_OF: dict[str, Callable[[Any], Emulator]] = {
    "authpi_emulator": lambda emulator: cast("Emulator", emulator),
    "authpi_server": lambda server: cast("EmulatorServer", server).emulator,
}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Around a test's own call: what its fixtures' emulators (in process or served) accepted that today's
    API refuses is the test's, named by it; with ``authpi_divergences = fail``, the test fails (in its call,
    not as a teardown error)."""
    fixtures = getattr(item, "funcargs", {})
    emulators = [emulator_of(fixtures[name]) for name, emulator_of in _EMULATOR_OF.items() if name in fixtures]
    marks = [(emulator, emulator.state.divergence_count) for emulator in emulators]
    try:
        outcome = yield
    except BaseException:
        _keep_divergences(item, marks)  # the test failed already: its own failure is what it reports
        raise
    found = _keep_divergences(item, marks)
    if found and item.config.getini("authpi_divergences") == "fail":
        reasons = sorted({reason for divergence in found for reason in divergence.reasons})
        pytest.fail(f"the AuthPI emulator accepted what today's API refuses: {'; '.join(reasons)}", pytrace=False)
    return outcome


def _keep_divergences(item: pytest.Item, marks: list[tuple[Emulator, int]]) -> list[Divergence]:
    """Remember, under the test's name, what each emulator accepted since its mark that today's API
    refuses; what was found."""
    found = [divergence for emulator, mark in marks for divergence in emulator.state.divergences_since(mark)]
    _diverged(item.config).extend((item.nodeid, divergence) for divergence in found)
    return found


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """What the lenient emulators accepted that today's API refuses, grouped by reason, naming the tests."""
    diverged = config.stash.get(_DIVERGED, [])
    if not diverged:
        return
    by_reason: dict[str, list[str]] = {}
    for owner, divergence in diverged:
        for reason in divergence.reasons:
            by_reason.setdefault(reason, []).append(owner)
    terminalreporter.section("AuthPI emulator: requests today's API would refuse")
    for reason, owners in sorted(by_reason.items()):
        tests = sorted(set(owners))
        terminalreporter.write_line(f"{reason}: {len(owners)} request(s), from {len(tests)} test(s)")
        for test in tests:
            terminalreporter.write_line(f"    {test}")
    terminalreporter.write_line("strict mode refuses these: authpi_strict = true, or @pytest.mark.authpi(strict=True)")


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
def authpi_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A fresh in-memory emulator for account ``acc_test``; it accepts the key pair ``("key_test",
    "sec_test")`` (and, lenient, the bearer key ``key_test``). Strict with ``@pytest.mark.authpi(strict=True)``
    or the ini option ``authpi_strict = true``; lenient, what it accepted that today's API refuses is
    reported at the end of the session (or fails the test, with ``authpi_divergences = fail``)."""
    from .app import Emulator

    emulator = Emulator(strict=_strict(request))
    try:
        yield emulator
    finally:
        emulator.close()


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
    server.emulator.close()
