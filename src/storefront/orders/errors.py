"""Order errors, each with the HTTP status and code it is answered with."""

from storefront.web.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable


class UnsellableLines(Unprocessable):
    code = "unsellable_lines"
    message = "Some lines name products that are unknown, inactive, not priced or repeated."


class PriceChanged(Conflict):
    code = "price_changed"
    message = "Some prices changed since they were shown; the current prices are in details."


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = "Not enough stock for some lines; nothing was reserved."


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request body."


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "The order was not found."


class OrderNotRetryable(Conflict):
    code = "order_not_retryable"
    message = "Only an order whose push failed can be retried."


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"
    message = "Only an accepted or confirmed order can be cancelled."


class OrderTooLarge(Unprocessable):
    code = "order_too_large"
    message = "The order is over the shop's limits per line, per order or in value; details name them."


# What placing an order can answer, by whichever route it is placed (503: the database aborted
# the transaction for contention; nothing was changed).
PLACEMENT_ERRORS = (
    UnsellableLines,
    PriceChanged,
    InsufficientStock,
    IdempotencyKeyReused,
    OrderTooLarge,
    ServiceUnavailable,
)
