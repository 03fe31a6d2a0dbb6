"""Cursor pagination: one [`Page`][authpi_admin.pagination.Page] of a list, and
[`auto_paginate`][authpi_admin.pagination.auto_paginate] over all of them."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import MalformedResponseError

__all__ = ["Page", "auto_paginate"]

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, whether more follow, and the cursor that fetches them.

    ``for item in page`` walks its items. A page that came from a list call also knows how to fetch the
    next one: ``await page.next_page()`` (None after the last page). ``invalid_count`` is the list body's
    own ``invalid_count`` (today's API's page integrity count; None when the body has none). Equality and
    ``repr`` take in all four fields.
    """

    data: list[T] = field()
    has_more: bool = field()
    next_cursor: str | None = None
    invalid_count: int | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    async def next_page(self) -> Page[T] | None:
        """The page after this one, fetched with the same call and filters; None when this is the last.

        ``RuntimeError`` for a page built by hand (it knows no call to repeat).
        """
        if not self.has_more or not self.next_cursor:
            return None
        fetch: Callable[[str], Awaitable[Page[T]]] | None = getattr(self, "_fetch_after", None)
        if fetch is None:
            raise RuntimeError("This page was not returned by a list call, so it cannot fetch the next one")
        return await fetch(self.next_cursor)

    def _continue_with(self, fetch: Callable[[str], Awaitable[Page[T]]]) -> None:
        # kept off the dataclass fields: equality and repr are about the page's content only
        object.__setattr__(self, "_fetch_after", fetch)


async def auto_paginate(fetcher: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Yield every item of every page, calling ``fetcher(cursor)`` from ``None`` until the last page.

    Only one page is held at a time, so any number of items streams in near-flat memory. A server that
    hands back cursors in a cycle, or an empty cursor with ``has_more``, would yield items again or loop
    forever: that raises [`MalformedResponseError`][authpi_admin.errors.MalformedResponseError] instead, before a page
    is fetched twice.
    """
    cursor: str | None = None
    seen = _SeenCursors()
    while True:
        page = await fetcher(cursor)
        for item in page.data:
            yield item
        if not page.has_more or page.next_cursor is None:
            return
        cursor = page.next_cursor
        if not cursor:
            # an empty cursor asks for the first page again: its items would be yielded twice
            raise _malformed("The API said more pages follow but gave an empty cursor", cursor)
        if seen.repeated(cursor):
            raise _malformed("The API repeated a pagination cursor; stopping instead of looping", cursor)


def _malformed(description: str, cursor: str) -> MalformedResponseError:
    return MalformedResponseError(status_code=200, error_description=description, raw_body=cursor)


class _SeenCursors:
    """Tells whether a cursor came before, before its page is fetched again, in constant memory.

    The last ``WINDOW`` cursors are remembered, so a cycle of up to that many pages is caught before any
    item is yielded twice. A longer cycle is still caught by Brent's algorithm, with O(1) memory, within
    about twice its length in pages.
    """

    WINDOW = 256

    def __init__(self) -> None:
        self._recent: deque[str] = deque(maxlen=self.WINDOW)
        self._recent_set: set[str] = set()
        self._saved: str | None = None
        self._power = self._steps = 1

    def repeated(self, cursor: str) -> bool:
        if cursor in self._recent_set or cursor == self._saved:
            return True
        if len(self._recent) == self.WINDOW:
            self._recent_set.discard(self._recent[0])
        self._recent.append(cursor)
        self._recent_set.add(cursor)
        if self._steps == self._power:
            self._saved, self._power, self._steps = cursor, self._power * 2, 0
        self._steps += 1
        return False
