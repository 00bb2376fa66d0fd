"""What every API route checks before its body is read, in one place.

`EdgeRoute` is the route class of every router. Before FastAPI reads and validates a request, it
runs the route's gates (admin token, rate limits: `Gate` dependencies), refuses text the databases
cannot store in the path and query, and for a request with a body: refuses a content type the
route does not take (415), and reads the body under the route's size limit (413, by
Content-Length before reading and while streaming), refusing unstorable text in it (422).

A route names its body limit (a setting) and, when it reads the raw body itself, the media types it
takes, with `@edge(...)`; a route with a JSON model takes JSON, one with form fields takes forms.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import Message as EmailMessage
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Scope, Send

from storefront.config import Settings
from storefront.web.errors import PayloadTooLarge, UnsupportedMediaType
from storefront.web.hygiene import refuse_unstorable_form, refuse_unstorable_json, refuse_unstorable_url

MediaKind = Literal["json", "form"]
BodyLimit = Literal["max_body_bytes", "max_order_body_bytes", "max_webhook_body_bytes"]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PASSED = "storefront.gates_passed"
_EDGE = "__storefront_edge__"


class Gate:
    """A check that runs before the body is read; declared on a route as `Depends(gate)`.

    FastAPI calls it again after the body is parsed (it is an ordinary dependency, so the route's
    OpenAPI and dependency tree show it); that second call does nothing.
    """

    def __init__(self, check: Callable[[Request], Awaitable[None]]) -> None:
        self.check = check

    async def __call__(self, request: Request) -> None:
        passed: set[Gate] = request.scope.setdefault(_PASSED, set())
        if self not in passed:
            await self.check(request)
            passed.add(self)


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    body_limit: BodyLimit = "max_body_bytes"
    accepts: tuple[MediaKind, ...] | None = None


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def edge(
    *, body_limit: BodyLimit = "max_body_bytes", accepts: tuple[MediaKind, ...] | None = None
) -> Callable[[Endpoint], Endpoint]:
    """Declare an endpoint's body limit and, for one that reads its raw body, what it accepts."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _EDGE, EdgeSpec(body_limit, accepts))
        return endpoint

    return mark


def _gates(dependant: Dependant) -> list[Gate]:
    found: list[Gate] = []
    for sub in dependant.dependencies:
        found.extend(_gates(sub))
        if isinstance(sub.call, Gate) and sub.call not in found:
            found.append(sub.call)
    return found


def _media_kind(content_type: str | None) -> MediaKind | None:
    if not content_type:
        return None
    message = EmailMessage()
    message["content-type"] = content_type
    main, sub = message.get_content_maintype(), message.get_content_subtype()
    if main == "application" and (sub == "json" or sub.endswith("+json")):
        return "json"
    if main == "application" and sub == "x-www-form-urlencoded":
        return "form"
    return None


def is_form(request: Request) -> bool:
    return _media_kind(request.headers.get("content-type")) == "form"


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """A form-encoded body's decoded pairs, in order."""
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def read_body(request: Request, receive: Receive, limit: int) -> bytes:
    """The whole body, or PayloadTooLarge as soon as it is known to exceed `limit`."""
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        raise PayloadTooLarge(details={"limit_bytes": limit})
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(details={"limit_bytes": limit})
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def receive_again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


_MEDIA_TYPES: dict[MediaKind, str] = {"json": "application/json", "form": "application/x-www-form-urlencoded"}


class EdgeRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        spec: EdgeSpec = getattr(endpoint, _EDGE, EdgeSpec())
        self.gates = _gates(self.dependant)
        self.body_limit = spec.body_limit
        self.accepts: tuple[MediaKind, ...] = spec.accepts or self._accepts_from_body()

    def _accepts_from_body(self) -> tuple[MediaKind, ...]:
        if self.body_field is None:
            return ()
        return ("form",) if isinstance(self.body_field.field_info, params.Form) else ("json",)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.methods and scope["method"] not in self.methods):
            await super().handle(scope, receive, send)
            return
        request = Request(scope, receive)
        for gate in self.gates:
            await gate(request)
        refuse_unstorable_url(scope)
        if scope["method"] in _BODY_METHODS:
            try:
                receive = await self._checked_body(request, receive)
            except ClientDisconnect:
                return  # the client left while sending its body: nobody to answer
        await super().handle(scope, receive, send)

    async def _checked_body(self, request: Request, receive: Receive) -> Receive:
        settings: Settings = request.app.state.settings
        limit: int = getattr(settings, self.body_limit)
        kind = _media_kind(request.headers.get("content-type"))
        body = await read_body(request, receive, limit)
        if body and self.accepts and kind not in self.accepts:
            raise UnsupportedMediaType(details={"accepted": [_MEDIA_TYPES[k] for k in self.accepts]})
        if kind == "json":
            refuse_unstorable_json(body)
        elif kind == "form":
            refuse_unstorable_form(body)
        return _replay(body, receive)
