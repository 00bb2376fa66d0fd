"""Reading every item modified after a mark, page by page, without skipping any.

Zoho pages by offset over a list sorted by last_modified_time, and an item edited between two
page reads moves to the end and shifts the rest: the next page would start one item late. So
the listing asks again from the last modification it has read (less a second: whether Zoho's
filter is inclusive is not confirmed) instead of asking for the next page, and drops what it has
already taken. Only when a whole page lies within one second must it turn the page; if an item
of such a second is later seen again (edited meanwhile, so the pages after it shifted), that
second is read once more at the end. An item edited meanwhile is read again with its new figures.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storefront.db.base import utcnow
from storefront.erp.client import ItemReader
from storefront.erp.items import parse_zoho_time

# Zoho's timestamps are whole seconds.
_INCLUSIVE = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a listing stands: items modified after `mark` remain, read from `page` of that query."""

    mark: datetime | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class ListingPage:
    items: list[dict[str, Any]]  # new to this listing (or newer than when it was taken)
    cursor: Cursor  # where to go on from, once these items are written
    read_at: datetime  # no later than the ERP read these items


@dataclass
class _Taken:
    """What a listing has taken, by item id: the modification stamp and its time."""

    stamps: dict[str, tuple[str, datetime | None]] = field(default_factory=dict)
    # Seconds read by turning pages, the items read in them, and those of them to read again.
    paged_seconds: dict[str, datetime] = field(default_factory=dict)
    reread: set[datetime] = field(default_factory=set)

    def take(self, raw: dict[str, Any], *, turned: bool = False) -> tuple[bool, datetime | None]:
        """Whether the item is new to the listing (or changed since), and its modification time.

        `turned`: the item comes from a page turned within one second. Seen there again, an item
        of that second has moved (edited within the second), and the pages after it shifted.
        """
        item_id = str(raw.get("item_id") or "")
        stamp = str(raw.get("last_modified_time") or "")
        modified = parse_zoho_time(stamp)
        known = self.stamps.get(item_id)
        second = self.paged_seconds.get(item_id)
        if second is not None and (second != modified or turned):
            self.reread.add(second)
        if known is not None and known[0] == stamp:
            return False, modified
        self.stamps[item_id] = (stamp, modified)
        return True, modified

    def note_paged(self, items: list[dict[str, Any]], second: datetime) -> None:
        for raw in items:
            if parse_zoho_time(str(raw.get("last_modified_time") or "")) == second:
                self.paged_seconds[str(raw.get("item_id") or "")] = second

    def forget_before(self, floor: datetime) -> None:
        """Only the last second's items can come again unchanged: let older entries go."""
        self.stamps = {
            key: value for key, value in self.stamps.items() if value[1] is None or value[1] >= floor
        }


async def list_modified(reader: ItemReader, start: Cursor) -> AsyncIterator[ListingPage]:
    taken = _Taken()
    cursor = start
    while True:
        read_at = utcnow()
        items, has_more, newest = await _read(reader, cursor, taken)
        if not has_more:
            yield ListingPage(items.fresh, Cursor(newest, 1), read_at)
            break
        if newest is not None and newest != cursor.mark:
            # Moved on in time: ask again from there.
            cursor = Cursor(newest, 1)
            taken.forget_before(newest - _INCLUSIVE)
        else:
            # A whole page within one second: turn the page, within that second.
            if cursor.mark is not None:
                taken.note_paged(items.all, cursor.mark)
            cursor = Cursor(cursor.mark, cursor.page + 1)
        yield ListingPage(items.fresh, cursor, read_at)
    end = Cursor(newest, 1)
    for second in sorted(taken.reread):
        async for page in _reread_second(reader, second, taken, end):
            yield page


@dataclass
class _Answer:
    all: list[dict[str, Any]]
    fresh: list[dict[str, Any]]


async def _read(reader: ItemReader, cursor: Cursor, taken: _Taken) -> tuple[_Answer, bool, datetime | None]:
    after = cursor.mark - _INCLUSIVE if cursor.mark is not None else None
    answer = await reader.list_items(page=cursor.page, modified_after=after)
    fresh = []
    newest = cursor.mark
    for raw in answer.items:
        is_new, modified = taken.take(raw, turned=cursor.page > 1)
        if modified is not None and (newest is None or modified > newest):
            newest = modified
        if is_new:
            fresh.append(raw)
    return _Answer(answer.items, fresh), answer.has_more and bool(answer.items), newest


async def _reread_second(
    reader: ItemReader, second: datetime, taken: _Taken, end: Cursor
) -> AsyncIterator[ListingPage]:
    """Read one second again, page by page, until the pages go past it. Every item of the second is
    given again (an edit within the same second keeps its stamp): unchanged ones are not written."""
    page = 1
    while True:
        read_at = utcnow()
        answer = await reader.list_items(page=page, modified_after=second - _INCLUSIVE)
        fresh = []
        past = False
        for raw in answer.items:
            is_new, modified = taken.take(raw)
            if modified == second or is_new:
                fresh.append(raw)
            past = past or (modified is not None and modified > second)
        yield ListingPage(fresh, end, read_at)
        if past or not answer.has_more or not answer.items:
            return
        page += 1
