"""Stock changes that leave every list as it is: only the entries that show those products go stale.

An order that does not sell a product out changes that product's stock figure and nothing else
(which products are listed, and in what order, stay the same). Rather than replace the catalog's
version, which would make every process miss on every catalog read, the change is appended to a
feed: a sequence number and the products it touched. Each entry records the products it shows
and the sequence number read before it was computed; each process follows the feed (it comes back
with every version read) and keeps, per product, the number of its latest change. An entry is
current when none of its products changed after it was computed.
"""

import uuid
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

# The products a computation showed, gathered while it runs.
_shown: ContextVar[set[bytes] | None] = ContextVar("storefront_cache_shown_products", default=None)

# Past this many products changed since the window began, the window starts again (memory bound).
MAX_REMEMBERED_PRODUCTS = 200_000


def shown(product_id: uuid.UUID) -> None:
    """Note that the answer being computed shows this product's stock."""
    products = _shown.get()
    if products is not None:
        products.add(product_id.bytes)


class ShownProducts:
    """Gathers the products shown by the computation run inside it (`with ShownProducts() as s`)."""

    def __init__(self) -> None:
        self.products: set[bytes] = set()

    def __enter__(self) -> "ShownProducts":
        self._token = _shown.set(self.products)
        return self

    def __exit__(self, *_: object) -> None:
        _shown.reset(self._token)


@dataclass(frozen=True, slots=True)
class StockChanges:
    """The feed as a version read found it: its latest number, and the changes after the number
    the reader knew (in order), unless some of them are no longer kept (`complete` is False)."""

    seq: int
    changes: Sequence[tuple[int, Sequence[bytes]]]
    complete: bool


class StockClock:
    """This process's view of the feed: the latest change of each product within a window.

    Entries computed before the window began are not current: what changed before then is
    forgotten. The window starts again when the feed cannot be followed (a gap, a Redis that
    restarted empty) or remembers too many products."""

    def __init__(self) -> None:
        self.seq: int | None = None
        self.window_start = 0
        self._latest_change = 0
        self._changed: dict[bytes, int] = {}

    def follow(self, read: StockChanges) -> None:
        if self.seq is None or read.seq < self.seq or not read.complete:
            self._restart(read.seq)
            return
        for seq, products in read.changes:
            for product in products:
                self._changed[product] = seq
            self._latest_change = max(self._latest_change, seq)
        self.seq = max(self.seq, read.seq)
        if len(self._changed) > MAX_REMEMBERED_PRODUCTS:
            self._restart(self.seq)

    def _restart(self, seq: int) -> None:
        self.seq = self.window_start = self._latest_change = seq
        self._changed.clear()

    def is_current(self, stock_seq: int, products: Iterable[bytes]) -> bool:
        if stock_seq < self.window_start:
            return False
        if stock_seq >= self._latest_change:
            return True
        changed = self._changed
        return all(changed.get(product, 0) <= stock_seq for product in products)
