"""Shared plumbing of the benchmarks: sandbox processes, databases, measured children.

Everything measured runs in a child process of its own (``python -m bench.child``) so
that its peak RSS (``ru_maxrss`` from ``wait4``) and its timings are its own, and the
sandboxes it talks to run in further processes (``plantlink sandbox serve``), as a
source system would.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("PLANTLINK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PLANTLINK = str(Path(sys.executable).with_name("plantlink"))
#: The key every bench store is opened with (stored credentials are encrypted with it).
SECRET_KEY = "bench-secret-key-not-for-production"
#: MaintainX's page size (the vendor's maximum ``limit``), used by us and by dlt alike.
PAGE_SIZE = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def api_ready(port: int) -> bool:
    """Whether a ``plantlink serve`` (or the bare endpoint) on ``port`` answers /readyz."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Sandbox:
    """A MaintainX sandbox in its own process (``plantlink sandbox serve``)."""

    def __init__(self, scale: int, seed: int = 1, log_dir: Path | None = None) -> None:
        self.scale = scale
        self.seed = seed
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        log_dir = log_dir or Path(tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = (log_dir / f"sandbox-{scale}-{seed}-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [
                PLANTLINK,
                "sandbox",
                "serve",
                "maintainx",
                "--port",
                str(self.port),
                "--seed",
                str(seed),
                "--scale",
                str(scale),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PLANTLINK_LOG_LEVEL": "WARNING"},
        )
        wait_until(self._up, 600, f"sandbox (scale {scale})")

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"sandbox exited with {self.proc.returncode}")
        try:
            return httpx.get(f"{self.base_url}/_sandbox/stats", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def credentials(self) -> dict[str, Any]:
        creds: dict[str, Any] = self.control("GET", "/_sandbox/info")["credentials"]
        # The sandbox names itself "localhost"; loopback by address skips name lookups.
        creds["base_url"] = creds["base_url"].replace("//localhost:", "//127.0.0.1:")
        return creds

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = httpx.request(method, f"{self.base_url}{path}", json=body, timeout=300)
        r.raise_for_status()
        return r.json()

    def calm(self) -> None:
        """No latency, no rate limit, fresh stats."""
        self.control("POST", "/_sandbox/latency", {"ms": 0})
        self.control("POST", "/_sandbox/rate-limit", {"requests": 0, "per_seconds": 1})
        self.control("POST", "/_sandbox/reset-stats")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


class Sandboxes:
    """Sandboxes of one run, started on first use and shared by scale (and seed)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._running: dict[tuple[int, int], Sandbox] = {}

    def get(self, scale: int, seed: int = 1) -> Sandbox:
        key = (scale, seed)
        if key not in self._running:
            self._running[key] = Sandbox(scale, seed, self.log_dir)
        sb = self._running[key]
        sb.calm()
        return sb

    def drop(self, scale: int, seed: int = 1) -> None:
        sb = self._running.pop((scale, seed), None)
        if sb is not None:
            sb.stop()

    def stop_all(self) -> None:
        for sb in self._running.values():
            sb.stop()
        self._running.clear()


def pg_url(name: str, driver: str = "postgresql+psycopg") -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://", 1)
    return f"{base}/{name}"


@contextmanager
def database(kind: str, work_dir: Path) -> Iterator[str]:
    """A fresh, empty database URL (SQLAlchemy form) of ``kind`` sqlite or postgresql."""
    if kind == "sqlite":
        work_dir.mkdir(parents=True, exist_ok=True)
        path = work_dir / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"plantlink_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settle(url: str) -> None:
    """Let a freshly filled PostgreSQL store come to rest before it is measured.

    Right after a bulk load the server is still busy with it (autovacuum of the new
    rows, checkpoints writing them out) and on two cores that lands on whatever is
    measured next; a store that has been in service has long done this work.
    """
    if not url.startswith("postgresql"):
        return
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) records")
        conn.execute("VACUUM (ANALYZE) record_refs")
        conn.execute("CHECKPOINT")


@dataclass
class ChildResult:
    data: dict[str, Any]
    #: Peak resident set of the child, in MB (``ru_maxrss``).
    max_rss_mb: float
    cpu_seconds: float


def run_child(kind: str, spec: dict[str, Any], timeout: float = 3600) -> ChildResult:
    """Run ``bench.child`` with ``kind`` and ``spec``; its JSON result and its rusage."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    log = out.with_suffix(".log")
    # ROOT first (the bench package); a PYTHONPATH given to the run comes next, so
    # ``PYTHONPATH=/some/other/checkout/src`` measures another plantlink (before/after).
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PLANTLINK_LOG_LEVEL": "WARNING", "PYTHONPATH": path}
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.child", kind, json.dumps(spec), str(out)],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"child {kind} timed out")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:
        if proc.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"child {kind} failed with exit code {proc.returncode}:\n{tail}")
        data = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
        log.unlink(missing_ok=True)
    return ChildResult(data, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def commit() -> str:
    try:
        sha = subprocess.check_output(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True
        ).strip()
        dirty = subprocess.check_output(["git", "status", "--porcelain"], cwd=ROOT, text=True)
        return sha + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"
