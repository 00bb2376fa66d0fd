"""The operator's bearer token, compared in constant time."""

import hmac

from fastapi import Request

from storefront.web.errors import Unauthorized


def require_admin(request: Request) -> None:
    expected = request.app.state.settings.admin_token
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if expected is None or scheme.lower() != "bearer" or not given:
        raise Unauthorized()
    if not hmac.compare_digest(given.strip().encode(), expected.get_secret_value().encode()):
        raise Unauthorized()
