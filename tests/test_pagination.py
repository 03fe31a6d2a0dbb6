"""Page and auto_paginate."""

from __future__ import annotations

import dataclasses

import pytest

from authpi_admin import Page
from authpi_admin.pagination import auto_paginate


def test_page_is_a_frozen_generic_dataclass() -> None:
    page: Page[int] = Page(data=[1, 2], has_more=True, next_cursor="c2")
    assert (page.data, page.has_more, page.next_cursor) == ([1, 2], True, "c2")
    assert Page(data=[], has_more=False).next_cursor is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.has_more = False  # type: ignore[misc]
    assert Page[int](data=[1], has_more=False) == Page(data=[1], has_more=False)


async def test_auto_paginate_follows_cursors_until_the_last_page() -> None:
    pages = {
        None: Page(data=[1, 2], has_more=True, next_cursor="b"),
        "b": Page(data=[3], has_more=True, next_cursor="c"),
        "c": Page(data=[4, 5], has_more=False, next_cursor=None),
    }
    asked: list[str | None] = []

    async def fetch(cursor: str | None) -> Page[int]:
        asked.append(cursor)
        return pages[cursor]

    assert [item async for item in auto_paginate(fetch)] == [1, 2, 3, 4, 5]
    assert asked == [None, "b", "c"]


async def test_auto_paginate_stops_when_the_cursor_is_missing() -> None:
    asked: list[str | None] = []

    async def fetch(cursor: str | None) -> Page[str]:
        asked.append(cursor)
        return Page(data=["only"], has_more=True, next_cursor=None)

    assert [item async for item in auto_paginate(fetch)] == ["only"]
    assert asked == [None]


async def test_auto_paginate_is_lazy() -> None:
    asked: list[str | None] = []

    async def fetch(cursor: str | None) -> Page[int]:
        asked.append(cursor)
        return Page(data=[len(asked)], has_more=True, next_cursor=f"c{len(asked)}")

    iterator = auto_paginate(fetch)
    assert asked == []
    assert await anext(iterator) == 1
    assert await anext(iterator) == 2
    assert asked == [None, "c1"]
