"""Typed ERP failures: what the caller may retry, and what it must not."""


class ErpError(Exception):
    """Any failure talking to the ERP. `retryable` says whether the same call may succeed later."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ErpUnavailable(ErpError):
    """Network failure, timeout or 5xx: try again later."""

    retryable = True


class ErpRateLimited(ErpError):
    """HTTP 429 (per-minute limit 44, too many calls at once 1070) or our own budget is spent:
    the ERP said "later", not "no"; nothing was done."""

    retryable = True


class ErpQuotaExhausted(ErpRateLimited):
    """The organisation's daily quota is spent (HTTP 429, code 45), or what is left of it is kept
    for order pushes: ERP traffic pauses until `until` (a UNIX time)."""

    def __init__(
        self, message: str, *, until: float, status: int | None = None, code: int | None = None
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.until = until


class ErpAuthError(ErpError):
    """The refresh token or client is refused, or the token lacks a scope (401, code 57 after a refresh)."""


class ErpRejected(ErpError):
    """The ERP refused the request itself (4xx other than 401/404/429): retrying will not help."""


class ErpNotFound(ErpError):
    """Code 1002: the record does not exist in the ERP."""


class ErpMisconfigured(ErpError):
    """HTTP 404 without code 1002: the URL names no API resource, so the configuration (the API
    URL, the data centre) is wrong. Nothing can be concluded about the record asked for."""


class ErpImageTooLarge(ErpRejected):
    """The item's picture is larger than we store: its download was stopped at the limit."""


class ErpContactNameTaken(ErpRejected):
    """Code 3062: a contact with this name exists (contact names are unique per organisation)."""


class ErpTokenThrottled(ErpAuthError):
    """The accounts server refuses new tokens for a while (too many refreshes); retry after `retry_after` s."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
