"""A cached response: the encoded envelope split around its request id, with a strong ETag.

The body is stored without the request id so one entry serves every request; the id is spliced
back in between `head` and `tail` when it is sent. It also carries what tells whether a stock
change made it stale (storefront.cache.stock): the feed's number when it was computed, and the
products it shows.
"""

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from storefront.web.responses import dumps

_HEADER = struct.Struct(">dIqI")
_ETAG_LENGTH = 34  # a quoted 32-digit hex digest
_PRODUCT_LENGTH = 16  # a UUID's bytes


@dataclass(frozen=True, slots=True)
class CacheEntry:
    head: bytes
    tail: bytes
    etag: bytes
    fresh_until: float
    stock_seq: int = 0
    products: tuple[bytes, ...] = ()

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def body(self, request_id: str) -> bytes:
        return b"".join((self.head, request_id.encode("ascii"), self.tail))

    def encode(self) -> bytes:
        header = _HEADER.pack(self.fresh_until, len(self.head), self.stock_seq, len(self.products))
        return b"".join((header, self.etag, *self.products, self.head, self.tail))

    @classmethod
    def decode(cls, raw: bytes) -> "CacheEntry":
        fresh_until, head_length, stock_seq, product_count = _HEADER.unpack_from(raw)
        etag_end = _HEADER.size + _ETAG_LENGTH
        start = etag_end + product_count * _PRODUCT_LENGTH
        products = tuple(raw[at : at + _PRODUCT_LENGTH] for at in range(etag_end, start, _PRODUCT_LENGTH))
        body = raw[start:]
        return cls(
            body[:head_length],
            body[head_length:],
            raw[_HEADER.size : etag_end],
            fresh_until,
            stock_seq,
            products,
        )


def build_entry(
    data: Any,
    meta: dict[str, Any],
    fresh_until: float,
    stock_seq: int = 0,
    products: tuple[bytes, ...] = (),
) -> CacheEntry:
    """Encode `{"status": "success", "data": ..., "meta": {"request_id": <id>, **meta}}` around the id."""
    head = b'{"status":"success","data":' + dumps(data) + b',"meta":{"request_id":"'
    tail = b'"' + (b"," + dumps(meta)[1:] if meta else b"}") + b"}"
    etag = b'"' + hashlib.blake2b(head + tail, digest_size=16).hexdigest().encode() + b'"'
    return CacheEntry(head, tail, etag, fresh_until, stock_seq, products)
