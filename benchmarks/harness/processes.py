"""Ports, server commands, starting and stopping processes, and their memory."""

import asyncio
import socket
import subprocess
import sys
import time
from asyncio.subprocess import DEVNULL
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(server: str, target: str, port: int, factory: bool, app_dir: Path | None) -> list[str]:
    """One worker of `server` (granian or uvicorn) serving `target`, with the flags `storefront serve` uses."""
    if server == "uvicorn":
        command = [str(BIN / "uvicorn"), target, "--port", str(port), "--workers", "1"]
        command += ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
        if app_dir:
            command += ["--app-dir", str(app_dir)]
    else:
        command = [str(BIN / "granian"), target, "--interface", "asgi", "--port", str(port), "--workers", "1"]
        command += ["--loop", "uvloop", "--log-level", "warning", "--no-access-log"]
        if app_dir:
            command += ["--working-dir", str(app_dir)]
    if factory:
        command.append("--factory")
    return command


def wait_until_up(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path}")


def serve(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def start_storefront(
    *args: str, env: dict[str, str], log: Path | None = None
) -> asyncio.subprocess.Process:
    """`storefront <args>` in a child process; its output goes to `log` when given, else nowhere."""
    output = log.open("ab") if log is not None else DEVNULL
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "storefront", *args, env=env, stdout=output, stderr=output, cwd=ROOT
        )
    finally:
        if log is not None and not isinstance(output, int):
            output.close()


async def wait_until_live(
    base_url: str, process: asyncio.subprocess.Process, path: str = "/health/live"
) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"the process serving {base_url} exited ({process.returncode})")
            try:
                if (await http.get(path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{base_url} did not come up")


async def terminate(process: asyncio.subprocess.Process | None) -> None:
    if process is None or process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 15.0)
    except TimeoutError:
        process.kill()
        await process.wait()


def descendants(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append(int(entry.name))
                found.extend(descendants(int(entry.name)))
    return found


def memory_mb(pid: int, field: str) -> float:
    """A memory figure of /proc/<pid>/status in MB: VmRSS (now) or VmHWM (peak)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def tree_memory_mb(pid: int, field: str) -> float:
    """The sum of a memory figure over a process and its descendants (a server and its workers)."""
    return sum(memory_mb(member, field) for member in (pid, *descendants(pid)))
