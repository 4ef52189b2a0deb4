"""``plantlink sandbox …``: the Typer app the main CLI mounts as ``sandbox``."""

from __future__ import annotations

from typing import Annotated

import typer

from plantlink.sandbox.core.server import SandboxServer
from plantlink.sandbox.registry import SANDBOXES

app = typer.Typer(help="Run vendor API emulators (sandboxes).", no_args_is_help=True)


@app.callback()
def sandbox() -> None:
    """Vendor API emulators with a /_sandbox control API."""


@app.command()
def serve(
    system: Annotated[str, typer.Argument(help=f"System id: {', '.join(sorted(SANDBOXES))}")],
    port: Annotated[int, typer.Option(help="TCP port (0 picks a free one).")] = 8080,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Data seed: same seed and scale, same data.")] = 0,
    scale: Annotated[int, typer.Option(min=1, help="Number of work orders to seed.")] = 2000,
) -> None:
    """Serve SYSTEM's API and /_sandbox until interrupted."""
    if system not in SANDBOXES:
        raise typer.BadParameter(f"unknown system {system!r}", param_hint="SYSTEM")
    server = SandboxServer(system, seed=seed, scale=scale, host=host, port=port)
    typer.echo(f"generating {system} sandbox (seed {seed}, scale {scale}) …", err=True)
    server.serve_forever(on_ready=lambda: typer.echo(f"listening on {server.base_url}", err=True))
