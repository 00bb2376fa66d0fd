"""The dashboard's browser session: a signed, HttpOnly, SameSite=Strict cookie scoped to /dashboard.

The cookie holds no secret: only the proof that the admin token was given, and the form token
that every POST must echo (CSRF). Its signing key is derived from the admin token, so rotating
the token ends every session.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "storefront_dashboard"
COOKIE_PATH = "/dashboard"
LIFETIME_SECONDS = 8 * 3600
_SALT = "storefront.dashboard.session"


@dataclass(frozen=True, slots=True)
class DashboardSession:
    form_token: str

    def accepts(self, form_token: str | None) -> bool:
        return form_token is not None and hmac.compare_digest(form_token.encode(), self.form_token.encode())


def _serializer(admin_token: SecretStr) -> URLSafeTimedSerializer:
    key = hashlib.sha256(b"storefront-dashboard:" + admin_token.get_secret_value().encode()).hexdigest()
    return URLSafeTimedSerializer(key, salt=_SALT)


def token_is_valid(admin_token: SecretStr | None, given: str) -> bool:
    if admin_token is None or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), admin_token.get_secret_value().encode())


def read_session(request: Request, admin_token: SecretStr | None) -> DashboardSession | None:
    raw = request.cookies.get(COOKIE)
    if admin_token is None or not raw:
        return None
    try:
        data = _serializer(admin_token).loads(raw, max_age=LIFETIME_SECONDS)
    except BadSignature:
        return None
    form_token = data.get("form_token") if isinstance(data, dict) else None
    return DashboardSession(form_token) if isinstance(form_token, str) and form_token else None


def open_session(response: Response, request: Request, admin_token: SecretStr) -> None:
    value = _serializer(admin_token).dumps({"form_token": secrets.token_urlsafe(24)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=LIFETIME_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def close_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
