"""Operator surfaces (/metrics, /openapi.json, /docs): behind the admin token on the service port,
or, when STOREFRONT_OPERATOR_PORT is set, only on that port (without a token) and not on the
service port. The operator listener runs in every API process; the port is bound with
SO_REUSEPORT, so several workers share it (their metrics are merged, docs/metrics.md).

/docs is Swagger UI served from this process: its assets come from the fastapi-offline package
(pinned), the page that starts it from storefront/web/static, under a Content-Security-Policy that
names no other origin and allows no inline script. It works behind a firewall or offline.
"""

import asyncio
import socket
from pathlib import Path

import fastapi_offline
import uvicorn
from fastapi import APIRouter, Depends, Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from storefront.web.auth import bearer_token, check_admin_token
from storefront.web.edge import EdgeRoute, Gate
from storefront.web.errors import NotFound, TooManyRequests, Unauthorized
from storefront.web.responses import JSONResponse, error

ON_OPERATOR_PORT = "storefront.operator_port"
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
_OPERATOR_PATHS = ("/metrics", OPENAPI_PATH, DOCS_PATH, "/health/")
_OWN_STATIC = Path(__file__).parent / "static"
_SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
# name: (file, media type)
_DOCS_ASSETS = {
    "swagger-ui-bundle.js": (_SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_SWAGGER_UI / "swagger-ui.css", "text/css"),
    "favicon.png": (_SWAGGER_UI / "favicon.png", "image/png"),
    "docs.js": (_OWN_STATIC / "docs.js", "text/javascript"),
}
_DOCS_PAGE = (_OWN_STATIC / "docs.html").read_text()
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_DOCS_HEADERS = {
    "Content-Security-Policy": DOCS_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def _operator_only(request: Request) -> None:
    if request.app.state.settings.operator_port is not None:
        if not request.scope.get(ON_OPERATOR_PORT):
            raise NotFound()
        return
    if not await check_admin_token(request, bearer_token(request)):
        raise Unauthorized()


operator_only = Gate(_operator_only, raises=(NotFound, Unauthorized, TooManyRequests))
router = APIRouter(route_class=EdgeRoute, include_in_schema=False, dependencies=[Depends(operator_only)])


@router.get(OPENAPI_PATH)
async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.openapi())


@router.get(DOCS_PATH)
async def docs() -> HTMLResponse:
    return HTMLResponse(_DOCS_PAGE, headers={**_DOCS_HEADERS, "Cache-Control": "no-store"})


@router.get(DOCS_PATH + "/assets/{name}")
async def docs_asset(name: str) -> Response:
    asset = _DOCS_ASSETS.get(name)
    if asset is None:
        raise NotFound()
    path, media_type = asset
    return FileResponse(
        path, media_type=media_type, headers={**_DOCS_HEADERS, "Cache-Control": "private, max-age=3600"}
    )


class OperatorListener:
    """The operator port of this process: a uvicorn server in the app's event loop."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(_OPERATOR_PATHS):
            await self._app({**scope, ON_OPERATOR_PORT: True}, receive, send)
            return
        if scope["type"] == "http":
            await error(404, "not_found", "The resource was not found.")(scope, receive, send)

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((self._host, self._port))
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",
            lifespan="off",
            log_level="warning",
            access_log=False,
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        # `serve` would take over the process's signal handlers from the main server.
        self._task = asyncio.create_task(self._server._serve(sockets=[sock]))
        while not self._server.started and not self._task.done():  # noqa: ASYNC110 - uvicorn has no event for it
            await asyncio.sleep(0.01)
        if self._task.done():
            await self._task

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
