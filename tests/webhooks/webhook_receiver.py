"""A real webhook receiver on loopback that checks every signature with the library."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Received:
    webhook_id: str
    timestamp: int
    signature: str
    raw: bytes
    body: dict[str, Any]


class Receiver:
    """Answers with ``statuses`` in turn (then 200) after ``delay`` seconds.

    A request whose signature does not verify against ``secret`` is counted in
    ``bad_signatures`` and refused with 400, so tests assert every delivery was signed.
    """

    def __init__(self) -> None:
        self.secret = ""
        self.statuses: list[int] = []
        self.delay = 0.0
        self.answer = b"ok"
        self.received: list[Received] = []
        self.bad_signatures = 0
        self.in_flight = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/plantlink"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        raw = req.rfile.read(int(req.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in req.headers.items()}
        self.in_flight.set()
        time.sleep(self.delay)
        try:
            body = Webhook(self.secret).verify(raw, headers)
        except WebhookVerificationError:
            with self._lock:
                self.bad_signatures += 1
            status = 400
        else:
            with self._lock:
                self.received.append(
                    Received(
                        headers["webhook-id"],
                        int(headers["webhook-timestamp"]),
                        headers["webhook-signature"],
                        raw,
                        body,
                    )
                )
                status = self.statuses.pop(0) if self.statuses else 200
        req.send_response(status)
        req.send_header("content-length", str(len(self.answer)))
        req.end_headers()
        req.wfile.write(self.answer)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"received {len(self.received)} webhooks, wanted {count}")
            time.sleep(0.02)
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
