"""POST /oauth/v2/token: the refresh-token grant with Zoho's throttle and its odd error answers."""

import hmac
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storefront.erp.emulator.replies import ZohoJSON
from storefront.erp.emulator.state import EmulatorState

ENDPOINT = "POST /oauth/v2/token"
THROTTLED = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def oauth_routes(state: EmulatorState) -> list[Route]:
    async def token(request: Request) -> Response:
        response = await _answer(request)
        state.record_call(ENDPOINT, response.status_code)
        return response

    async def _answer(request: Request) -> Response:
        if state.faults.down:
            return Response("Service Unavailable", status_code=503, media_type="text/plain")
        params = dict(request.query_params)
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = await request.form()
            params.update({key: str(value) for key, value in form.items()})
        config = state.config
        if params.get("grant_type") != "refresh_token":
            return ZohoJSON({"error": "unsupported_grant_type"})
        if not (
            _same(params.get("client_id"), config.client_id)
            and _same(params.get("client_secret"), config.client_secret)
        ):
            return ZohoJSON({"error": "invalid_client"})
        refresh_token = params.get("refresh_token")
        if not _same(refresh_token, config.refresh_token) or refresh_token is None:
            return ZohoJSON({"error": "invalid_code"})
        now = time.monotonic()
        if state.token_throttled(refresh_token, now):
            return ZohoJSON(THROTTLED, status_code=400)
        access_token = state.issue_token(refresh_token, now)
        api_domain = f"{request.url.scheme}://{request.url.netloc}"
        return ZohoJSON(
            {
                "access_token": access_token,
                "scope": "ZohoInventory.fullaccess.all",
                "api_domain": api_domain,
                "token_type": "Bearer",
                "expires_in": config.token_ttl_seconds,
            }
        )

    return [Route("/oauth/v2/token", token, methods=["POST"])]
