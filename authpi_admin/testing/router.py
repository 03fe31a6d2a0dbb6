"""Finding the route of a path by walking an index of its segments, not by trying every pattern in turn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["Router"]

T = TypeVar("T")

# How many matched paths a router remembers (then it starts over).
_RECENT_PATHS = 1024


@dataclass
class _Node(Generic[T]):
    literals: dict[str, _Node[T]] = field(default_factory=dict)
    placeholders: dict[str, _Node[T]] = field(default_factory=dict)  # by parameter name
    value: T | None = None


class Router(Generic[T]):
    """Templates such as ``/v1/accounts/{account_id}/users`` mapped to values, matched segment by segment.

    A literal segment wins over a placeholder at the same place (``/notes/count`` before
    ``/notes/{note_id}``); a placeholder matches one non-empty segment; placeholders of different names at
    one place are tried in the order their templates were given.
    """

    def __init__(self, routes: Mapping[str, T]) -> None:
        self._root: _Node[T] = _Node()
        self._recent: dict[str, tuple[T, dict[str, str]] | None] = {}  # a test asks for the same paths often
        for template, value in routes.items():
            node = self._root
            for segment in template.strip("/").split("/"):
                if segment.startswith("{") and segment.endswith("}"):
                    node = node.placeholders.setdefault(segment[1:-1], _Node())
                else:
                    node = node.literals.setdefault(segment, _Node())
            node.value = value

    def match(self, path: str) -> tuple[T, dict[str, str]] | None:
        """The value for ``path`` and the placeholders' values, or None when no template matches."""
        if path in self._recent:
            found = self._recent[path]
            return None if found is None else (found[0], dict(found[1]))  # a copy: the caller may change it
        params: dict[str, str] = {}
        value = self._walk(self._root, path[1:].split("/"), 0, params) if path.startswith("/") else None
        found = None if value is None else (value, dict(reversed(params.items())))  # in the path's order
        if len(self._recent) >= _RECENT_PATHS:
            self._recent.clear()
        self._recent[path] = found
        return None if found is None else (found[0], dict(found[1]))

    def _walk(self, node: _Node[T], segments: list[str], at: int, params: dict[str, str]) -> T | None:
        if at == len(segments):
            return node.value
        segment = segments[at]
        literal = node.literals.get(segment)
        if literal is not None:
            found = self._walk(literal, segments, at + 1, params)
            if found is not None:
                return found
        if not segment:
            return None
        for name, placeholder in node.placeholders.items():
            found = self._walk(placeholder, segments, at + 1, params)
            if found is not None:
                params[name] = segment
                return found
        return None
