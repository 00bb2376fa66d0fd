"""What the service faces the network with: operators' secrets, abuse control, request limits."""

from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import BaseModel, Field, SecretStr, field_validator

from storefront.config.secrets import blank_is_unset


class WebSettings(BaseModel):
    admin_token: SecretStr | None = None
    # The dashboard's session signing key; unset: generated once and kept in the database.
    dashboard_session_secret: SecretStr | None = None
    dashboard_session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    # Always mark the dashboard cookie Secure (it is anyway when the request came over HTTPS).
    dashboard_cookie_secure: bool = False

    # Abuse control (docs/security.md). Rates in the `limits` notation: "10/minute", "100 per hour",
    # several separated by ";". Counted per client, in Redis when it is set, else in this process.
    rate_limit_orders: str = "10/minute;60/hour"
    rate_limit_quotes: str = "60/minute"
    rate_limit_admin_failures: str = "10/minute;50/hour"
    # Proxies (IPs or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Browser origins allowed to call the API (CORS); none by default.
    cors_origins: list[str] = Field(default_factory=list)
    # Request limits: body bytes (orders, checkout and quotes; webhooks; everything else) and header bytes.
    max_order_body_bytes: int = Field(default=32_768, ge=1024)
    max_webhook_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_body_bytes: int = Field(default=65_536, ge=1024)
    max_header_bytes: int = Field(default=16_384, ge=8192)
    # /metrics and the API docs: unset, on the service port behind the admin token; set, on this
    # port of OPERATOR_HOST without a token, and not on the service port.
    operator_port: int | None = Field(default=None, ge=1, le=65535)
    operator_host: str = "127.0.0.1"
    # Where absolute URLs the service hands out (product pictures) point: never the Host header.
    public_base_url: str = "http://127.0.0.1:8000"

    @field_validator("admin_token", "dashboard_session_secret", mode="before")
    @classmethod
    def _blank_web_secret_is_unset(cls, value: Any) -> Any:
        return blank_is_unset(value)

    @field_validator("rate_limit_orders", "rate_limit_quotes", "rate_limit_admin_failures")
    @classmethod
    def _rates_parse(cls, value: str) -> str:
        parse_many(value)
        return value

    @field_validator("public_base_url")
    @classmethod
    def _absolute_base(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("must be an absolute http(s) URL without query or fragment")
        return value.strip().rstrip("/")
