"""Redis clients that fail fast: a Redis that does not answer is noticed in one timeout, never
retried in place, so callers fall back (to the database, to the primary) at once."""

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def fail_fast_client(url: str, timeout_seconds: float, *, listens: bool = False) -> Redis:
    """A client whose connects and reads give up after `timeout_seconds`; one that `listens` (a
    subscription) waits for messages without a read timeout and keeps its connection alive."""
    if listens:
        return Redis.from_url(
            url, socket_connect_timeout=timeout_seconds, socket_keepalive=True, retry=Retry(NoBackoff(), 0)
        )
    return Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )
