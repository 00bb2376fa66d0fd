"""What every API route checks before its body is read, in one place.

`EdgeRoute` is the route class of every router. Before FastAPI reads and validates a request, it
runs the route's gates (admin token, rate limits: `Gate` dependencies), refuses text the databases
cannot store in the path and query, and for a request with a body: refuses a content type the
route does not take (415), and reads the body under the route's size limit (413, by
Content-Length before reading and while streaming), refusing unstorable text in it (422).

A route names its body limit (a setting) and the media types its body may have with `@edge(...)`:
JSON unless it says otherwise (a form, or both for the webhook). Each route also documents the
answers these checks give, with the errors its endpoint declares (storefront.web.contract).

Nothing here reads FastAPI's private internals: gates come from the `dependencies` a route is
built with, and the full path templates from `fastapi.routing.iter_route_contexts`.
"""

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from re import Pattern
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

from fastapi import FastAPI, params
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute, compile_path
from starlette.types import Message, Receive, Scope, Send

from storefront.config import Settings
from storefront.web.contract import ALWAYS, WITH_PATH_PARAMETERS, ErrorClass, Responses, answers
from storefront.web.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from storefront.web.hygiene import refuse_unstorable_form, refuse_unstorable_json, refuse_unstorable_url

MediaKind = Literal["json", "form"]
BodyLimit = Literal["max_body_bytes", "max_order_body_bytes", "max_webhook_body_bytes"]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A body that is not text in its declared encoding is refused by FastAPI itself (400).
_BODY_ERRORS: tuple[ErrorClass, ...] = (BadRequest, PayloadTooLarge, UnsupportedMediaType)
_PASSED = "storefront.gates_passed"
_EDGE = "__storefront_edge__"
# Set on a cached read's endpoint by `storefront.cache.cached`: the route documents 304 and ETag.
CACHED_READ = "__storefront_cached__"
# The route serving a request, in its scope (for the HTTP metrics and the read cache).
SERVED_ROUTE = "storefront.served_route"


class Gate:
    """A check that runs before the body is read; declared in a route's or its router's
    `dependencies=[Depends(gate)]`, with the errors it answers (and the security scheme it stands
    for) so that the route documents them.

    FastAPI calls it again after the body is parsed (it is an ordinary dependency, so the route's
    OpenAPI and dependency tree show it); that second call does nothing. A gate named among an
    endpoint's parameters instead still runs, but only after the body has been read.
    """

    def __init__(
        self,
        check: Callable[[Request], Awaitable[None]],
        *,
        raises: tuple[ErrorClass, ...] = (),
        security: str | None = None,
    ) -> None:
        self.check = check
        self.raises = raises
        self.security = security

    async def __call__(self, request: Request) -> None:
        passed: set[Gate] = request.scope.setdefault(_PASSED, set())
        if self not in passed:
            await self.check(request)
            passed.add(self)


@dataclass(frozen=True, slots=True)
class EdgeSpec:
    body_limit: BodyLimit = "max_body_bytes"
    accepts: tuple[MediaKind, ...] = ("json",)


@dataclass(frozen=True, slots=True)
class ServedRoute:
    """A route as the application serves it: its full path template (the prefixes of the routers it
    is included through and all), and for a cached read its `CachedRoute`."""

    path_format: str
    path_regex: Pattern[str]
    cached: Any
    source: BaseRoute | RouteContext = field(repr=False, compare=False)

    def operation(self, method: str) -> dict[str, Any]:
        """This route's operation as the OpenAPI document describes it (built for this route alone)."""
        document = get_openapi(title="", version="", routes=[self.source])
        try:
            operation: dict[str, Any] = document["paths"][self.path_format][method.lower()]
        except KeyError:
            raise TypeError(f"{self.path_format}: not in the OpenAPI document") from None
        return operation


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def edge(
    *, body_limit: BodyLimit = "max_body_bytes", accepts: tuple[MediaKind, ...] = ("json",)
) -> Callable[[Endpoint], Endpoint]:
    """Declare an endpoint's body limit and the media types its body may have (JSON unless told)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _EDGE, EdgeSpec(body_limit, accepts))
        return endpoint

    return mark


def _gates(dependencies: Iterable[params.Depends]) -> list[Gate]:
    found: list[Gate] = []
    for depends in dependencies:
        if isinstance(depends.dependency, Gate) and depends.dependency not in found:
            found.append(depends.dependency)
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
    """The route class of every router: the checks above, and the route's answers documented."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        dependencies: Sequence[params.Depends] | None = None,
        responses: Responses | None = None,
        status_code: int | None = None,
        methods: set[str] | list[str] | None = None,
        operation_id: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        spec: EdgeSpec = getattr(endpoint, _EDGE, EdgeSpec())
        gates = _gates(dependencies or ())
        cached = getattr(endpoint, CACHED_READ, None)
        errors = [*ALWAYS, *(error for gate in gates for error in gate.raises)]
        if _BODY_METHODS.intersection(methods or ()):
            errors += _BODY_ERRORS
        if "{" in path:
            errors += WITH_PATH_PARAMETERS
        declared = responses or {}
        successes = [status_code or 200, *(int(s) for s in declared if str(s).startswith("2"))]
        schemes = [gate.security for gate in gates if gate.security is not None]
        if schemes:
            openapi_extra = {"security": [{scheme: []} for scheme in schemes], **(openapi_extra or {})}
        super().__init__(
            path,
            endpoint,
            dependencies=dependencies,
            responses=answers(declared, errors, successes, cached is not None),
            status_code=status_code,
            methods=methods,
            operation_id=operation_id or kwargs.get("name") or endpoint.__name__,
            openapi_extra=openapi_extra,
            **kwargs,
        )
        self.gates = gates
        self.body_limit = spec.body_limit
        self.accepts = spec.accepts
        self.cached = cached
        self.served = [ServedRoute(self.path_format, self.path_regex, cached, self)]

    def serve_as(self, contexts: Sequence[RouteContext]) -> None:
        """Learn the full templates this route is served under (see `learn_route_templates`)."""
        self.served = [
            ServedRoute(context.path_format, compile_path(context.path_format)[0], self.cached, context)
            for context in contexts
            if context.path_format
        ]

    def _served_for(self, path: str) -> ServedRoute:
        if len(self.served) == 1:
            return self.served[0]
        return next((served for served in self.served if served.path_regex.match(path)), self.served[0])

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SERVED_ROUTE] = self._served_for(scope["path"])
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
        if body and kind not in self.accepts:
            raise UnsupportedMediaType(details={"accepted": [_MEDIA_TYPES[k] for k in self.accepts]})
        if kind == "json":
            refuse_unstorable_json(body)
        elif kind == "form":
            refuse_unstorable_form(body)
        return _replay(body, receive)


def learn_route_templates(app: FastAPI) -> None:
    """Tell every route the full templates it is served under, once the app's routers are included.

    FastAPI includes routers without copying their routes, so a route knows only its own path;
    `iter_route_contexts` (FastAPI's public view of the included routes) has the full ones.
    """
    served: dict[int, tuple[EdgeRoute, list[RouteContext]]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, EdgeRoute):
            served.setdefault(id(route), (route, []))[1].append(context)
    for route, contexts in served.values():
        route.serve_as(contexts)
