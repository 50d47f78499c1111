"""Oversized bodies cost the server no memory: they are refused while they stream in (plain and
gzip, with and without a key), and the server's resident memory, read from /proc, stays under
its idle size + 100 MB throughout."""

from __future__ import annotations

import socket
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Server

pytestmark = pytest.mark.xdist_group("api_limits")

MB = 1024 * 1024
HEADROOM = 100 * MB


def rss(pid: int) -> int:
    """Resident memory of a process, from /proc/<pid>/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


class PeakMemory:
    """Samples a process's RSS every 20 ms on a thread; `peak` is the largest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss(self.pid))


def zeros(total: int, chunk: int = MB) -> Iterator[bytes]:
    for _ in range(total // chunk):
        yield bytes(chunk)


def gzip_bomb(expanded: int) -> bytes:
    """A small gzip stream that inflates to `expanded` bytes, made in chunks (little memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(block) for block in zeros(expanded)]
    return b"".join(parts) + packer.flush()


def post(server: Server, path: str, key: str | None, **kwargs: object) -> int | None:
    """The status answered, or None when the server closed the connection while the client
    was still sending (it stops reading an oversized body)."""
    auth = (server.keys[key], "") if key else None
    try:
        with httpx.Client(base_url=server.url, auth=auth, timeout=60) as client:
            return client.post(path, **kwargs).status_code  # type: ignore[arg-type]
    except httpx.TransportError:
        return None


def declared_only(server: Server, path: str, length: int) -> bytes:
    """Send only the head of a request declaring a `length`-byte body; the server's answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
        sock.sendall(head.encode())
        return sock.recv(4096)


def test_oversized_bodies_leave_memory_flat(fresh_server: Server) -> None:
    assert fresh_server.proc is not None
    pid = fresh_server.proc.pid
    assert post(fresh_server, "/v1/batch", "ingest", json={"batch": []}) == 200  # warm
    # no route takes POST /api/events: the /api catch-all answers a JSON 404 (warms the REST side)
    assert post(fresh_server, "/api/events", "rw", json={}) == 404
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        answer = client.post("/api/segments/evaluate", content=b" " * (1100 * 1024))
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert error["code"] == "payload_too_large" and "limit is 1024 KB" in error["message"]
    idle = rss(pid)
    bomb = gzip_bomb(200 * MB)  # about 200 KB: under the raw cap, so it is inflated (capped)
    gzipped = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    with PeakMemory(pid) as memory:
        # declared sizes are refused before a byte is read
        evaluate = "/api/segments/evaluate"
        assert declared_only(fresh_server, evaluate, 500 * MB).startswith(b"HTTP/1.1 413")
        # streamed without a length (chunked): cut off at the cap, or (no key) not read at all
        for path, key in ((evaluate, None), ("/v1/batch", None), ("/v1/batch", "ingest")):
            refused = (413, None) if key else (401, 413, None)
            assert post(fresh_server, path, key, content=zeros(150 * MB)) in refused
        for key in (None, "ingest"):
            status = post(fresh_server, "/v1/batch", key, content=bomb, headers=gzipped)
            assert status == (413 if key else 401)
            big = zeros(150 * MB)
            refused = (413, None) if key else (401, 413, None)
            assert post(fresh_server, "/v1/batch", key, content=big, headers=gzipped) in refused
    assert memory.peak < idle + HEADROOM, (idle // MB, memory.peak // MB)
    # and the server still works
    assert post(fresh_server, "/v1/track", "ingest", json={"event": "e", "userId": "u"}) == 200
