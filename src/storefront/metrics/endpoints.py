from fastapi import APIRouter, Depends, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from storefront.metrics.collectors import PushPace
from storefront.metrics.exposition import render
from storefront.web.edge import EdgeRoute
from storefront.web.operator import operator_only

# An operator surface: behind the admin token, or on the operator port (storefront.web.operator).
router = APIRouter(route_class=EdgeRoute, tags=["metrics"], dependencies=[Depends(operator_only)])


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", include_in_schema=False)
async def metrics(request: Request) -> Response:
    pace = PushPace.of(request.app.state.settings)
    return Response(await render(request.app.state.db, pace), media_type=CONTENT_TYPE_LATEST)
