"""The deployment a run measures: a scratch PostgreSQL database and Redis key prefix, the ERP
emulator in its own process, and one `storefront serve` (granian, one worker) pointed at both."""

import asyncio
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness.database import REDIS_URL, scratch_database, scratch_redis_prefix
from benchmarks.harness.erp import Emulator, start_emulator, zoho_env
from benchmarks.harness.processes import (
    free_port,
    start_storefront,
    terminate,
    tree_memory_mb,
    wait_until_live,
)
from storefront.db.migrate import upgrade_async
from storefront.demo.catalog import ARABIC_NAME_FIELD

# Every simulated shopper connects from 127.0.0.1, so the per-client limits would meter them as one.
UNLIMITED = "1000000/second"


@dataclass(frozen=True)
class SyncFigures:
    run: dict[str, Any]
    wall_seconds: float
    apply_seconds: float
    duration_seconds: float


@dataclass
class Deployment:
    database_url: str
    prefix: str
    emulator: Emulator
    token: str
    base_env: dict[str, str]
    logs: Path
    port: int = 0
    process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def start_api(self, **overrides: str) -> None:
        """(Re)start `storefront serve` with the base settings and these STOREFRONT_* overrides."""
        await self.stop_api()
        self.port = free_port()
        env = {**self.base_env, **{f"STOREFRONT_{name.upper()}": value for name, value in overrides.items()}}
        self.process = await start_storefront("serve", "--port", str(self.port), env=env, log=self.logs)
        await wait_until_live(self.base_url, self.process)

    async def stop_api(self) -> None:
        await terminate(self.process)
        self.process = None

    def client(self, timeout: float = 60.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def sync(self, body: dict[str, Any]) -> SyncFigures:
        """A sync through the API with `?wait=true`: its wall time, and the run's own figures."""
        async with self.client(timeout=1800.0) as http:
            began = time.perf_counter()
            response = await http.post(
                "/api/consumer/sync/inventory?wait=true", json=body, headers=self.admin
            )
            wall = time.perf_counter() - began
            response.raise_for_status()
            run = response.json()["data"]
            if run["status"] != "completed":
                raise RuntimeError(f"the sync did not complete: {run['status']} {run.get('error')}")
            events = await http.get(
                "/api/tds/events",
                params={"name": "tds.sync.completed", "correlation_id": run["id"]},
                headers=self.admin,
            )
            payload = events.json()["data"][0]["payload"]
        return SyncFigures(run, wall, float(payload["apply_seconds"]), float(run["duration_seconds"]))

    def memory_mb(self, field: str) -> float:
        assert self.process is not None
        return tree_memory_mb(self.process.pid, field)


def service_env(database_url: str, prefix: str, erp_url: str, token: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("STOREFRONT_")}
    env.update(zoho_env(erp_url))
    env.update(
        STOREFRONT_DATABASE_URL=database_url,
        STOREFRONT_REDIS_URL=REDIS_URL,
        STOREFRONT_CACHE_PREFIX=prefix,
        STOREFRONT_ZOHO_KEY_PREFIX=prefix,
        STOREFRONT_ADMIN_TOKEN=token,
        STOREFRONT_ZOHO_NAME_AR_FIELD=ARABIC_NAME_FIELD,
        STOREFRONT_SYNC_INTERVAL_SECONDS="0",
        STOREFRONT_LOG_LEVEL="WARNING",
        STOREFRONT_RATE_LIMIT_ORDERS=UNLIMITED,
        STOREFRONT_RATE_LIMIT_QUOTES=UNLIMITED,
    )
    return env


@asynccontextmanager
async def deployment(
    items: int, logs: Path, *, erp_rate_limit: int = 0, erp_daily_quota: int = 0, **settings: str
) -> AsyncIterator[Deployment]:
    """The scratch database (migrated), Redis prefix and emulator; the API is started by the caller."""
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(scratch_database())
        prefix = await stack.enter_async_context(scratch_redis_prefix())
        await upgrade_async(database_url)
        token = secrets.token_urlsafe(32)
        env = service_env(database_url, prefix, "", token)
        emulator = await start_emulator(
            env,
            items=items,
            rate_limit_per_minute=erp_rate_limit,
            daily_quota=erp_daily_quota,
            log=logs,
        )
        stack.push_async_callback(emulator.stop)
        env = service_env(database_url, prefix, emulator.url, token)
        env.update({f"STOREFRONT_{name.upper()}": value for name, value in settings.items()})
        running = Deployment(database_url, prefix, emulator, token, env, logs)
        stack.push_async_callback(running.stop_api)
        yield running
