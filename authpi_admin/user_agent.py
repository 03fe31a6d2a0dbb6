"""The ``user-agent`` string the SDK sends with every request."""

from __future__ import annotations

import sys

from ._version import SDK_VERSION


def build_user_agent() -> str:
    """Return ``authpi-admin-py/<sdk> Python/<x.y.z> (<system>; <machine>)``, platform names lower-case."""
    import platform  # at first use: the string is built once per client, not at import

    version = sys.version_info
    python = f"{version.major}.{version.minor}.{version.micro}"
    system = platform.system().lower() or "unknown"
    machine = platform.machine().lower() or "unknown"
    return f"authpi-admin-py/{SDK_VERSION} Python/{python} ({system}; {machine})"
