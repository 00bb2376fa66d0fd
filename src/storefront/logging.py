"""Structured logging: JSON lines off a terminal, a readable console on one."""

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEYS = re.compile(r"(token|secret|password|authorization|signature|api_key)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def redact(value: str) -> str:
    """Strip credentials out of a URL-like string."""
    return _URL_PASSWORD.sub(r"\1***@", value)


def _redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if _SECRET_KEYS.search(key) and key != "event":
            event_dict[key] = "***"
        elif isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def _stderr_logger(*_: Any) -> structlog.PrintLogger:
    # Resolve sys.stderr per logger so redirected streams (daemons, test capture) are honoured.
    return structlog.PrintLogger(sys.stderr)


# Database drivers log statements with their parameters (customer names, emails, phones).
DATABASE_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.dialects", "asyncpg", "aiosqlite")


def configure_logging(level: str = "INFO", json: bool | None = None, database_level: str = "WARNING") -> None:
    if json is None:
        json = not sys.stderr.isatty()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer] if json else [*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for driver in DATABASE_LOGGERS:
        logging.getLogger(driver).setLevel(database_level.upper())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
