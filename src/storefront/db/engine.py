"""Engines and session factories for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from storefront.config import Settings


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # On SQLite, writers take the write lock when their transaction begins (BEGIN IMMEDIATE),
    # so concurrent writers queue on busy_timeout instead of failing on a lock upgrade.
    # On PostgreSQL this is the same engine as `engine`.
    write_engine: AsyncEngine
    write_sessionmaker: async_sessionmaker[AsyncSession]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


def _configure_sqlite(engine: AsyncEngine, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def create_database(settings: Settings, **engine_options: Any) -> Database:
    url = make_url(settings.database_url)
    # Statement parameters hold customer details: never in a log line or an exception message.
    engine_options.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **engine_options)
        write_engine = create_async_engine(url, **engine_options)
        _configure_sqlite(engine, "BEGIN")
        _configure_sqlite(write_engine, "BEGIN IMMEDIATE")
        reads = engine
    else:
        options: dict[str, Any] = {
            "pool_size": settings.database_pool_size,
            "max_overflow": settings.database_max_overflow,
            "pool_pre_ping": settings.database_pool_pre_ping,
            **engine_options,
        }
        engine = create_async_engine(url, **options)
        write_engine = engine
        # Reads need no transaction: without one, a read session saves the BEGIN and ROLLBACK
        # round trips; each statement sees the data committed when it starts.
        reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    return Database(
        engine=engine,
        sessionmaker=async_sessionmaker(reads, expire_on_commit=False),
        write_engine=write_engine,
        write_sessionmaker=async_sessionmaker(write_engine, expire_on_commit=False),
    )
