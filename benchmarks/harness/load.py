"""Load generators: wrk for cached GETs, a light asyncio client for writes, percentiles."""

import asyncio
import random
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# What a client sends next: method, path, body, extra header lines ("Name: value\r\n" each).
Request = tuple[str, str, bytes, str]


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str


def wrk(port: int, path: str, duration: float, connections: int, script: Path | None = None) -> WrkResult:
    """`wrk -t1 -cN -dDs --latency` against one URL (Debian package `wrk`), or the URLs a Lua script asks."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", output)
    return WrkResult(rps, _ms(output, "50%"), _ms(output, "99%"), errors.group(1) if errors else "")


def rotating_paths_script(paths: list[str], directory: Path) -> Path:
    """A wrk Lua script that asks `paths` in turn, one per request."""
    quoted = ", ".join('"' + path.replace('"', '\\"') + '"' for path in paths)
    script = directory / "paths.lua"
    script.write_text(
        f"local paths = {{{quoted}}}\nlocal i = 0\n"
        'request = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n'
    )
    return script


def _ms(output: str, percentile: str) -> float:
    value, unit = re.search(rf"\s{percentile}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def timed_get(client: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    """One GET and its time in milliseconds."""
    began = time.perf_counter()
    response = client.get(url)
    return (time.perf_counter() - began) * 1000, response


# STOREFRONT_CACHE_MAX_ENTRIES_OVERRIDES under which every list URL asked is computed and stored (a
# miss), never past the route's bound of stored answers (a bypass, which skips the store).
STORE_EVERY_LIST = '{"consumer:products": 1000000}'


def each_once_uncached(port: int, urls: list[tuple[str, str]], warm: list[str]) -> dict[str, list[float]]:
    """Ask each (class, URL) once, one at a time, after the `warm` URLs (which open the pools); the
    milliseconds of each answer by class. Every answer must be 200 and a cache miss."""
    samples: dict[str, list[float]] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:
        for url in warm:
            client.get(url)
        for label, url in urls:
            milliseconds, response = timed_get(client, url)
            if response.status_code != 200 or response.headers.get("x-cache") != "miss":
                raise RuntimeError(f"{url}: {response.status_code} x-cache={response.headers.get('x-cache')}")
            samples.setdefault(label, []).append(milliseconds)
    return samples


class Connection:
    """A bare keep-alive HTTP/1.1 connection: a far lighter load generator than a full client,
    so the service, not the benchmark, is what runs out of CPU on a small machine."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> int:
        status, _ = await self.exchange(method, path, body, headers)
        return status

    async def exchange(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        """Send one request; its status and body."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n"
        )
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        chunks = []
        while size := int((await self.reader.readline()).strip(), 16):
            chunks.append((await self.reader.readexactly(size + 2))[:-2])
        await self.reader.readline()
        return status, b"".join(chunks)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class LoadResult:
    """What a closed loop of clients saw while measuring: statuses, latencies of successes, answers kept."""

    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def succeeded(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.succeeded / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        """A percentile of the successes' latencies, in milliseconds."""
        return percentile(self.latencies, fraction) * 1000

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


async def closed_loop(
    port: int,
    clients: int,
    next_request: Callable[[int, random.Random], Request],
    *,
    seconds: float | None = None,
    requests: int | None = None,
    warmup: float = 0.0,
    success: frozenset[int] = frozenset({200, 201}),
    keep_bodies: bool = False,
) -> LoadResult:
    """`clients` connections, each sending its next request as soon as the last is answered, for
    `seconds` after `warmup` (or until `requests` have been sent in all). Client n draws from
    random.Random(n)."""
    result = LoadResult()
    measuring = warmup <= 0
    started = time.perf_counter()
    stop_at = started + warmup + (seconds or 0.0) if seconds is not None else float("inf")
    budget = [requests if requests is not None else -1]

    def take_one() -> bool:
        if budget[0] == -1:
            return True
        if budget[0] == 0:
            return False
        budget[0] -= 1
        return True

    async def client(n: int) -> None:
        rng = random.Random(n)
        connection = Connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at and take_one():
                method, path, body, headers = next_request(n, rng)
                began = time.perf_counter()
                status, answer = await connection.exchange(method, path, body, headers)
                elapsed = time.perf_counter() - began
                if measuring:
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status in success:
                        result.latencies.append(elapsed)
                        if keep_bodies:
                            result.bodies.append(answer)
        finally:
            connection.close()

    async def start_measuring() -> None:
        nonlocal measuring, started
        if warmup > 0:
            await asyncio.sleep(warmup)
            measuring = True
        started = time.perf_counter()

    await asyncio.gather(start_measuring(), *(client(n) for n in range(clients)))
    result.seconds = time.perf_counter() - started
    return result
