"""Load test of scale-out mode: two API processes under wrk while two workers sync.

    python -m bench.loadtest.run [--seconds 20] [--connections 8]

Needs PostgreSQL (``PLANTLINK_TEST_PG``, default the test server), Redis and ``wrk``
(``apt-get install wrk``). Everything runs on this machine: a throw-away database,
MaintainX sandboxes in this process, two ``plantlink worker`` and two ``plantlink serve``
as subprocesses, and one ``wrk`` per API process. Results are written to
``bench/RESULTS.md``; raw wrk output to ``bench/out/``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.harness import api_ready, commit, database, free_port, machine, wait_until
from plantlink.core.config import Settings
from plantlink.sandbox.core.server import SandboxServer
from plantlink.store import Store
from plantlink.store.tables import sync_runs

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
REDIS = os.environ.get("PLANTLINK_TEST_REDIS", "redis://127.0.0.1:6379")
PLANTLINK = str(Path(sys.executable).with_name("plantlink"))
FAST = {"history_days": 3650, "rate_limit": {"requests": 100_000, "per_seconds": 1}}

#: Work orders in the sandbox the read connection mirrors (the list calls' data set).
READ_SCALE = 5000
#: Connections whose initial syncs keep the workers busy during the load.
BACKGROUND_CONNECTIONS = 20
BACKGROUND_SCALE = 1000


@dataclass
class WrkResult:
    port: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    #: CPU time the API process spent per request (user + system), whatever else ran.
    cpu_ms_per_request: float = 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(port: int, text: str) -> WrkResult:
    """Throughput and latency percentiles from ``wrk --latency`` output."""

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        assert m, f"no {p}% line in wrk output"
        return _ms(m.group(1), m.group(2))

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    assert rps and total, "unexpected wrk output"
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return WrkResult(port, float(rps.group(1)), pct("50"), pct("99"), int(total.group(1)), errors)


def _wrk_script(token: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "auth.lua"
    path.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    return path


def _run_wrk(
    apis: dict[int, int], path: str, script: Path, seconds: int, conns: int, label: str
) -> list[WrkResult]:
    """One wrk per API process (port -> pid), all at once."""
    ports = list(apis)
    cpu_before = {port: cpu_seconds(pid) for port, pid in apis.items()}
    procs = [
        subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{conns}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}{path}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for port in ports
    ]
    results = []
    for port, proc in zip(ports, procs, strict=True):
        out, _ = proc.communicate(timeout=seconds + 60)
        (OUT / f"wrk-{label}-{port}.txt").write_text(out)
        result = parse_wrk(port, out)
        used = cpu_seconds(apis[port]) - cpu_before[port]
        result.cpu_ms_per_request = 1000 * used / max(result.requests, 1)
        results.append(result)
    return results


class Deployment:
    """Two workers and two API processes on one database, as an operator would run them."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.env = {
            **os.environ,
            "PLANTLINK_DATABASE_URL": url,
            "PLANTLINK_SECRET_KEY": "bench-secret-key",
            "PLANTLINK_DATA_DIR": str(data_dir),
            "PLANTLINK_RATE_LIMIT_STORAGE": REDIS,
            "PLANTLINK_API_RATE_LIMIT_PER_MINUTE": "100000000",
            "PLANTLINK_LOG_LEVEL": "WARNING",
        }
        self.settings = Settings(
            database_url=url,
            data_dir=data_dir,
            secret_key="bench-secret-key",
            rate_limit_storage=REDIS,
        )
        self.store = Store.open(self.settings)
        self.procs: list[subprocess.Popen[bytes]] = []
        #: API port -> process id
        self.apis: dict[int, int] = {}

    def start(self, workers: int = 2, apis: int = 2) -> None:
        for n in range(workers):
            self._spawn(["worker", "--concurrency", "2"], f"worker-{n}.log")
        for _ in range(apis):
            port = free_port()
            self.apis[port] = self._spawn(["serve", "--port", str(port)], f"serve-{port}.log")
        for port in self.apis:
            wait_until(lambda p=port: api_ready(p), 60, f"API on {port}")

    def _spawn(self, args: list[str], log: str) -> int:
        OUT.mkdir(parents=True, exist_ok=True)
        with (OUT / log).open("wb") as fh:
            proc = subprocess.Popen(
                [PLANTLINK, *args], env=self.env, stdout=fh, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        return proc.pid

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.store.close()

    def synced(self, connection_id: str) -> bool:
        row = self.store.accounts.get_connection(connection_id)
        return bool(row and row.last_successful_sync_at and not row.sync_pending)

    def finished_runs(self) -> int:
        with self.store.engine.connect() as conn:
            stmt = (
                select(func.count()).select_from(sync_runs).where(sync_runs.c.status != "running")
            )
            return int(conn.execute(stmt).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections per API")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    with ExitStack() as stack:
        url = stack.enter_context(database("postgresql", ROOT))
        data_dir = OUT / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        deployment = Deployment(url, data_dir)
        stack.callback(deployment.stop)
        reader_sb = stack.enter_context(SandboxServer("maintainx", seed=1, scale=READ_SCALE))
        busy_sbs = [
            stack.enter_context(SandboxServer("maintainx", seed=10 + n, scale=BACKGROUND_SCALE))
            for n in range(2)
        ]
        org, _key = deployment.store.accounts.create_organization("Bench")
        reader, token = deployment.store.accounts.create_connection(
            org.id, "maintainx", "reader", reader_sb.info["credentials"], FAST
        )
        deployment.start()
        print("syncing the read connection ...", flush=True)
        wait_until(lambda: deployment.synced(reader.id), 600, "the read connection's sync")

        # Background work for the workers while the API is under load.
        for n in range(BACKGROUND_CONNECTIONS):
            sb = busy_sbs[n % len(busy_sbs)]
            deployment.store.accounts.create_connection(
                org.id, "maintainx", f"busy {n}", sb.info["credentials"], FAST
            )
        runs_before = deployment.finished_runs()
        script = _wrk_script(token)
        scenarios = {
            "list": "/v1/work-orders?page_size=100",
            "modified_after": "/v1/work-orders?page_size=100&modified_after=-1h",
        }
        results: dict[str, list[WrkResult]] = {}
        for label, path in scenarios.items():
            print(f"wrk {label}: {args.seconds}s x {len(deployment.apis)} APIs", flush=True)
            results[label] = _run_wrk(
                deployment.apis, path, script, args.seconds, args.connections, label
            )
        runs_during = deployment.finished_runs() - runs_before

    _write_results(results, args, runs_during)
    print(RESULTS.read_text())


def _write_results(
    results: dict[str, list[WrkResult]], args: argparse.Namespace, runs: int
) -> None:
    lines = [
        "# Load test results",
        "",
        "Produced by `python -m bench.loadtest.run` (see `bench/loadtest/run.py`): two",
        "`plantlink serve` processes on one PostgreSQL database, each driven by its own `wrk`",
        f"(1 thread, {args.connections} connections, {args.seconds} s per scenario), while two",
        "`plantlink worker` processes (concurrency 2) run the initial syncs of",
        f"{BACKGROUND_CONNECTIONS} connections ({BACKGROUND_SCALE} work orders each). The list",
        f"calls read a connection mirroring {READ_SCALE} work orders; every request returns a",
        "full page of 100. Sandboxes, workers, API processes, PostgreSQL, Redis and wrk all",
        "share the same machine.",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine()}",
        f"- commit: {commit()}",
        f"- sync runs finished by the workers during the load: {runs}",
        "- load average (1 min) when the results were written: "
        f"{os.getloadavg()[0]:.1f} (other work on the machine inflates latency)",
        "",
        "| scenario | API process | requests/s | p50 ms | p99 ms | requests | errors | API CPU ms/request |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, per_api in results.items():
        for n, r in enumerate(per_api, 1):
            lines.append(
                f"| `{label}` | {n} | {r.requests_per_second:.0f} | {r.p50_ms:.1f} | "
                f"{r.p99_ms:.1f} | {r.requests} | {r.errors} | {r.cpu_ms_per_request:.1f} |"
            )
        total = sum(r.requests_per_second for r in per_api)
        lines.append(f"| `{label}` | both | **{total:.0f}** | | | | | |")
    cpu = [r.cpu_ms_per_request for per_api in results.values() for r in per_api]
    lines += [
        "",
        "`list` = `GET /v1/work-orders?page_size=100`; `modified_after` = the same with",
        "`modified_after=-1h` (matches every record: the filter's index path, full pages).",
        "",
        "Latency and throughput depend on what else the machine runs; the CPU an API process",
        f"spends per request does much less: {min(cpu):.1f} to {max(cpu):.1f} ms here, i.e. about",
        f"{1000 / max(cpu):.0f} list calls/s per API process on a core of its own (database",
        "time comes on top, on the database's cores).",
        "",
    ]
    # Keep the sections ``python -m bench.run`` appended after this one.
    existing = RESULTS.read_text() if RESULTS.exists() else ""
    marker = "\n# Benchmark run "
    kept = existing[existing.index(marker) :] if marker in existing else ""
    RESULTS.write_text("\n".join(lines) + kept)


if __name__ == "__main__":
    main()
