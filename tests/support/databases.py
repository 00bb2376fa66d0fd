"""One fresh database per test run, on SQLite or the real PostgreSQL."""

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storefront.db.migrate import upgrade_async
from storefront.db.models import Base

POSTGRES_ADMIN_URL = os.environ.get(
    "STOREFRONT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def backend() -> str:
    value = os.environ.get("STOREFRONT_TEST_DB", "sqlite").lower()
    if value not in {"sqlite", "postgres"}:
        raise RuntimeError(f"STOREFRONT_TEST_DB must be sqlite or postgres, not {value!r}")
    return value


@dataclass
class TestDatabase:
    url: str
    backend: str
    name: str

    async def truncate_all(self) -> None:
        tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
        engine = create_async_engine(self.url)
        try:
            async with engine.begin() as connection:
                if self.backend == "postgres":
                    await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                else:
                    for table in tables:
                        await connection.execute(text(f"DELETE FROM {table}"))
        finally:
            await engine.dispose()


async def create_test_database(tmp_dir: Path) -> TestDatabase:
    name = f"storefront_test_{uuid.uuid4().hex[:12]}"
    if backend() == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_dir / (name + '.db')}"
    else:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        admin_url = make_url(POSTGRES_ADMIN_URL)
        url = admin_url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    await upgrade_async(url)
    return TestDatabase(url=url, backend=backend(), name=name)


async def drop_test_database(database: TestDatabase) -> None:
    if database.backend != "postgres":
        return
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await admin.close()
