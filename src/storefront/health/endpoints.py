from typing import Any

from fastapi import APIRouter
from sqlalchemy import text
from starlette.responses import Response

from storefront.db.session import ReadSession
from storefront.logging import get_logger
from storefront.web.responses import error, success

router = APIRouter(prefix="/health", tags=["health"])
log = get_logger(__name__)


@router.get("/live", summary="The process is up")
async def live() -> Response:
    return success({"status": "ok"})


@router.get("/ready", summary="The service can take traffic: its database answers")
async def ready(session: ReadSession) -> Response:
    checks: dict[str, Any] = {}
    try:
        await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("readiness_database_failed", error_type=type(exc).__name__)
        checks["database"] = "down"
        return error(503, "not_ready", "The database is unreachable.", {"checks": checks})
    return success({"status": "ok", "checks": checks})
