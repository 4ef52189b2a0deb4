"""Run a sandbox over real HTTP: ``SandboxServer`` (tests, demo) and the CLI's ``serve``.

The runner owns its uvicorn ``Server`` so that connection-level faults can be real: for
a ``reset`` it finds the transport of the request's connection (by client address) and
aborts it with ``SO_LINGER=0`` (an RST), for ``truncated`` it closes it after half the
body. uvicorn's own ``Date`` header is off; the middleware sends the sandbox clock's.

How a vendor plugs in: register a factory in ``plantlink.sandbox.registry``; the runner
looks the system up there.
"""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
from collections.abc import Callable, MutableMapping
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from plantlink.sandbox.core.vendor import SandboxState


class SandboxServer:
    """One sandbox in a background thread; ``port=0`` picks a free port."""

    def __init__(
        self,
        system: str,
        *,
        seed: int = 0,
        scale: int = 2000,
        host: str = "127.0.0.1",
        port: int = 0,
        anchor_ms: int | None = None,
    ) -> None:
        self.system = system
        self.seed = seed
        self.scale = scale
        self.host = host
        self.port = port
        self.anchor_ms = anchor_ms
        self.app: FastAPI | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def info(self) -> dict[str, Any]:
        """``GET /_sandbox/info``: system, base_url, credentials, counts."""
        response = httpx.get(f"{self.base_url}/_sandbox/info", timeout=60)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    @property
    def state(self) -> SandboxState:
        assert self.app is not None, "start() first"
        state: SandboxState = self.app.state.sandbox
        return state

    def _prepare(self) -> uvicorn.Server:
        from plantlink.sandbox.registry import SANDBOXES

        try:
            factory = SANDBOXES[self.system]
        except KeyError:
            known = ", ".join(sorted(SANDBOXES))
            raise ValueError(f"unknown system {self.system!r} (known: {known})") from None
        self.app = factory(self.seed, self.scale, anchor_ms=self.anchor_ms)
        # The generated tables live as long as the server and hold no cycles: keep the
        # collector from rescanning them on every generation-2 pass (~20% of page CPU).
        gc.collect()
        gc.freeze()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            date_header=False,
            server_header=False,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self.state.abort_connection = self._abort
        return self._server

    def start(self) -> SandboxServer:
        """Generate the data, start listening, return once requests are answered."""
        server = self._prepare()
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._socket]},
            daemon=True,
            name=f"sandbox-{self.system}-{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox {self.system} failed to start")
            time.sleep(0.01)
        return self

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Run in the foreground until interrupted (the CLI); ``on_ready`` once listening."""
        server = self._prepare()
        assert self._socket is not None
        if on_ready is not None:

            def announce() -> None:
                while not server.started and not server.should_exit:
                    time.sleep(0.05)
                if server.started:
                    on_ready()

            threading.Thread(target=announce, daemon=True).start()
        server.run(sockets=[self._socket])

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._thread = None
        gc.unfreeze()  # let a stopped sandbox's tables be collected (tests start many)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _abort(self, scope: MutableMapping[str, Any], rst: bool) -> bool:
        """Hang up the connection that carried ``scope`` (runs on the server's loop)."""
        assert self._server is not None
        client = tuple(scope.get("client") or ())
        for conn in list(self._server.server_state.connections):
            if tuple(getattr(conn, "client", None) or ()) != client:
                continue
            transport = conn.transport
            if rst:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            else:
                transport.close()
            return True
        return False
