"""Every event the service records, in one catalogue: producers and the metrics they feed name them here."""

from enum import StrEnum


class EventName(StrEnum):
    SYNC_STARTED = "tds.sync.started"
    SYNC_COMPLETED = "tds.sync.completed"
    SYNC_FAILED = "tds.sync.failed"
    WEBHOOK_RECEIVED = "tds.zoho.webhook.received"
    WEBHOOK_PROCESSED = "tds.zoho.webhook.processed"
    ORDER_PUSH_STARTED = "tds.order.create.started"
    ORDER_PUSH_COMPLETED = "tds.order.create.completed"
    ORDER_PUSH_FAILED = "tds.order.create.failed"
    ORDER_CANCELLED = "tds.order.cancelled"
    ORDER_VOID_COMPLETED = "tds.order.void.completed"
