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
    """uvicorn without signal handling and without its fixed 0.1 s polls, so it starts and stops at once."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stopping = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The host process owns the signals; the embedded server stops when told to.
        yield

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 10  # each pass is a second: on_tick refreshes the Date header every tenth
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self.stopping.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        # uvicorn offers no event for "connections closed": poll briefly.
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel()
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


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
        # No log_config or log_level: the host process's logging stays as it is.
        config = uvicorn.Config(self.app, log_config=None, log_level=None, access_log=False, lifespan="on")
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
        self._server.stopping.set()
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
