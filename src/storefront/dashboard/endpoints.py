"""The operator dashboard: HTML pages, a login form, a CSRF-safe retry button."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Form, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import SecretStr
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from storefront.dashboard.service import overview
from storefront.dashboard.session import DashboardSession, DashboardSessions
from storefront.db.session import commit, discard_after_commit
from storefront.images.repository import product_picture
from storefront.images.urls import image_path
from storefront.metrics.collectors import PushPace
from storefront.orders.service import OrderService, order_hooks
from storefront.web.auth import check_admin_token
from storefront.web.edge import EdgeRoute, edge
from storefront.web.errors import StorefrontError

router = APIRouter(route_class=EdgeRoute, prefix="/dashboard", include_in_schema=False)

_STATIC = Path(__file__).parent / "static"
_STATIC_FILES = {
    "chart.umd.min.js": "text/javascript",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_NOTICES = {
    "retried": "Order {order} is queued for the ERP again.",
    "cancelled": "Order {order} is cancelled; its units are back in stock and its sales order, if any, is voided.",
    "order_not_cancellable": "Only an accepted or confirmed order can be cancelled.",
    "order_not_found": "That order does not exist.",
    "order_not_retryable": "Only a failed order can be retried; it may have been retried already.",
    "insufficient_stock": "The order's units are no longer in stock; it stays failed.",
}
FormToken = Annotated[str | None, Form(max_length=128)]


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _compact(value: Any, limit: int = 160) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"


_templates = Environment(
    loader=PackageLoader("storefront.dashboard", "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


def _money(value: Decimal | float) -> str:
    """An amount as people write it: thousands grouped, no trailing zero decimals (56,500)."""
    text = f"{Decimal(str(value)):,.2f}"
    return text[:-3] if text.endswith(".00") else text


_templates.filters["when"] = _when
_templates.filters["money"] = _money
_templates.filters["compact"] = _compact


def _page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=_SECURITY_HEADERS)


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def _admin_token(request: Request) -> SecretStr | None:
    token: SecretStr | None = request.app.state.settings.admin_token
    return token


def _sessions(request: Request) -> DashboardSessions:
    sessions: DashboardSessions | None = getattr(request.app.state, "dashboard_sessions", None)
    if sessions is None:
        sessions = request.app.state.dashboard_sessions = DashboardSessions(
            request.app.state.db, request.app.state.settings
        )
    return sessions


async def _session(request: Request) -> DashboardSession | None:
    return await _sessions(request).read(request)


@router.get("/login")
async def login_form(request: Request) -> Response:
    if await _session(request) is not None:
        return _redirect("/dashboard")
    return _page("login.html", enabled=_admin_token(request) is not None)


@router.post("/login")
@edge(accepts=("form",))
async def login(request: Request, token: Annotated[str, Form(max_length=512)] = "") -> Response:
    admin_token = _admin_token(request)
    if admin_token is None:
        return _page("login.html", status_code=503, enabled=False)
    if not await check_admin_token(request, token):
        return _page("login.html", status_code=401, enabled=True, error="That token is not valid.")
    response = _redirect("/dashboard")
    await _sessions(request).open(response, request, admin_token)
    return response


@router.post("/logout")
@edge(accepts=("form",))
async def logout(request: Request, form_token: FormToken = None) -> Response:
    session = await _session(request)
    if session is not None and not session.accepts(form_token):
        return _page("forbidden.html", status_code=403)
    response = _redirect("/dashboard/login")
    await _sessions(request).close(response, session)
    return response


@router.get("")
async def dashboard(request: Request, notice: str | None = None, order: str | None = None) -> Response:
    session = await _session(request)
    if session is None:
        return _redirect("/dashboard/login")
    message = _NOTICES.get(notice or "")
    return _page(
        "dashboard.html",
        view=await overview(
            request.app.state.db,
            getattr(request.app.state, "cache_hit_rates", None),
            getattr(request.app.state, "erp", None),
            PushPace.of(request.app.state.settings),
            image_max_attempts=request.app.state.settings.image_fetch_max_attempts,
        ),
        form_token=session.form_token,
        notice=message.format(order=order or "") if message else None,
        notice_is_error=notice not in ("retried", "cancelled"),
        now=datetime.now(UTC),
    )


@router.get("/products/{erp_item_id}")
async def product_page(request: Request, erp_item_id: str) -> Response:
    """One product with its picture, as the shoppers' app shows it (same-origin, so the page's
    Content-Security-Policy lets it load)."""
    session = await _session(request)
    if session is None:
        return _redirect("/dashboard/login")
    async with request.app.state.db.sessionmaker() as db_session:
        product = await product_picture(db_session, erp_item_id)
    if product is None:
        return _page("product.html", status_code=404, product=None, form_token=session.form_token)
    return _page(
        "product.html",
        product=product,
        picture=image_path(product.erp_item_id, product.content_hash),
        form_token=session.form_token,
    )


@router.post("/orders/{order_id}/retry")
@edge(accepts=("form",))
async def retry_order(request: Request, order_id: str, form_token: FormToken = None) -> Response:
    return await _order_action(request, order_id, form_token, "retried")


@router.post("/orders/{order_id}/cancel")
@edge(accepts=("form",))
async def cancel_order(request: Request, order_id: str, form_token: FormToken = None) -> Response:
    return await _order_action(request, order_id, form_token, "cancelled")


async def _order_action(request: Request, order_id: str, form_token: str | None, done: str) -> Response:
    """Retry or cancel an order from the page, through the same service as the operator API."""
    session = await _session(request)
    if session is None:
        return _redirect("/dashboard/login")
    if not session.accepts(form_token):
        return _page("forbidden.html", status_code=403)
    app = request.app
    async with app.state.db.write_sessionmaker() as db_session:
        service = OrderService(db_session, app.state.settings.price_list, order_hooks(app))
        try:
            order = await (service.retry(order_id) if done == "retried" else service.cancel(order_id))
        except StorefrontError as exc:
            discard_after_commit(db_session)
            await db_session.rollback()
            return _redirect("/dashboard?" + urlencode({"notice": exc.code}))
        await commit(db_session)
    return _redirect("/dashboard?" + urlencode({"notice": done, "order": order.number}))


@router.get("/static/{name}")
async def static(name: str) -> Response:
    media_type = _STATIC_FILES.get(name)
    if media_type is None:
        return Response(status_code=404)
    return FileResponse(
        _STATIC / name, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"}
    )
