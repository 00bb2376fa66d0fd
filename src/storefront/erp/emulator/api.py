"""The Zoho Inventory/Books API subset, behind Zoho's gate: token, organisation, quotas, faults.

Every call is recorded as the client sent it (the control API shows the log). Authorised answers
carry the daily quota in X-Rate-Limit-Limit / -Remaining / -Reset (whole seconds until it resets).
"""

import asyncio
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storefront.erp.emulator.api_contacts import contact_routes
from storefront.erp.emulator.api_items import item_routes
from storefront.erp.emulator.api_salesorders import salesorder_routes
from storefront.erp.emulator.api_settings import settings_routes
from storefront.erp.emulator.item_query import QueryError
from storefront.erp.emulator.params import Handler, Routes
from storefront.erp.emulator.quota import MESSAGES
from storefront.erp.emulator.replies import NOT_AUTHORISED, BadValue, fail, invalid
from storefront.erp.emulator.state import EmulatorState

TOKEN_PREFIX = "Zoho-oauthtoken "  # noqa: S105 - a header scheme, not a secret


def api_path(request: Request) -> str:
    """The path below the API base (/inventory/v1 or /books/v3)."""
    return request.url.path.removeprefix(request.scope.get("root_path", "")) or "/"


def api_routes(state: EmulatorState) -> list[Route]:
    def guarded(endpoint: str, handler: Handler, needs_organization: bool) -> Handler:
        async def run(request: Request) -> Response:
            await state.requests.record(request, api_path(request), state.config.request_log_size)
            organization_id, response = await _admit(request, needs_organization)
            if response is None:
                try:
                    response = await _faults() or await handler(request)
                except (BadValue, QueryError) as exc:
                    response = invalid(exc.field)
                finally:
                    state.quotas.release(organization_id)
            if organization_id:
                response.headers.update(state.quotas.headers(state.config, organization_id, time.time()))
            state.record_call(endpoint, response.status_code)
            return response

        return run

    async def _admit(request: Request, needs_organization: bool) -> tuple[str, Response | None]:
        """The organisation the call is counted against once authorised, and a refusal if any."""
        if state.faults.down:
            return "", Response("Service Unavailable", status_code=503, media_type="text/plain")
        header = request.headers.get("authorization", "")
        if not header.startswith(TOKEN_PREFIX):
            return "", fail(401, 14, "Invalid OAuth token.")
        if not state.token_valid(header[len(TOKEN_PREFIX) :].strip(), time.monotonic()):
            return "", fail(*NOT_AUTHORISED)
        organization_id = request.query_params.get("organization_id")
        if needs_organization:
            if not organization_id:
                return "", fail(400, 6, "organization_id is required")
            if organization_id != state.config.organization_id:
                return "", fail(*NOT_AUTHORISED)
        organization_id = state.config.organization_id
        refused = state.quotas.admit(state.config, organization_id, time.monotonic(), time.time())
        if refused is not None:
            return organization_id, fail(429, refused, MESSAGES[refused])
        return organization_id, None

    async def _faults() -> Response | None:
        faults = state.faults
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.rate_limit_next > 0 or faults.rate_limited:
            faults.rate_limit_next = max(0, faults.rate_limit_next - 1)
            return fail(429, 44, MESSAGES[44])
        if faults.fail_next > 0:
            faults.fail_next -= 1
            return fail(500, 1000, "Internal Error")
        if faults.error_rate > 0 and state.random.random() < faults.error_rate:
            return fail(500, 1000, "Internal Error")
        return None

    served: Routes = [
        *item_routes(state),
        *contact_routes(state),
        *salesorder_routes(state),
        *settings_routes(state),
    ]
    return [
        Route(path, guarded(f"{method} {_endpoint_name(path)}", handler, needs), methods=[method])
        for method, path, handler, needs in served
    ]


def _endpoint_name(path: str) -> str:
    """GET /items/{item_id} is counted as "GET /items/{id}"."""
    return "/".join("{id}" if part.startswith("{") else part for part in path.split("/"))
