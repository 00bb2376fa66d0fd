import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.sync.models import SyncRun


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def ready(settings: Settings) -> httpx.Response:
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
            return await http.get("/health/ready")


async def record_sync(settings: Settings, status: str, finished_ago: timedelta) -> None:
    database = create_database(settings)
    try:
        async with database.write_sessionmaker() as session, session.begin():
            finished = datetime.now(UTC) - finished_ago
            session.add(
                SyncRun(
                    mode="incremental",
                    status=status,
                    started_at=finished - timedelta(seconds=3),
                    finished_at=finished,
                    error="ERP unavailable" if status == "failed" else None,
                )
            )
    finally:
        await database.dispose()


async def test_ready_when_everything_answers(settings: Settings) -> None:
    response = await ready(settings)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "ok"
    assert data["checks"] == {"database": "ok", "cache": "ok", "erp": "ok"}


async def test_cache_down_is_degraded_not_down(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", cache_prefix="readiness-test")
    response = await ready(settings)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "degraded"
    assert data["checks"]["cache"] == "degraded"
    assert data["checks"]["database"] == "ok"
    assert "redis://" not in response.text


async def test_a_failed_last_sync_makes_the_erp_degraded(settings: Settings) -> None:
    await record_sync(settings, "completed", timedelta(minutes=10))
    await record_sync(settings, "failed", timedelta(minutes=1))
    response = await ready(settings)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "degraded"
    assert data["checks"]["erp"] == "degraded"
    assert data["details"]["erp"]["last_sync"]["status"] == "failed"

    await record_sync(settings, "completed", timedelta(seconds=5))
    assert (await ready(settings)).json()["data"]["checks"]["erp"] == "ok"
