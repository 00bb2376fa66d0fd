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
    """HTTP 429 (codes 44, 45, 1070) or our own shared budget is spent: back off."""

    retryable = True


class ErpAuthError(ErpError):
    """The refresh token or client is refused, or the token lacks a scope (401, code 57 after a refresh)."""


class ErpRejected(ErpError):
    """The ERP refused the request itself (4xx other than 401/404/429): retrying will not help."""


class ErpNotFound(ErpError):
    """HTTP 404 or code 1002."""


class ErpTokenThrottled(ErpAuthError):
    """The accounts server refuses new tokens for a while (too many refreshes); retry after `retry_after` s."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
