"""Paged list helpers for Admin API endpoints that take `first` and `max`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100


def iter_pages(
    fetch: Callable[[int, int], list[T]], page_size: int = DEFAULT_PAGE_SIZE
) -> Iterator[T]:
    """Yield every item of fetch(first, max), one page at a time.

    Stops at the first short page. Some endpoints ignore first/max on older
    versions and return everything: a page longer than asked for, or a page
    that starts with the same item as the previous one, ends the iteration so
    nothing is yielded twice.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    first = 0
    previous_head: T | None = None
    while True:
        page = fetch(first, page_size)
        if not page or (previous_head is not None and page[0] == previous_head):
            return
        yield from page
        if len(page) != page_size:
            return
        previous_head = page[0]
        first += page_size
