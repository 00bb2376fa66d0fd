"""Engines and session factories for PostgreSQL (asyncpg) and SQLite (aiosqlite)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from storefront.config import Settings
from storefront.db.replica import MemoryMarks, RedisMarks, ReplicaReads, WriteMarks, routed_session_options


class ReplicaNotConfigured(ValueError):
    """STOREFRONT_DATABASE_READ_URL is set but cannot be used (the message names the variables)."""


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # On SQLite, writers take the write lock when their transaction begins (BEGIN IMMEDIATE),
    # so concurrent writers queue on busy_timeout instead of failing on a lock upgrade.
    # On PostgreSQL this is the same engine as `engine`.
    write_engine: AsyncEngine
    write_sessionmaker: async_sessionmaker[AsyncSession]
    # Catalog reads (product lists and pages, categories, search, the BFF screens): on the replica
    # when one is configured and has caught up (storefront.db.replica), else as `sessionmaker`.
    catalog_sessionmaker: async_sessionmaker[AsyncSession]
    replica: ReplicaReads | None = None

    @property
    def publish_write_mark(self) -> Callable[[], Awaitable[None]] | None:
        """What a cache awaits before each invalidation, when catalog reads may use a replica."""
        return self.replica.publish_mark if self.replica is not None else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        if self.replica is not None:
            await self.replica.close()
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


def _write_marks(settings: Settings) -> WriteMarks:
    if settings.redis_url:
        return RedisMarks(settings.redis_url, settings.cache_prefix, settings.cache_redis_timeout_seconds)
    return MemoryMarks()


def _pool_options(settings: Settings, engine_options: dict[str, Any]) -> dict[str, Any]:
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
        "pool_pre_ping": settings.database_pool_pre_ping,
        **engine_options,
    }


def _replica_reads(
    settings: Settings, read_url: str, primary_reads: AsyncEngine, engine_options: dict[str, Any]
) -> ReplicaReads:
    options = _pool_options(settings, engine_options)
    options["connect_args"] = {"timeout": settings.database_read_connect_timeout_seconds}
    replica = create_async_engine(read_url, **options)
    replica_reads = replica.execution_options(isolation_level="AUTOCOMMIT")
    return ReplicaReads(primary_reads, replica_reads, _write_marks(settings))


def create_database(settings: Settings, **engine_options: Any) -> Database:
    problem = settings.database_read_problem()
    if problem is not None:
        raise ReplicaNotConfigured(problem)
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
        engine = create_async_engine(url, **_pool_options(settings, engine_options))
        write_engine = engine
        # Reads need no transaction: without one, a read session saves the BEGIN and ROLLBACK
        # round trips; each statement sees the data committed when it starts.
        reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    sessionmaker = async_sessionmaker(reads, expire_on_commit=False)
    catalog_sessionmaker, replica = sessionmaker, None
    if settings.database_read_url is not None:
        replica = _replica_reads(settings, settings.database_read_url, reads, engine_options)
        catalog_sessionmaker = async_sessionmaker(
            reads, expire_on_commit=False, **routed_session_options(replica)
        )
    return Database(
        engine=engine,
        sessionmaker=sessionmaker,
        write_engine=write_engine,
        write_sessionmaker=async_sessionmaker(write_engine, expire_on_commit=False),
        catalog_sessionmaker=catalog_sessionmaker,
        replica=replica,
    )
