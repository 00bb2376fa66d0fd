"""A PostgreSQL primary and a streaming replica of it, both of this run's own.

The primary is a fresh cluster (initdb into a temporary directory, started on a free port, its
pg_hba allowing replication from 127.0.0.1); the replica is pg_basebackup of it into another
temporary directory (`-R` writes standby.signal and primary_conninfo), started on another port.
PostgreSQL refuses to run as root: as root, both run as the `postgres` user. The benchmarks and
the replica tests (tests/replica) share it.
"""

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from benchmarks.harness.processes import free_port


@dataclass(frozen=True)
class Pair:
    primary_url: str
    replica_url: str
    replica_data: Path
    replica_port: int
    sockets: Path

    async def stop_replica(self) -> None:
        await asyncio.to_thread(_stop, self.replica_data)

    async def start_replica(self) -> None:
        await asyncio.to_thread(_start, self.replica_data, self.replica_port, self.sockets)
        await _replaying(self.replica_url)


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian: postgresql)")
    return path


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    done = subprocess.run(_as_postgres(command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()}")


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _start(data: Path, port: int, sockets: Path) -> None:
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1"
    _run([_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w", "start"])


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True
        )


async def _replaying(url: str) -> None:
    for _ in range(300):
        try:
            connection = await asyncpg.connect(url)
            try:
                if await connection.fetchval("SELECT pg_is_in_recovery()"):
                    return
            finally:
                await connection.close()
        except (OSError, asyncpg.PostgresError):
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the replica did not come up")


@asynccontextmanager
async def primary_and_replica() -> AsyncIterator[Pair]:
    root = Path(tempfile.mkdtemp(prefix="storefront-replica-"))
    _own(root)
    primary, replica, sockets = root / "primary", root / "replica", root / "sockets"
    sockets.mkdir()
    _own(sockets)
    primary_port, replica_port = free_port(), free_port()
    try:
        await asyncio.to_thread(
            _run,
            [
                _bin("initdb"),
                "-D",
                str(primary),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        )
        await asyncio.to_thread(_start, primary, primary_port, sockets)
        await asyncio.to_thread(
            _run,
            [
                _bin("pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary_port),
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        )
        await asyncio.to_thread(_start, replica, replica_port, sockets)
        replica_url = f"postgresql://postgres@127.0.0.1:{replica_port}/postgres"
        await _replaying(replica_url)
        yield Pair(
            f"postgresql://postgres@127.0.0.1:{primary_port}/postgres",
            replica_url,
            replica,
            replica_port,
            sockets,
        )
    finally:
        await asyncio.to_thread(_stop, replica)
        await asyncio.to_thread(_stop, primary)
        shutil.rmtree(root, ignore_errors=True)
