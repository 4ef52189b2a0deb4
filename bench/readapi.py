"""The read-API benchmark: ``wrk`` against ``plantlink serve`` and the bare endpoint.

Both servers run as processes of their own on the same PostgreSQL store, one at a time,
in alternating rounds (so that other load on the shared machine hits both alike).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bench.harness import PLANTLINK, ROOT, SECRET_KEY, api_ready, free_port, wait_until
from bench.loadtest.run import parse_wrk

if TYPE_CHECKING:
    from bench.run import StoredSet

ROUNDS = 2
CONNECTIONS = 8


@contextmanager
def _server(kind: str, stored: StoredSet, log_dir: Path) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PLANTLINK_DATABASE_URL": stored.url,
        "PLANTLINK_SECRET_KEY": SECRET_KEY,
        "PLANTLINK_DATA_DIR": str(log_dir),
        # Scale-out mode (no in-process scheduler); per-process limits, set out of reach.
        "PLANTLINK_EMBEDDED": "false",
        "PLANTLINK_RATE_LIMIT_STORAGE": "memory://",
        "PLANTLINK_API_RATE_LIMIT_PER_MINUTE": "100000000",
        "PLANTLINK_LOG_LEVEL": "WARNING",
    }
    if kind == "plantlink":
        cmd = [PLANTLINK, "serve", "--port", str(port)]
    else:
        cmd = [sys.executable, "-m", "bench.bare", str(port), stored.url, stored.connection_id]
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{kind}-{port}.log").open("wb") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_until(lambda: proc.poll() is None and api_ready(port), 60, f"{kind} API")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wrk(port: int, path: str, token: str, seconds: int, log_dir: Path) -> dict[str, Any]:
    script = log_dir / "auth.lua"
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    ).stdout
    r = parse_wrk(port, out)
    return {
        "requests_per_second": r.requests_per_second,
        "p50_ms": r.p50_ms,
        "p99_ms": r.p99_ms,
        "requests": r.requests,
        "errors": r.errors,
    }


def compare(stored: StoredSet, seconds: int, work_dir: Path) -> list[dict[str, Any]]:
    """Alternating wrk rounds against both endpoints; one row per round and endpoint."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    log_dir = work_dir / "read-api"
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = f"/v1/work-orders?modified_after={since}&page_size=100"
    rounds: list[dict[str, Any]] = []
    for n in range(1, ROUNDS + 1):
        for kind in ("plantlink", "bare"):
            with _server(kind, stored, log_dir) as port:
                check = httpx.get(
                    f"http://127.0.0.1:{port}{path}",
                    headers={"Authorization": f"Bearer {stored.token}"},
                    timeout=30,
                )
                check.raise_for_status()
                page = len(check.json()["data"])
                if page != 100:
                    raise RuntimeError(f"{kind} returned {page} records, not a full page")
                result = _wrk(port, path, stored.token, seconds, log_dir)
            rounds.append({"round": n, "endpoint": kind, **result})
            print(f"  round {n} {kind:<9} {result['requests_per_second']:>7.0f} req/s", flush=True)
    return rounds
