"""The application factory and the lifespan that owns engines and clients."""

import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from storefront import __version__
from storefront.bff.endpoints import router as bff_router
from storefront.cache import Cache, CachingFastAPI
from storefront.catalog.endpoints import router as catalog_router
from storefront.config import Settings, get_settings
from storefront.dashboard.endpoints import router as dashboard_router
from storefront.dashboard.rates import CacheHitRates
from storefront.db.engine import create_database
from storefront.erp.runtime import open_erp
from storefront.events.endpoints import router as events_router
from storefront.health.endpoints import router as health_router
from storefront.images.endpoints import router as images_router
from storefront.images.serving import PictureServer
from storefront.images.storage import open_image_store
from storefront.logging import configure_logging
from storefront.metrics.collectors import instrument_pools
from storefront.metrics.endpoints import router as metrics_router
from storefront.metrics.events import start_counting_events
from storefront.metrics.exposition import mark_this_process_dead
from storefront.metrics.middleware import HTTPMetricsMiddleware
from storefront.orders.endpoints import consumer_router as orders_consumer_router
from storefront.orders.endpoints import tds_router as orders_tds_router
from storefront.orders.worker import start_in_app as start_order_pusher
from storefront.sync.component import SyncComponent
from storefront.sync.endpoints import consumer_router as sync_consumer_router
from storefront.sync.endpoints import tds_router as sync_tds_router
from storefront.web.contract import DESCRIPTION, document_contract
from storefront.web.cors import allow_origins
from storefront.web.edge import learn_route_templates
from storefront.web.exception_handlers import install_exception_handlers
from storefront.web.middleware import RequestContextMiddleware
from storefront.web.operator import OperatorListener
from storefront.web.operator import router as operator_router
from storefront.web.ratelimit import RateLimits
from storefront.web.responses import JSONResponse

CONSUMER_PREFIX = "/api/consumer"
BFF_MOBILE_PREFIX = "/api/bff/mobile"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json, settings.log_database_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = create_database(settings)
        app.state.erp_runtime = await open_erp(settings)
        app.state.erp = app.state.erp_runtime.client
        app.state.cache = Cache.from_settings(settings)
        app.state.cache.before_invalidate = app.state.db.publish_write_mark
        app.state.rate_limits = RateLimits.from_settings(settings)
        app.state.image_store = open_image_store(settings)
        app.state.picture_server = PictureServer(app.state.image_store)
        operator = None
        if settings.operator_port is not None:
            operator = OperatorListener(app, settings.operator_host, settings.operator_port)
            await operator.start()
        instrument_pools(app.state.db)
        start_counting_events()
        app.state.cache_hit_rates = CacheHitRates()
        app.state.cache_hit_rates.start()
        order_pusher = start_order_pusher(app, settings)
        app.state.sync = SyncComponent.start(
            app.state.db, app.state.erp, settings, app.state.cache, app.state.image_store
        )
        # What exists now lives as long as the process: the collector need not walk it again. A full
        # collection over every imported library's objects stalls all requests for tens of ms.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if operator is not None:
                await operator.stop()
            if order_pusher is not None:
                await order_pusher.stop()
            await app.state.sync.aclose()
            await app.state.image_store.aclose()
            await app.state.cache.close()
            await app.state.rate_limits.close()
            await app.state.erp_runtime.aclose()
            await app.state.db.dispose()
            await app.state.cache_hit_rates.stop()
            mark_this_process_dead()

    # Cache hits of cached GET routes are answered before the middleware stack (storefront.cache).
    app = CachingFastAPI(
        title="Storefront",
        version=__version__,
        summary="Catalog, stock and orders between a Zoho ERP and a shoppers' app.",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JSONResponse,
        # Served by storefront.web.operator, behind the admin token or on the operator port.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # A slash redirect would be built from the Host header; a path with a trailing slash is 404.
        redirect_slashes=False,
        cors_origins=settings.cors_origins,
    )
    app.state.settings = settings
    install_exception_handlers(app)
    app.include_router(health_router)
    app.include_router(catalog_router, prefix=CONSUMER_PREFIX)
    app.include_router(orders_consumer_router, prefix=CONSUMER_PREFIX)
    app.include_router(orders_tds_router, prefix="/api/tds")
    app.include_router(sync_consumer_router, prefix=CONSUMER_PREFIX)
    app.include_router(sync_tds_router, prefix="/api/tds")
    app.include_router(events_router, prefix="/api/tds")
    app.include_router(bff_router, prefix=BFF_MOBILE_PREFIX)
    app.include_router(images_router)
    app.include_router(metrics_router)
    app.include_router(operator_router)
    app.include_router(dashboard_router)
    learn_route_templates(app)
    document_contract(app)
    app.add_middleware(HTTPMetricsMiddleware)
    allow_origins(app, settings.cors_origins)
    if settings.trusted_proxies:
        # X-Forwarded-For/-Proto believed from these proxies only (storefront.web.clients).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(RequestContextMiddleware)
    return app


def openapi_text() -> str:
    """The OpenAPI document as committed in docs/openapi.json (`storefront openapi`)."""
    document = create_app(Settings(_env_file=None)).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
