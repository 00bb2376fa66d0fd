"""Run an ASGI app (the emulator) inside the current event loop on a free loopback port."""

import asyncio
import contextlib
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

from storefront.erp.emulator.app import INVENTORY_PATH, create_emulator_app
from storefront.erp.emulator.state import EmulatorConfig, EmulatorState


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The host process owns the signals; the embedded server stops when told to.
        yield


class LoopbackServer:
    """Serves `app` with uvicorn in this event loop; the port is picked by the OS."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that declare it.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on")
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=f"loopback-{self.port}")
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError(f"the server on port {self.port} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = None
        self._task = None


class EmulatorServer(LoopbackServer):
    """An ERP emulator on a loopback port: `url` for OAuth, `api_url` for the Inventory API."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = EmulatorState.create(config or EmulatorConfig())
        super().__init__(create_emulator_app(self.state), host=host, port=port)

    @property
    def api_url(self) -> str:
        return self.url + INVENTORY_PATH

    async def __aenter__(self) -> "EmulatorServer":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
