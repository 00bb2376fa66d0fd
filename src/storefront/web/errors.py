"""One exception hierarchy: each class carries its HTTP status and error code."""

from collections.abc import Mapping
from typing import Any


class StorefrontError(Exception):
    status_code = 500
    code = "internal_error"
    message = "An internal error occurred."
    headers: Mapping[str, str] = {}

    def __init__(
        self, message: str | None = None, *, details: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        self.message = message or self.message
        self.details = details
        if headers is not None:
            self.headers = headers
        super().__init__(self.message)


class BadRequest(StorefrontError):
    status_code = 400
    code = "bad_request"
    message = "The request could not be understood."


class Unauthorized(StorefrontError):
    status_code = 401
    code = "unauthorized"
    message = "A valid admin token is required."
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(StorefrontError):
    status_code = 403
    code = "forbidden"
    message = "This operation is not allowed."


class NotFound(StorefrontError):
    status_code = 404
    code = "not_found"
    message = "The resource was not found."


class MethodNotAllowed(StorefrontError):
    status_code = 405
    code = "method_not_allowed"
    message = "The method is not allowed on this resource."


class Conflict(StorefrontError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class PayloadTooLarge(StorefrontError):
    status_code = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(StorefrontError):
    status_code = 415
    code = "unsupported_media_type"
    message = "The request body has a content type this route does not accept."


class Unprocessable(StorefrontError):
    status_code = 422
    code = "validation_error"
    message = "The request is invalid."


class TooManyRequests(StorefrontError):
    status_code = 429
    code = "rate_limited"
    message = "Too many requests; retry after the number of seconds in Retry-After."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(
            message,
            details={"retry_after_seconds": retry_after_seconds},
            headers={"Retry-After": str(retry_after_seconds)},
        )


class ServiceUnavailable(StorefrontError):
    status_code = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable."


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "The product was not found."
