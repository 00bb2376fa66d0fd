"""Operator surfaces (/metrics, /openapi.json, /docs): behind the admin token on the service port,
or, when STOREFRONT_OPERATOR_PORT is set, only on that port (without a token) and not on the
service port. The operator listener runs in every API process; the port is bound with
SO_REUSEPORT, so several workers share it (their metrics are merged, docs/metrics.md).
"""

import asyncio
import socket

import uvicorn
from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from storefront.web.auth import bearer_token, check_admin_token
from storefront.web.edge import EdgeRoute, Gate
from storefront.web.errors import NotFound, Unauthorized
from storefront.web.responses import JSONResponse, error

ON_OPERATOR_PORT = "storefront.operator_port"
OPENAPI_PATH = "/openapi.json"
_OPERATOR_PATHS = ("/metrics", OPENAPI_PATH, "/docs", "/health/")


async def _operator_only(request: Request) -> None:
    if request.app.state.settings.operator_port is not None:
        if not request.scope.get(ON_OPERATOR_PORT):
            raise NotFound()
        return
    if not await check_admin_token(request, bearer_token(request)):
        raise Unauthorized()


operator_only = Gate(_operator_only)
router = APIRouter(route_class=EdgeRoute, include_in_schema=False, dependencies=[Depends(operator_only)])


@router.get(OPENAPI_PATH)
async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title=f"{request.app.title} API")


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
