"""Reading every item modified after a mark, page by page, without skipping any.

Zoho pages by offset over a list sorted by last_modified_time, and an item edited between two
page reads moves to the end and shifts the rest: the next page would start one item late. A
listing therefore moves on in one of two ways after each page:

- it asks again from the last modification it has read (less a second: whether Zoho's filter is
  inclusive is not confirmed), dropping what it has already taken: a shift cannot hide anything,
  and it costs a re-read of the page's last second; or,
- when that second holds much of the page (items saved together, as an import saves them), it
  turns the page instead, and keeps watch: an item seen again after a turn was edited meanwhile
  (with a new stamp, or within its second) and may have shifted an item past a page boundary, so
  once the listing is done it reads again from that item's old place to the last boundary turned.

An item edited during the listing is read again with its new figures.
"""

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storefront.db.base import utcnow
from storefront.erp.client import ItemReader
from storefront.erp.items import parse_zoho_time

# Zoho's timestamps are whole seconds.
_INCLUSIVE = timedelta(seconds=1)
# Ask again from the last second read when it holds at most this share of a page, else turn the page.
_RESTART_SHARE = 0.25
_EARLIEST = datetime.min.replace(tzinfo=UTC)


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


@dataclass(frozen=True, slots=True)
class _Turn:
    """A page turned by offset: the query's window began at `start`, the page ended at `end`."""

    start: datetime | None
    end: datetime


@dataclass
class _Watch:
    """What a listing has taken (its modification stamp by item id), the pages it turned, what moved.

    A full listing takes every item of the catalog: a stamp is kept as the ERP wrote it (items
    saved together share one string) and read as a time only when an item is seen again.
    """

    taken: dict[str, str] = field(default_factory=dict)
    turns: list[_Turn] = field(default_factory=list)
    moved_from: list[datetime] = field(default_factory=list)

    def take(self, raw: dict[str, Any], *, after_turn: bool) -> tuple[bool, datetime | None]:
        """Whether the item is new to the listing (or changed since), and its modification time."""
        item_id = str(raw.get("item_id") or "")
        stamp = sys.intern(str(raw.get("last_modified_time") or ""))
        modified = parse_zoho_time(stamp)
        known = self.taken.get(item_id)
        if known is not None and (known != stamp or after_turn):
            # Seen again after a turn, or with a new stamp: it moved, the pages after it shifted.
            known_at = parse_zoho_time(known)
            if known_at is not None:
                self.moved_from.append(known_at)
        if known == stamp:
            return False, modified
        self.taken[item_id] = stamp
        return True, modified

    def shifted(self) -> tuple[datetime, datetime] | None:
        """From where to where to read again: from the earliest moved item's old place to the last
        boundary turned after it; None when no move could have hidden anything."""
        ends = [
            turn.end
            for turn in self.turns
            for moved in self.moved_from
            if (turn.start is None or turn.start <= moved) and moved <= turn.end
        ]
        if not ends:
            return None
        return min(self.moved_from), max(ends)


async def list_modified(reader: ItemReader, start: Cursor) -> AsyncIterator[ListingPage]:
    watch = _Watch()
    cursor = start
    newest = cursor.mark
    while True:
        read_at = utcnow()
        after = cursor.mark - _INCLUSIVE if cursor.mark is not None else None
        answer = await reader.list_items(page=cursor.page, modified_after=after)
        fresh = []
        times = []
        for raw in answer.items:
            is_new, modified = watch.take(raw, after_turn=cursor.page > 1)
            if modified is not None:
                times.append(modified)
            if is_new:
                fresh.append(raw)
        newest = max([*times, *([newest] if newest is not None else [])], default=None)
        if not answer.has_more or not answer.items:
            yield ListingPage(fresh, Cursor(newest, 1), read_at)
            break
        last_second = sum(1 for moment in times if newest is not None and moment >= newest - _INCLUSIVE)
        if newest is not None and newest != cursor.mark and last_second <= _RESTART_SHARE * len(answer.items):
            cursor = Cursor(newest, 1)
        else:
            watch.turns.append(_Turn(after, newest or _EARLIEST))
            cursor = Cursor(cursor.mark, cursor.page + 1)
        yield ListingPage(fresh, cursor, read_at)
    shifted = watch.shifted()
    if shifted is not None:
        async for page in _read_again(reader, watch, *shifted, Cursor(newest, 1)):
            yield page


async def _read_again(
    reader: ItemReader, watch: _Watch, since: datetime, until: datetime, end: Cursor
) -> AsyncIterator[ListingPage]:
    """Read from `since` to past `until` once more: what a shift hid, and items edited within their
    second (an edit in the same second keeps its stamp: those seconds are given whole)."""
    moved_seconds = set(watch.moved_from)
    page = 1
    while True:
        read_at = utcnow()
        answer = await reader.list_items(page=page, modified_after=since - _INCLUSIVE)
        fresh = []
        past = False
        for raw in answer.items:
            is_new, modified = watch.take(raw, after_turn=False)
            if is_new or modified in moved_seconds:
                fresh.append(raw)
            past = past or (modified is not None and modified > until)
        yield ListingPage(fresh, end, read_at)
        if past or not answer.has_more or not answer.items:
            return
        page += 1
