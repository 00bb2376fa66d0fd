"""How the health checks answer."""

from typing import Any, Literal

from pydantic import Field

from storefront.web.envelope import Answer


class Liveness(Answer):
    status: Literal["ok"]


class Readiness(Answer):
    """Ready to take traffic; `degraded` when the cache or the ERP is in trouble (the shop still sells)."""

    status: Literal["ok", "degraded"]
    checks: dict[str, str] = Field(description="Each dependency's state: `ok`, `degraded` or `down`.")
    details: dict[str, Any] = Field(description="What each check found.")
