"""A local AuthPI emulator, for tests and offline runs.

Three ways to use it:

- in process, no socket: ``Emulator().client()`` gives an [`AuthPIAdmin`][authpi_admin.AuthPIAdmin] bound to it;
  this needs nothing beyond the SDK itself;
- over a real socket: ``with EmulatorServer() as server: AuthPIAdmin(api_key=..., base_url=server.base_url)``,
  or ``python -m authpi_admin.testing serve``; serving needs uvicorn, the ``testing`` extra (``pip install
  "authpi-admin[testing]"``);
- in pytest: the fixtures ``authpi_emulator``, ``authpi_client`` (in process) and ``authpi_server`` (served),
  from a plugin that this package registers.

Importing this package costs nothing: the emulator loads when one of its names is first used. Serving
without the extra raises [`MissingExtraError`][authpi_admin.testing.MissingExtraError], which says what to install; the
pytest plugin stays harmless in projects that do not have it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import DEFAULT_BEARER_KEY, DEFAULT_KEY_PAIR, IN_PROCESS_URL, Emulator
    from .clock import EmulatorClock
    from .control import CONTROL_PREFIX, DEFAULT_CONTROL_KEY
    from .control_client import EmulatorControl, EmulatorControlError
    from .dispatch import DroppedConnection
    from .faults import Fault, Faults
    from .server import EmulatorServer
    from .snapshot import EmulatorFileError
    from .state import Divergence, EmulatorLimits, RequestLog, WriteLog
    from .transport import EmulatorTransport

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_BEARER_KEY",
    "DEFAULT_CONTROL_KEY",
    "DEFAULT_KEY_PAIR",
    "INSTALL_HINT",
    "IN_PROCESS_URL",
    "Divergence",
    "DroppedConnection",
    "Emulator",
    "EmulatorClock",
    "EmulatorControl",
    "EmulatorControlError",
    "EmulatorFileError",
    "EmulatorLimits",
    "EmulatorServer",
    "EmulatorTransport",
    "Fault",
    "Faults",
    "MissingExtraError",
    "RequestLog",
    "WriteLog",
    "require_extra",
]

INSTALL_HINT = 'pip install "authpi-admin[testing]"'

# Each lazily loaded name, and the module (below this package) that defines it.
_HOMES = {
    "DEFAULT_BEARER_KEY": "app",
    "DEFAULT_KEY_PAIR": "app",
    "IN_PROCESS_URL": "app",
    "Emulator": "app",
    "EmulatorClock": "clock",
    "CONTROL_PREFIX": "control",
    "DEFAULT_CONTROL_KEY": "control",
    "EmulatorControl": "control_client",
    "EmulatorControlError": "control_client",
    "EmulatorFileError": "snapshot",
    "RequestLog": "state",
    "DroppedConnection": "dispatch",
    "EmulatorTransport": "transport",
    "Fault": "faults",
    "Faults": "faults",
    "EmulatorServer": "server",
    "WriteLog": "state",
    "Divergence": "state",
    "EmulatorLimits": "state",
}


class MissingExtraError(ModuleNotFoundError):
    """The emulator was served over a socket without uvicorn (the ``testing`` extra) installed."""


def require_extra() -> None:
    """Raise [`MissingExtraError`][authpi_admin.testing.MissingExtraError] unless uvicorn (the ``testing`` extra, for
    serving) can be imported."""
    try:
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise MissingExtraError(
            f"Serving the AuthPI emulator needs the testing extra ({error.name} is not installed): {INSTALL_HINT}",
            name=error.name,
        ) from error


# The names that serve over a socket, which only the testing extra (uvicorn) makes possible.
_SERVING = frozenset({"EmulatorServer"})


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _SERVING:
        require_extra()
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # looked up once
    return value
