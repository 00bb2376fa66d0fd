"""One sync at a time, across every process that shares the database.

PostgreSQL: a session-level advisory lock held on a connection of its own for the whole run;
if the process dies the connection closes and the lock goes with it. SQLite (one machine): an
in-process lock, while the sync_runs table (written under SQLite's exclusive write lock) tells
processes apart.
"""

from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storefront.db.engine import Database
from storefront.logging import get_logger

log = get_logger(__name__)

# Any fixed 64-bit number works; this one spells "SFSYNC".
ADVISORY_LOCK_KEY = 0x534653594E43
# Databases this process is syncing now; the event loop runs one coroutine at a time, so a set will do.
_held_in_process: set[str] = set()


class SyncLock:
    """A non-blocking lock: `acquire()` answers at once whether this process may run a sync."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: AsyncConnection | None = None
        self._process_key: str | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._process_key is not None

    async def acquire(self) -> bool:
        if self.held:
            raise RuntimeError("this sync lock is already held")
        if self._database.is_sqlite:
            return self._acquire_process_lock()
        return await self._acquire_advisory_lock()

    def _acquire_process_lock(self) -> bool:
        key = self._database.engine.url.render_as_string(hide_password=True)
        if key in _held_in_process:
            return False
        _held_in_process.add(key)
        self._process_key = key
        return True

    async def _acquire_advisory_lock(self) -> bool:
        connection = await self._database.engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def release(self) -> None:
        if self._process_key is not None:
            _held_in_process.discard(self._process_key)
            self._process_key = None
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        except BaseException:
            # Never hand a connection that may still hold the lock back to the pool.
            log.warning("sync_lock_release_failed")
            await connection.invalidate()
            raise
        finally:
            await connection.close()

    async def __aenter__(self) -> bool:
        return await self.acquire()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.release()
