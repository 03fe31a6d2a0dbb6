"""Cursor pagination: one :class:`Page` of a list, and :func:`auto_paginate` over all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import MalformedResponseError

__all__ = ["Page", "auto_paginate"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, whether more follow, and the cursor that fetches them."""

    data: list[T] = field()
    has_more: bool = field()
    next_cursor: str | None = None


async def auto_paginate(fetcher: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Yield every item of every page, calling ``fetcher(cursor)`` from ``None`` until the last page.

    Only one page is held at a time, so any number of items streams in flat memory. A server that hands
    back cursors in a cycle would loop forever: that raises :class:`MalformedResponseError` instead, at
    the latest after about twice the cycle's length in pages.
    """
    cursor: str | None = None
    # Brent's cycle detection: a repeated cursor is found with O(1) memory, so the walk stays flat
    # however many pages there are (a set of every cursor seen would grow with the list).
    saved: str | None = None
    power = steps = 1
    while True:
        page = await fetcher(cursor)
        for item in page.data:
            yield item
        if not page.has_more or page.next_cursor is None:
            return
        cursor = page.next_cursor
        if cursor == saved:
            raise MalformedResponseError(
                status_code=200,
                error_description="The API repeated a pagination cursor; stopping instead of looping",
                raw_body=cursor,
            )
        if steps == power:
            saved, power, steps = cursor, power * 2, 0
        steps += 1
