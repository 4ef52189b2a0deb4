"""The command line as a user runs it: real processes, real database, real sandbox."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from plantlink.connect import create_connection
from plantlink.core.config import Settings
from plantlink.sandbox.core.server import SandboxServer
from plantlink.store import Store


def _env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PLANTLINK_DATABASE_URL": settings.resolved_database_url,
        "PLANTLINK_SECRET_KEY": settings.resolved_secret_key(),
        "PLANTLINK_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }


def _plantlink(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plantlink", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_migrate_and_orgs_create(settings: Settings, store: Store, tmp_path: Path) -> None:
    env = _env(settings, tmp_path)
    done = _plantlink("migrate", env=env)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    done = _plantlink("orgs", "create", "Acme Integrations", env=env)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("plk_admin_")
    org = store.accounts.organization_for_admin_key(key)
    assert org is not None and org.name == "Acme Integrations"


def test_sync_follow_shows_progress(settings: Settings, store: Store, tmp_path: Path) -> None:
    with SandboxServer("maintainx", seed=2, scale=300) as sb:
        org, _ = store.accounts.create_organization("cli")
        made = create_connection(
            store, org.id, "maintainx", "cli", sb.info["credentials"], {"history_days": 3650}
        )
        done = _plantlink("sync", made.connection.id, "--follow", env=_env(settings, tmp_path))
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert "maintainx:work_orders" in out and "records" in out
    assert re.search(r"sync done: \d+ source requests", out)
    assert re.search(r"work_orders\s+done\s+\+300", out)


def test_sync_of_unknown_connection(settings: Settings, tmp_path: Path) -> None:
    done = _plantlink("sync", "no-such-connection", env=_env(settings, tmp_path))
    assert done.returncode != 0
    assert "no connection" in (done.stderr + done.stdout)


@pytest.mark.slow
def test_demo_answers_curl(tmp_path: Path) -> None:
    """``plantlink demo`` in a fresh directory: it prints curl lines that work."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTLINK_")}
    env["COLUMNS"] = "250"
    port = 18000 + os.getpid() % 1000
    proc = subprocess.Popen(
        [sys.executable, "-m", "plantlink", "demo", "--port", str(port), "--scale", "300"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(lines)
        curls = [ln.strip() for ln in lines if ln.strip().startswith("curl ")]
        assert len(curls) >= 3, text
        assert any("modified_after=" in c for c in curls)
        for curl in curls:
            token = re.search(r"Bearer (\S+?)'", curl)
            url = re.search(r"'(http://[^']+)'|(http://\S+)", curl.split("Bearer")[1])
            assert token and url, curl
            target = url.group(1) or url.group(2)
            r = httpx.get(target, headers={"Authorization": f"Bearer {token.group(1)}"}, timeout=30)
            assert r.status_code == 200, (curl, r.text)
            assert r.json()
        wo = httpx.get(
            f"http://127.0.0.1:{port}/v1/work-orders",
            headers={"Authorization": "Bearer " + re.search(r"plk_conn_\S+", text).group(0)},  # type: ignore[union-attr]
            timeout=30,
        ).json()
        assert wo["data"]
        # SAP is connected alongside MaintainX and its records arrive
        sap = re.search(r"sap_s4hana token\s+(plk_conn_[A-Za-z0-9_\-]+)", text)
        assert sap, text
        auth = {"Authorization": f"Bearer {sap.group(1)}"}
        base = f"http://127.0.0.1:{port}/v1"
        assert httpx.get(f"{base}/connection", headers=auth, timeout=30).json()["system"] == (
            "sap_s4hana"
        )
        for path in ("work-orders", "assets", "sites", "purchase-orders", "vendors", "parts"):
            body = httpx.get(f"{base}/{path}", headers=auth, timeout=30).json()
            assert body["data"], (path, body)
        sites = httpx.get(f"{base}/sites", headers=auth, timeout=30).json()["data"]
        assert {s["code"] for s in sites} == {"1010", "1020", "1710"}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
