"""A local HTTP receiver for activation tests: http.server on 127.0.0.1 (a free port) in a
thread. It records every request (path, headers, raw body), answers 500 to the first
`failures` POSTs, can be slowed down, and checks webhook signatures the way docs/activation.md
tells receivers to."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from engine.activation import signing


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures = failures
        self.delay = delay
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def accepted(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.status == 200 and r.method == "POST"]

    def messages(self) -> list[dict[str, Any]]:
        """Every message of every accepted webhook delivery, in arrival order."""
        return [m for r in self.accepted() for m in r.json.get("messages", [])]

    def unique_messages(self) -> dict[str, dict[str, Any]]:
        """The accepted messages deduplicated by messageId, as a receiver should."""
        return {m["messageId"]: m for m in self.messages()}

    def signatures_valid(self, secret: str) -> bool:
        return all(
            signing.verify(
                secret,
                r.body,
                r.headers.get(signing.TIMESTAMP_HEADER.lower()),
                r.headers.get(signing.SIGNATURE_HEADER.lower()),
                time.time(),
            )
            for r in self.accepted()
        )


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def _answer(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.server.delay:
            time.sleep(self.server.delay)
        with self.server.lock:
            posts = sum(1 for r in self.server.requests if r.method == "POST")
            failing = method == "POST" and posts < self.server.failures
            status = 500 if failing else 200
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.server.requests.append(Request(method, self.path, headers, body, status))
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_GET(self) -> None:
        self._answer("GET")

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return None


@contextmanager
def receiving(failures: int = 0, delay: float = 0.0) -> Iterator[Receiver]:
    server = Receiver(failures, delay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
