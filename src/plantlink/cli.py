"""``plantlink`` command line: serve, demo, sandbox, worker, migrate, orgs, sync."""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from plantlink.core.config import get_settings
from plantlink.core.logging import configure as configure_logging

app = typer.Typer(help="plantlink: one API over maintenance and ERP systems.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organizations and admin keys.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
console = Console()


def _mount_sandbox() -> None:
    from plantlink.sandbox.cli import app as sandbox_app

    app.add_typer(sandbox_app, name="sandbox")


_mount_sandbox()


@app.callback()
def main_callback() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes (scale-out mode).")] = 1,
) -> None:
    """Run the API. Embedded mode (SQLite) also runs the scheduler and syncs in-process."""
    import uvicorn

    from plantlink.store.db import migrate

    settings = get_settings()
    try:
        settings.require_shared_rate_limits()
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    migrate(settings.resolved_database_url)
    if workers > 1 and settings.is_sqlite:
        raise typer.BadParameter("several API processes need PostgreSQL (PLANTLINK_DATABASE_URL)")
    uvicorn.run(
        "plantlink.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once (threads).")] = 4,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="Only these queues (sync, webhooks, maintenance); repeatable."),
    ] = None,
    metrics_port: Annotated[
        int, typer.Option(help="Serve this worker's Prometheus metrics on this port (0: off).")
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="Interface for --metrics-port.")] = "127.0.0.1",
    check: Annotated[
        bool, typer.Option("--check", help="Report live workers and queue depth; exit 1 if none.")
    ] = False,
) -> None:
    """Run scale-out jobs: syncs, the periodic scheduler and webhook deliveries."""
    from plantlink.jobs import procrastinate_app as pq

    settings = get_settings()
    if settings.is_sqlite:
        raise typer.BadParameter("workers need PostgreSQL (PLANTLINK_DATABASE_URL)")
    if check:
        _check_workers(settings)
        return
    unknown = sorted(set(queue or ()) - set(pq.QUEUES))
    if unknown:
        raise typer.BadParameter(f"unknown queue {unknown[0]!r}", param_hint="--queue")
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)
    try:
        pq.run_worker(settings, concurrency=concurrency, queues=queue)
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


def _check_workers(settings: Any) -> None:
    from plantlink.jobs.procrastinate_app import queue_health
    from plantlink.store import Store

    store = Store.open(settings, run_migrations=False)
    try:
        health = queue_health(store, settings.worker_stalled_seconds)
    finally:
        store.close()
    console.print(f"workers alive: {health.workers_alive}  stalled: {health.workers_stalled}")
    for name, (todo, doing, oldest) in sorted(health.queues.items()):
        console.print(f"  {name:<12} waiting {todo:>6}  running {doing:>4}  oldest {oldest:.0f}s")
    if health.workers_alive == 0:
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Apply database migrations (also done automatically on start)."""
    from plantlink.store.db import migrate as run_migrations

    url = get_settings().resolved_database_url
    run_migrations(url)
    console.print(f"database is up to date ({url.split('@')[-1]})")


@orgs_app.command("create")
def orgs_create(name: Annotated[str, typer.Argument(help="Organization name")]) -> None:
    """Create an organization and print its admin key (shown once)."""
    from plantlink.store import Store

    store = Store.open(get_settings())
    org, key = store.accounts.create_organization(name)
    console.print(f"organization [bold]{org.name}[/] ({org.id})", highlight=False)
    typer.echo(key)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.fields[records]:>8} records  {task.fields[pages]:>5} pages"),
        TimeElapsedColumn(),
        console=console,
    )


def run_sync_with_progress(store: Any, connection_id: str, *, full: bool = False) -> Any:
    """Run one sync in this process with a live progress bar per model."""
    from plantlink.connectors.registry import get_connector
    from plantlink.sync.engine import SyncEngine
    from plantlink.sync.schedule import RunRequest

    row = store.accounts.get_connection(connection_id)
    connector = get_connector(row.system)
    assert connector is not None
    with _progress_bar() as progress:
        tasks = {
            m: progress.add_task(f"{row.system}:{m}", total=None, records=0, pages=0)
            for m in connector.models
        }

        def on_page(model: str, pages: int, records: int) -> None:
            progress.update(tasks[model], records=records, pages=pages)

        engine = SyncEngine(store, progress=on_page)
        result = engine.run(RunRequest(connection_id, full=full, trigger="cli"))
        for model, outcome in result.models.items():
            progress.update(tasks[model], total=1, completed=1)
            if outcome.error_code:
                progress.update(tasks[model], description=f"[red]{row.system}:{model} ✗")
    return result


@app.command()
def sync(
    connection_id: Annotated[str, typer.Argument(help="Connection id")],
    full: Annotated[bool, typer.Option(help="Re-read the whole window, not just changes.")] = False,
    follow: Annotated[bool, typer.Option(help="Show a progress bar per model.")] = False,
) -> None:
    """Sync a connection now, in this process (or follow the sync already running elsewhere)."""
    from plantlink.store import Store
    from plantlink.sync.engine import SyncEngine
    from plantlink.sync.schedule import RunRequest

    store = Store.open(get_settings())
    if store.accounts.get_connection(connection_id) is None:
        raise typer.BadParameter(f"no connection {connection_id}", param_hint="CONNECTION_ID")
    if follow:
        result = run_sync_with_progress(store, connection_id, full=full)
    else:
        result = SyncEngine(store).run(RunRequest(connection_id, full=full, trigger="cli"))
    if result.status == "busy":
        console.print("a sync of this connection is already running elsewhere")
        if follow:
            _follow_running(store, connection_id)
        return
    console.print(f"sync {result.status}: {result.requests} source requests")
    for model, outcome in result.models.items():
        line = (
            f"  {model:<22} {outcome.status:<17} +{outcome.result.created} "
            f"~{outcome.result.updated} -{outcome.deleted}"
        )
        if outcome.error_code:
            line += f"  {outcome.error_code}: {outcome.error_message}"
        console.print(line, highlight=False)
    if result.status not in ("done", "partial"):
        raise typer.Exit(1)


def _follow_running(store: Any, connection_id: str) -> None:
    """Progress of a sync another process runs, read from its checkpoints."""
    from plantlink.sync import state
    from plantlink.sync.lease import is_held

    with _progress_bar() as progress:
        tasks: dict[str, Any] = {}
        while True:
            for st in state.load_states(store.engine, connection_id).values():
                cp = st.checkpoint or {}
                if st.model not in tasks:
                    tasks[st.model] = progress.add_task(st.model, total=None, records=0, pages=0)
                progress.update(
                    tasks[st.model], records=cp.get("records", 0), pages=cp.get("pages", 0)
                )
            row = store.accounts.get_connection(connection_id)
            if row is None or not is_held(row.lease_until):
                return
            time.sleep(1)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="API port.")] = 8000,
    scale: Annotated[int, typer.Option(help="Work orders per sandbox.")] = 2000,
) -> None:
    """Sandboxes + API + one connection per sandbox, synced, with curl lines to try."""
    from plantlink.demo import run_demo

    run_demo(port=port, scale=scale)


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(app())
