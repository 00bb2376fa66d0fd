"""This process: whether it runs the background work, and how it logs."""

from pydantic import BaseModel


class ProcessSettings(BaseModel):
    # The scheduler, the order push worker, the settler and the picture fetcher run in API
    # processes too (false: only in `storefront worker` processes).
    run_background_tasks: bool = True
    log_level: str = "INFO"
    log_json: bool | None = None
    # Database driver loggers (sqlalchemy.engine, asyncpg, aiosqlite) log statements and their
    # parameters, customer details included: they stay at WARNING unless this names a level.
    log_database_level: str = "WARNING"
