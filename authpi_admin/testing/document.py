"""The OpenAPI document the emulator serves, read by the SDK's one document reader.

The document ships inside the package (``authpi_admin/generated/openapi.json``, copied there by the
generator from ``openapi/authpi-core.json``) so the emulator is faithful to it without the repo.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from .._openapi import ApiDocument

__all__ = ["load_document"]


@cache
def load_document() -> ApiDocument:
    """The OpenAPI document bundled with the package (parsed and checked once)."""
    text = resources.files("authpi_admin.generated").joinpath("openapi.json").read_text(encoding="utf-8")
    return ApiDocument(json.loads(text))
