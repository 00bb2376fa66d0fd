from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from storefront.db.session import ReadSession
from storefront.health.schemas import Liveness, Readiness
from storefront.logging import get_logger
from storefront.sync.models import RunStatus, SyncRun
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute
from storefront.web.envelope import envelope
from storefront.web.errors import ServiceUnavailable
from storefront.web.responses import success

router = APIRouter(route_class=EdgeRoute, prefix="/health", tags=["health"])
log = get_logger(__name__)

OK, DEGRADED, DOWN = "ok", "degraded", "down"
_PROBE_NAMESPACE = "catalog"


class NotReady(ServiceUnavailable):
    code = "not_ready"
    message = "The database is unreachable."


@router.get("/live", summary="The process is up", response_model=envelope(Liveness))
async def live() -> Response:
    return success({"status": "ok"})


async def _cache_check(request: Request) -> dict[str, Any]:
    """Redis down is degraded, not down: reads fall through to the database."""
    cache = getattr(request.app.state, "cache", None)
    if cache is None:
        return {"status": OK, "backend": "none"}
    backend = "redis" if cache.backend.shared else "memory"
    try:
        await cache.backend.read_versions([_PROBE_NAMESPACE])
    except Exception as exc:
        log.warning("readiness_cache_failed", error_type=type(exc).__name__)
        return {"status": DEGRADED, "backend": backend, "reason": "The shared cache does not answer."}
    return {"status": OK, "backend": backend}


async def _replica_check(request: Request) -> dict[str, Any] | None:
    """A read replica in trouble is degraded, not down: catalog reads go to the primary."""
    replica = request.app.state.db.replica
    if replica is None:
        return None
    try:
        lag = await replica.lag_bytes()
    except Exception as exc:
        log.warning("readiness_replica_failed", error_type=type(exc).__name__)
        return {
            "status": DEGRADED,
            "reason": "The read replica does not answer: catalog reads use the primary.",
        }
    if lag is None:
        return {"status": DEGRADED, "reason": "The read URL is no standby: catalog reads use the primary."}
    return {"status": OK, "lag_bytes": lag}


async def _erp_check(request: Request, session: AsyncSession) -> dict[str, Any]:
    """ERP trouble is degraded, not down: the shop sells from its mirror and orders wait to be pushed.

    No ERP call is made here (the org's request budget is small and shared); the check reads the
    budget left and how the last sync, the most recent conversation with the ERP, ended.
    """
    check: dict[str, Any] = {"status": OK}
    reasons = []
    client = getattr(request.app.state, "erp", None)
    budget_remaining = getattr(client, "budget_remaining", None)
    if callable(budget_remaining):
        try:
            remaining = int(await budget_remaining())
            check["budget_remaining"] = remaining
            if remaining <= 0:
                reasons.append("The ERP request budget is spent for this minute.")
        except Exception as exc:
            log.warning("readiness_erp_budget_failed", error_type=type(exc).__name__)
            reasons.append("The ERP request budget cannot be read.")
    last = (
        await session.execute(
            select(SyncRun.status, SyncRun.finished_at)
            .where(SyncRun.finished_at.is_not(None))
            .order_by(SyncRun.finished_at.desc())
            .limit(1)
        )
    ).first()
    for reason in await _quota_reasons(client, check):
        reasons.append(reason)
    if last is not None:
        check["last_sync"] = {"status": last.status, "finished_at": last.finished_at}
        if last.status == RunStatus.FAILED:
            reasons.append("The last sync with the ERP failed.")
    if reasons:
        check.update(status=DEGRADED, reasons=reasons)
    return check


async def _quota_reasons(client: Any, check: dict[str, Any]) -> list[str]:
    """The daily quota as Zoho last reported it, and whether ERP traffic is paused for it."""
    if client is None or not callable(getattr(client, "paused_until", None)):
        return []
    try:
        paused_until = await client.paused_until()
        quota = await client.daily_quota()
    except Exception as exc:
        log.warning("readiness_erp_quota_failed", error_type=type(exc).__name__)
        return ["The ERP's daily quota cannot be read."]
    if quota is not None:
        check["daily_quota"] = {
            "limit": quota.limit,
            "remaining": quota.remaining,
            "resets_at": datetime.fromtimestamp(quota.reset_at, UTC),
        }
    if paused_until is None:
        return []
    resumes = datetime.fromtimestamp(paused_until, UTC)
    check["paused_until"] = resumes
    return [
        f"The ERP's daily quota is spent: ERP traffic is paused until {resumes:%Y-%m-%d %H:%M:%S} UTC "
        "(orders are kept and pushed then)."
    ]


@router.get(
    "/ready",
    summary="Can take traffic: 503 when the database is down; cache, replica or ERP trouble is degraded (200)",
    response_model=envelope(Readiness),
    responses=raises(NotReady),
)
async def ready(request: Request, session: ReadSession) -> Response:
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness_database_failed", error_type=type(exc).__name__)
        raise NotReady(details={"checks": {"database": DOWN}}) from None
    details = {"cache": await _cache_check(request), "erp": await _erp_check(request, session)}
    replica = await _replica_check(request)
    if replica is not None:
        details["replica"] = replica
    checks = {"database": OK, **{name: detail["status"] for name, detail in details.items()}}
    degraded = any(status != OK for status in checks.values())
    return success({"status": DEGRADED if degraded else OK, "checks": checks, "details": details})
