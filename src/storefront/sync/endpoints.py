"""Sync endpoints: the trigger and the public status (Consumer API), runs and the webhook (TDS)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from starlette.responses import Response

from storefront.cache import CATALOG, SYNC_STATUS, CachedRoute, cached, cached_response
from storefront.db.session import ReadSession
from storefront.sync.component import SyncComponent
from storefront.sync.repository import SyncRunRepository
from storefront.sync.schemas import WEBHOOK_BODY, SyncRequest, SyncRunView, SyncStatusView, WebhookReceipt
from storefront.sync.service import SyncInProgress
from storefront.sync.webhooks import (
    SIGNATURE_HEADER,
    InvalidItemId,
    InvalidWebhookSignature,
    WebhookProcessingFailed,
    parse_delivery,
    verify_signature,
)
from storefront.web.auth import require_admin
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute, edge, form_pairs, is_form
from storefront.web.envelope import PageMeta, envelope
from storefront.web.errors import BadRequest, NotFound, ServiceUnavailable, Unprocessable
from storefront.web.pagination import Page, page_meta, page_params
from storefront.web.responses import JSONResponse, success

consumer_router = APIRouter(route_class=EdgeRoute, prefix="/sync", tags=["sync"])
# Stock counts move with orders too, hence the catalog namespace as well.
SYNC_STATUS_ROUTE = CachedRoute("consumer:sync-status", ttl_seconds=60, namespaces=(SYNC_STATUS, CATALOG))
tds_router = APIRouter(route_class=EdgeRoute, tags=["tds"])


class SyncRunNotFound(NotFound):
    code = "sync_run_not_found"
    message = "The sync run was not found."


def get_sync(request: Request) -> SyncComponent:
    component: SyncComponent | None = getattr(request.app.state, "sync", None)
    if component is None:
        raise ServiceUnavailable("Sync is not available: no ERP is configured.")
    return component


Sync = Annotated[SyncComponent, Depends(get_sync)]


@consumer_router.post(
    "/inventory",
    dependencies=[Depends(require_admin)],
    status_code=202,
    response_model=envelope(SyncRunView),
    responses={
        200: {"model": envelope(SyncRunView), "description": "With `wait=true`: the finished run."},
        **raises(SyncInProgress, ServiceUnavailable),
    },
)
async def trigger_sync(
    sync: Sync,
    body: Annotated[SyncRequest | None, Body()] = None,
    wait: Annotated[bool, Query(description="Answer when the run has finished.")] = False,
) -> JSONResponse:
    """Start a sync: 202 with the running run, or 200 with the finished one when `wait=true`."""
    request = body or SyncRequest()
    begun = await sync.service.begin(request, trigger="api")
    if wait:
        finished = await sync.service.execute(begun)
        return success(finished.model_dump(mode="json"))
    sync.background.launch(begun)
    return success(begun.view.model_dump(mode="json"), status_code=202)


@consumer_router.get("/status", response_model=envelope(SyncStatusView))
@cached(SYNC_STATUS_ROUTE)
async def sync_status(request: Request, session: ReadSession) -> Response:
    """Product counts, the last run and whether one is running (cached; every run invalidates it)."""

    async def compute() -> tuple[Any, dict[str, Any]]:
        repository = SyncRunRepository(session)
        last = await repository.latest()
        running = await repository.running()
        completed = await repository.last_completed()
        status = SyncStatusView(
            products=await repository.product_counts(),
            last_successful_sync_at=completed.finished_at if completed else None,
            last_run=SyncRunView.of(last) if last else None,
            running=running is not None,
            running_run_id=running.id if running else None,
        )
        return status.model_dump(mode="json"), {}

    return await cached_response(request, compute)


@tds_router.get(
    "/runs",
    dependencies=[Depends(require_admin)],
    response_model=envelope(list[SyncRunView], PageMeta, "SyncRunPage"),
)
async def list_runs(session: ReadSession, page: Annotated[Page, Depends(page_params)]) -> JSONResponse:
    runs, total = await SyncRunRepository(session).page(page.skip, page.limit)
    data = [SyncRunView.of(run).model_dump(mode="json") for run in runs]
    return success(data, page_meta(page, len(data), page.skip + len(data) < total, total))


@tds_router.get(
    "/runs/{run_id}",
    dependencies=[Depends(require_admin)],
    response_model=envelope(SyncRunView),
    responses=raises(SyncRunNotFound),
)
async def get_run(session: ReadSession, run_id: uuid.UUID) -> JSONResponse:
    run = await SyncRunRepository(session).get(run_id)
    if run is None:
        raise SyncRunNotFound()
    return success(SyncRunView.of(run).model_dump(mode="json"))


@tds_router.post(
    "/webhooks/zoho",
    response_model=envelope(WebhookReceipt),
    responses={
        202: {"model": envelope(WebhookReceipt), "description": "Deferred to the next scheduled sync."},
        **raises(
            InvalidWebhookSignature,
            BadRequest,
            InvalidItemId,
            Unprocessable,
            WebhookProcessingFailed,
            ServiceUnavailable,
        ),
    },
    openapi_extra={"requestBody": WEBHOOK_BODY},
)
@edge(body_limit="max_webhook_body_bytes", accepts=("json", "form"))
async def zoho_webhook(request: Request) -> JSONResponse:
    """A signed Zoho item webhook (JSON or form-encoded); a repeated delivery answers 200 with
    duplicate=true."""
    settings = request.app.state.settings
    body = await request.body()
    form = form_pairs(body) if is_form(request) else None
    verify_signature(
        settings.zoho_webhook_secret,
        settings.zoho_webhook_allow_unsigned,
        request.headers.get(SIGNATURE_HEADER),
        body,
        request.query_params.multi_items(),
        form,
    )
    payload, item_ids = parse_delivery(body, form, settings.zoho_webhook_max_items)
    outcome = await get_sync(request).webhooks.handle(body, payload, item_ids)
    return success(outcome.as_data(), status_code=202 if outcome.status == "deferred" else 200)
