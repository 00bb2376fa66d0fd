"""What the web layer takes from FastAPI, held to by name, so that an upgrade that changes it fails
here rather than silently (FastAPI is pinned in pyproject.toml; read this file when moving it).

Nothing relies on FastAPI's private scope keys or `Dependant`: EdgeRoute takes its gates from the
`dependencies` a router builds it with, the full path templates (for the HTTP metrics and the read
cache) from `fastapi.routing.iter_route_contexts`, a cached read's query parameters from its
OpenAPI operation (`fastapi.openapi.utils.get_openapi`), and the hot paths count on FastAPI sending
a `Response` an endpoint returns as it is.
"""

from typing import Any

import fastapi
import httpx
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts

from storefront.cache import Cache
from storefront.catalog.schemas import Product
from storefront.web.auth import require_admin
from storefront.web.edge import EdgeRoute
from storefront.web.envelope import envelope
from storefront.web.ratelimit import limit_orders
from storefront.web.responses import JSONResponse
from tests.support.catalog import seed, zoho_item

FASTAPI = f"FastAPI {fastapi.__version__}"


def edge_routes(app: FastAPI) -> list[tuple[str, EdgeRoute]]:
    return [
        (context.path_format or "", context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, EdgeRoute)
    ]


async def test_routes_learn_their_full_templates_from_iter_route_contexts(app: FastAPI) -> None:
    routes = edge_routes(app)
    templates = {template for template, _ in routes}
    assert {"/api/consumer/products/{product_id}", "/api/bff/mobile/checkout", "/health/live"} <= templates, (
        f"{FASTAPI}: fastapi.routing.iter_route_contexts no longer yields RouteContext.path_format with the "
        "prefixes of included routers; storefront.web.edge.learn_route_templates relies on it"
    )
    for template, route in routes:
        assert template in [served.path_format for served in route.served], (
            f"{FASTAPI}: RouteContext.original_route is not the route the router built; "
            f"{template} would be counted and cached under the wrong template"
        )
    documented = set(app.openapi()["paths"])
    assert documented <= templates


async def test_gates_come_from_the_dependencies_a_router_passes(app: FastAPI) -> None:
    by_template = {(template, tuple(sorted(route.methods))): route for template, route in edge_routes(app)}
    message = (
        f"{FASTAPI}: APIRouter.add_api_route no longer passes the router's and the route's "
        "`dependencies` to the route class; EdgeRoute finds its gates there"
    )
    assert by_template[("/api/tds/orders", ("GET",))].gates == [require_admin], message
    assert by_template[("/api/consumer/orders", ("POST",))].gates == [limit_orders], message
    assert by_template[("/api/consumer/products", ("GET",))].gates == [], message


async def test_a_gate_answers_before_the_body_is_read(client: httpx.AsyncClient) -> None:
    oversized = b"{" + b" " * 2_000_000 + b"}"
    response = await client.post(
        "/api/tds/orders/00000000-0000-4000-8000-000000000000/retry",
        content=oversized,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401, response.text


async def test_cached_reads_take_their_query_parameters_from_the_openapi_operation(
    app: FastAPI, client: httpx.AsyncClient, settings: Any
) -> None:
    await seed(settings, [zoho_item("Contract Tea", stock=5, rate=1000)])
    for path in ("/api/consumer/products?limit=7", "/api/bff/mobile/search?q=tea&skip=0"):
        assert (await client.get(path)).status_code == 200
    cache: Cache = app.state.cache
    bound = {binding.path_format: binding for binding in cache.bindings}
    message = (
        f"{FASTAPI}: fastapi.openapi.utils.get_openapi no longer lists a route's query parameters as "
        "{'in': 'query', 'name': ..., 'schema': {'type': 'integer'}}; storefront.cache.routes.bind_route reads them"
    )
    products = bound["/api/consumer/products"]
    assert products.query_names == {"category", "search", "skip", "limit"}, message
    assert (
        products.suffix("/api/consumer/products", b"limit=007&utm=x") == "/api/consumer/products?limit=7"
    ), message
    assert bound["/api/bff/mobile/search"].query_names == {"q", "skip", "limit"}, message


async def test_a_response_an_endpoint_returns_is_sent_as_it_is() -> None:
    """The hot paths encode their own answers; declaring a response model must cost them nothing."""
    router = APIRouter(route_class=EdgeRoute)

    @router.get("/unvalidated", response_model=envelope(Product))
    async def unvalidated() -> JSONResponse:
        return JSONResponse({"not": "a product"})

    app = FastAPI()
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://contract.test") as http:
        response = await http.get("/unvalidated")
    assert (response.status_code, response.json()) == (200, {"not": "a product"}), (
        f"{FASTAPI} validates a Response an endpoint returns against its response_model: the cached "
        "reads and order placement would pay for their documentation"
    )
