"""The background tasks a process's components run (pushers, fetchers, settlers)."""

import asyncio
from contextlib import suppress


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has stopped; nothing when there is none."""
    if task is None:
        return
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
