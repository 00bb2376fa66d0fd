"""Text the databases cannot store is refused at the edge, on both databases alike.

PostgreSQL refuses NUL in text and in JSONB, and neither database driver can encode a lone UTF-16
surrogate (which JSON's `\\ud800` escapes can produce). Such input answers 422 before it reaches a
query, so SQLite and PostgreSQL refuse the same requests.
"""

import re
from collections.abc import Iterator
from typing import Any

import orjson
from starlette.types import Scope

from storefront.web.errors import Unprocessable

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableText(Unprocessable):
    message = "The request holds characters that cannot be stored (NUL or a lone surrogate)."


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_unstorable_url(scope: Scope) -> None:
    if not is_storable(scope["path"]):
        raise UnstorableText(details={"in": "path"})
    query: bytes = scope.get("query_string", b"")
    # A query decodes to NUL only from these; its percent-escapes decode with replacement characters,
    # never to a surrogate.
    if b"%00" in query or b"\x00" in query:
        raise UnstorableText(details={"in": "query"})


def refuse_unstorable_json(body: bytes) -> None:
    # Raw NUL bytes are invalid JSON (refused by the parser); NUL and surrogates only come escaped.
    if b"\\u" not in body:
        return
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson refuses lone surrogates that Python's json module (FastAPI's parser) would accept.
        raise UnstorableText(details={"in": "body"}) from None
    if not all(is_storable(text) for text in _strings(document)):
        raise UnstorableText(details={"in": "body"})


def refuse_unstorable_form(body: bytes) -> None:
    if b"%00" in body or b"\x00" in body:
        raise UnstorableText(details={"in": "body"})
