from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from storefront.metrics.exposition import render

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(await render(request.app.state.db), media_type=CONTENT_TYPE_LATEST)
