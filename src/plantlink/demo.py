"""``plantlink demo``: everything running locally in one command.

Starts every sandbox, the API with its in-process scheduler, creates an organization
and one connection per sandbox, runs the initial syncs with progress bars and prints
what to try next. Data lives in ``.plantlink/demo`` and is fresh on every start.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console
from rich.panel import Panel

from plantlink.connectors.registry import CONNECTORS
from plantlink.core.config import Settings
from plantlink.sandbox.core.server import SandboxServer
from plantlink.sandbox.registry import SANDBOXES

console = Console()


def _start_api(settings: Settings, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    from plantlink.api.app import create_app

    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit(f"the API did not start on port {port} (is the port free?)")
        time.sleep(0.05)
    return server, thread


def run_demo(*, port: int = 8000, scale: int = 2000, data_dir: Path | None = None) -> None:
    from plantlink.cli import run_sync_with_progress
    from plantlink.connect import create_connection
    from plantlink.store import Store

    data_dir = data_dir or Path.cwd() / ".plantlink" / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ.pop("PLANTLINK_DATABASE_URL", None)
    settings = Settings(data_dir=data_dir, database_url="")
    sandboxes: list[SandboxServer] = []
    with console.status("starting sandboxes…"):
        for system in sorted(set(SANDBOXES) & set(CONNECTORS)):
            sb = SandboxServer(system, seed=7, scale=scale)
            sb.start()
            sandboxes.append(sb)
            console.print(f"sandbox [bold]{system}[/] on {sb.base_url}")
    store = Store.open(settings)
    org, admin_key = store.accounts.create_organization("Demo Integrator")
    tokens: dict[str, str] = {}
    for sb in sandboxes:
        info: dict[str, Any] = sb.info
        made = create_connection(
            store, org.id, sb.system, f"Demo {sb.system}", info["credentials"], {}
        )
        tokens[sb.system] = made.token
        console.print(f"connected [bold]{sb.system}[/] → connection {made.connection.id}")
        run_sync_with_progress(store, made.connection.id)
    server, thread = _start_api(settings, port)
    api = f"http://127.0.0.1:{port}"
    first_system = "maintainx" if "maintainx" in tokens else next(iter(tokens))
    token = tokens[first_system]
    keys = [f"[bold]admin key[/]        {admin_key}"]
    keys += [f"[bold]{system} token[/]  {tok}" for system, tok in tokens.items()]
    console.print(Panel("\n".join(keys), title="plantlink demo is running", expand=False))
    auth = f"-H 'Authorization: Bearer {token}'"
    console.print("Try (records changed in the last hour, then the connection's sync state):")
    for line in (
        f"curl -s {auth} '{api}/v1/work-orders?page_size=2'",
        f"curl -s {auth} '{api}/v1/work-orders?modified_after=-1h&status=open&page_size=2'",
        f"curl -s {auth} '{api}/v1/sync-status'",
        f"curl -s -H 'Authorization: Bearer {admin_key}' {api}/v1/admin/connections",
    ):
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    console.print(f"API docs: {api}/docs    Ctrl-C stops everything")
    try:
        while thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for sb in sandboxes:
            sb.stop()
        store.close()
