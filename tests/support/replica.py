"""A PostgreSQL primary and a streaming replica of the test's own (benchmarks.harness.replica), a
database on them, and the replica's controls: pause and resume replay, stop and start.

When the pair cannot be started the tests fail, never skip: the read-replica tests are part of
the PostgreSQL pass.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from benchmarks.harness.replica import Pair, primary_and_replica
from sqlalchemy.engine import make_url

from storefront.db.migrate import upgrade_async

_WAIT_SECONDS = 30.0
_POLL_SECONDS = 0.05


@dataclass
class ReplicatedDatabase:
    pair: Pair
    name: str

    def _url(self, admin_url: str) -> str:
        return make_url(admin_url).set(database=self.name).render_as_string(hide_password=False)

    @property
    def primary_url(self) -> str:
        return self._url(self.pair.primary_url)

    @property
    def replica_url(self) -> str:
        return self._url(self.pair.replica_url)

    async def on_primary(self, statement: str, *args: object) -> str:
        connection = await asyncpg.connect(self.primary_url)
        try:
            status: str = await connection.execute(statement, *args)
            return status
        finally:
            await connection.close()

    async def on_replica(self, query: str, *args: object) -> object:
        connection = await asyncpg.connect(self.replica_url)
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    async def pause_replay(self) -> None:
        await self.on_replica("SELECT pg_wal_replay_pause()")
        if not await self._replica_says("SELECT pg_get_wal_replay_pause_state() = 'paused'"):
            raise AssertionError("replay did not pause")

    async def resume_replay(self) -> None:
        await self.on_replica("SELECT pg_wal_replay_resume()")

    async def caught_up(self) -> None:
        """Wait until the replica has replayed all the WAL the primary had when called (the
        position the service's write marks are taken from)."""
        connection = await asyncpg.connect(self.primary_url)
        try:
            written = await connection.fetchval("SELECT pg_current_wal_insert_lsn()::text")
            for _ in range(int(_WAIT_SECONDS)):
                replayed = "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn"
                if await self._replica_says(replayed, written, seconds=1):
                    return
                # The insert position can sit past a page header that no record has reached yet:
                # a transaction of its own writes the next record.
                await connection.fetchval("SELECT txid_current()")
        finally:
            await connection.close()
        raise AssertionError("the replica did not catch up")

    async def _replica_says(self, query: str, *args: object, seconds: float = _WAIT_SECONDS) -> bool:
        """Whether the query answers true on the replica within `seconds`."""
        for _ in range(int(seconds / _POLL_SECONDS)):
            try:
                if await self.on_replica(query, *args):
                    return True
            except (OSError, asyncpg.PostgresError):
                pass  # the database is not on the replica yet
            await asyncio.sleep(_POLL_SECONDS)
        return False


@pytest.fixture(scope="module")
async def streaming_pair() -> AsyncIterator[Pair]:
    async with primary_and_replica() as pair:
        yield pair


@pytest.fixture
async def replicated_database(streaming_pair: Pair) -> AsyncIterator[ReplicatedDatabase]:
    """A migrated database on the primary, visible on the replica; its replica replaying and
    running again when the test ends."""
    database = ReplicatedDatabase(streaming_pair, f"storefront_replica_{uuid.uuid4().hex[:12]}")
    admin = await asyncpg.connect(streaming_pair.primary_url)
    try:
        await admin.execute(f'CREATE DATABASE "{database.name}"')
    finally:
        await admin.close()
    await upgrade_async(
        make_url(database.primary_url).set(drivername="postgresql+asyncpg").render_as_string(False)
    )
    await database.caught_up()
    try:
        yield database
    finally:
        try:
            await database.on_replica("SELECT 1")
        except (OSError, asyncpg.PostgresError):
            await streaming_pair.start_replica()
        await database.resume_replay()
        admin = await asyncpg.connect(streaming_pair.primary_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
        finally:
            await admin.close()
