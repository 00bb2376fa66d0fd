"""The API requests the emulator received, as a client sent them, for tests to judge against Zoho's spec."""

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    seq: int
    method: str
    path: str  # below the API base, e.g. /items/123
    query: list[tuple[str, str]]  # in the order sent, repeats kept
    content_type: str
    json: Any  # the JSON body, or None
    form: list[tuple[str, str]] | None  # the decoded form fields of a form body
    body_error: str | None  # why the body could not be read as the content type says


class RequestLog:
    def __init__(self) -> None:
        self._entries: deque[RecordedRequest] = deque()
        self._seq = 0

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    async def record(self, request: Request, path: str, limit: int) -> None:
        if limit <= 0:
            return
        self._seq += 1
        content_type = request.headers.get("content-type", "")
        body = await request.body()
        json_body: Any = None
        form: list[tuple[str, str]] | None = None
        problem = None
        if content_type.startswith(FORM_TYPES):
            parsed = await request.form()
            form = [
                (key, value if isinstance(value, str) else "<file>") for key, value in parsed.multi_items()
            ]
        elif body:
            try:
                json_body = orjson.loads(body)
            except orjson.JSONDecodeError:
                problem = "the body is not JSON"
        query = parse_qsl(request.url.query, keep_blank_values=True)
        self._entries.append(
            RecordedRequest(self._seq, request.method, path, query, content_type, json_body, form, problem)
        )
        while len(self._entries) > limit:
            self._entries.popleft()

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self._entries if entry.seq > seq]
