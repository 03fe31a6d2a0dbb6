"""``AUTHPI_LOG=debug`` (or ``info``) in the environment turns the SDK's logger on, with a handler."""

from __future__ import annotations

import logging
import os

__all__ = ["configure_from_environment"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def configure_from_environment() -> None:
    """Read ``AUTHPI_LOG`` once, at import: set the ``authpi_admin`` logger's level and give it a handler.

    Without the variable nothing is configured, and logging stays the application's to set up.
    """
    level = _LEVELS.get(os.environ.get("AUTHPI_LOG", "").strip().lower())
    if level is None:
        return
    logger = logging.getLogger("authpi_admin")
    logger.setLevel(level)
    if not any(getattr(handler, "authpi_admin", False) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.authpi_admin = True  # type: ignore[attr-defined]  # marks the handler as ours
        logger.addHandler(handler)
