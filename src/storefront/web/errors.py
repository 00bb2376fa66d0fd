"""One exception hierarchy: each class carries its HTTP status and error code."""

from typing import Any


class StorefrontError(Exception):
    status_code = 500
    code = "internal_error"
    message = "An internal error occurred."

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class BadRequest(StorefrontError):
    status_code = 400
    code = "bad_request"
    message = "The request could not be understood."


class Unauthorized(StorefrontError):
    status_code = 401
    code = "unauthorized"
    message = "A valid admin token is required."


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


class Unprocessable(StorefrontError):
    status_code = 422
    code = "validation_error"
    message = "The request is invalid."


class TooManyRequests(StorefrontError):
    status_code = 429
    code = "rate_limited"
    message = "Too many requests."


class ServiceUnavailable(StorefrontError):
    status_code = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable."


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "The product was not found."
