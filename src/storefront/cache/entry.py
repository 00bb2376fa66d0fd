"""A cached response: the encoded envelope split around its request id, with a strong ETag.

The body is stored without the request id so one entry serves every request; the id is spliced
back in between `head` and `tail` when it is sent.
"""

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from storefront.web.responses import dumps

_HEADER = struct.Struct(">dI")
_ETAG_LENGTH = 34  # a quoted 32-digit hex digest


@dataclass(frozen=True, slots=True)
class CacheEntry:
    head: bytes
    tail: bytes
    etag: bytes
    fresh_until: float

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def body(self, request_id: str) -> bytes:
        return b"".join((self.head, request_id.encode("ascii"), self.tail))

    def encode(self) -> bytes:
        return b"".join((_HEADER.pack(self.fresh_until, len(self.head)), self.etag, self.head, self.tail))

    @classmethod
    def decode(cls, raw: bytes) -> "CacheEntry":
        fresh_until, head_length = _HEADER.unpack_from(raw)
        start = _HEADER.size + _ETAG_LENGTH
        body = raw[start:]
        return cls(body[:head_length], body[head_length:], raw[_HEADER.size : start], fresh_until)


def build_entry(data: Any, meta: dict[str, Any], fresh_until: float) -> CacheEntry:
    """Encode `{"status": "success", "data": ..., "meta": {"request_id": <id>, **meta}}` around the id."""
    head = b'{"status":"success","data":' + dumps(data) + b',"meta":{"request_id":"'
    tail = b'"' + (b"," + dumps(meta)[1:] if meta else b"}") + b"}"
    etag = b'"' + hashlib.blake2b(head + tail, digest_size=16).hexdigest().encode() + b'"'
    return CacheEntry(head, tail, etag, fresh_until)
