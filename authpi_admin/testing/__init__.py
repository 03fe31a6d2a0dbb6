"""A local AuthPI emulator, for tests and offline runs: ``pip install "authpi-admin[testing]"``.

Three ways to use it:

- in process, no socket: ``Emulator().client()`` gives an :class:`~authpi_admin.AuthPIAdmin` bound to it;
- over a real socket: ``with EmulatorServer() as server: AuthPIAdmin(api_key=..., base_url=server.base_url)``,
  or ``python -m authpi_admin.testing serve``;
- in pytest: the fixtures ``authpi_emulator``, ``authpi_client`` and ``authpi_server`` (a plugin that
  this package registers).
"""

from .app import IN_PROCESS_URL, Emulator
from .dispatch import DroppedConnection
from .faults import Fault, Faults
from .server import EmulatorServer
from .state import WriteLog

__all__ = ["IN_PROCESS_URL", "DroppedConnection", "Emulator", "EmulatorServer", "Fault", "Faults", "WriteLog"]
