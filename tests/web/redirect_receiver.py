"""The integrator's side of the connect flow: a loopback page that records each redirect."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATH = "/plantlink/connected"


class RedirectReceiver:
    """Answers GETs of its page with a small page and records their query parameters
    (anything else the browser asks for, like a favicon, gets a 404)."""

    def __init__(self) -> None:
        self.hits: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target = urlsplit(self.path)
                if target.path != PATH:
                    self.send_error(404)
                    return
                query = parse_qs(target.query, keep_blank_values=True)
                receiver.hits.append({k: v[-1] for k, v in query.items()})
                body = b"<!doctype html><title>Integrator</title><h1>Back at the integrator</h1>"
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PATH}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
