"""Bulk input for PostgreSQL: rows sent by binary COPY into a temporary table, then joined in SQL.

For tens of thousands of rows COPY is several times cheaper than the same values sent as array
parameters, and a table can be joined to the whole batch at once.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.dialect import driver_connection


async def stage_rows(
    session: AsyncSession, table: str, definition: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Fill the temporary `table` (created on first use, emptied by every commit) with these rows,
    in the session's transaction. `definition` is its column list, as in CREATE TABLE."""
    await session.execute(
        text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({definition}) ON COMMIT DELETE ROWS")
    )
    await session.execute(text(f"TRUNCATE {table}"))
    driver = await driver_connection(session)
    await driver.copy_records_to_table(table, records=rows, columns=list(columns))
