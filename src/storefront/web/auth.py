"""The operator's bearer token: compared in constant time, failed attempts throttled per client."""

import hmac

from fastapi import Request
from pydantic import SecretStr

from storefront.web.clients import client_address
from storefront.web.contract import ADMIN_SECURITY_SCHEME
from storefront.web.edge import Gate
from storefront.web.errors import TooManyRequests, Unauthorized
from storefront.web.ratelimit import ADMIN_FAILURES, RateLimits

# `storefront serve` refuses a shorter admin token (docs/security.md).
MIN_ADMIN_TOKEN_LENGTH = 32


def token_matches(expected: SecretStr | None, given: str | None) -> bool:
    """True only for the configured token; an unset token matches nothing, not even an empty one."""
    given = (given or "").strip()
    if expected is None or not given:
        return False
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def bearer_token(request: Request) -> str | None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given if scheme.lower() == "bearer" else None


def rate_limits(request: Request) -> RateLimits | None:
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    return limits


async def check_admin_token(request: Request, given: str | None) -> bool:
    """Whether `given` is the admin token; refuses (429) a client that failed too often, and counts
    this attempt when it fails."""
    limits = rate_limits(request)
    client = client_address(request.scope)
    if limits is not None:
        await limits.refuse_if_spent(ADMIN_FAILURES, client)
    if token_matches(request.app.state.settings.admin_token, given):
        return True
    if limits is not None:
        await limits.consume(ADMIN_FAILURES, client)
    return False


async def _require_admin(request: Request) -> None:
    if not await check_admin_token(request, bearer_token(request)):
        raise Unauthorized()


# A gate: checked before the request body is read (storefront.web.edge).
require_admin = Gate(_require_admin, raises=(Unauthorized, TooManyRequests), security=ADMIN_SECURITY_SCHEME)
