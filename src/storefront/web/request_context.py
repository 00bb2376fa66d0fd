"""The request id of the request being served, visible to logs and responses."""

import random
import re
from contextvars import ContextVar

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


def new_request_id() -> str:
    """32 hex digits. A request id correlates logs, it guards nothing: it comes from the process's
    pseudo-random generator (reseeded in every forked worker), not from a system call per request."""
    return f"{random.getrandbits(128):032x}"


def accept_or_make_request_id(given: str | None) -> str:
    """Keep a caller's request id when it is safe to echo and log; otherwise make one."""
    if given and _VALID_REQUEST_ID.match(given):
        return given
    return new_request_id()
