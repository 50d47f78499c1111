"""HTTP API benchmark: `kith serve` on loopback, a fresh workspace, a fresh ingest key.

1. sustained ingestion through /v1/batch (batches of 100 from concurrent connections; every
   request waits until its messages are durable in the journal, as in production), then the
   time until the loader has stored them all in the workspace (health `lag` back to 0);
2. latency of single /v1/track calls paced at a fixed rate (default 200 requests/s for 10 s).

Traffic goes to 127.0.0.1 only and is bounded in count and time. Run:
    .venv/bin/python -m bench.api [--events 200000] [--clients 32] [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from engine import Workspace

KITH = str(Path(sys.executable).parent / "kith")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: Path, timeout: float = 60) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [KITH, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("kith serve did not start")


def batch_body(run: str, n: int, size: int) -> bytes:
    """One /v1/batch body of `size` track messages for 1,000 rotating users."""
    messages = [
        {
            "type": "track",
            "event": "page_view" if i % 3 else "button_clicked",
            "userId": f"user-{(n * size + i) % 1000}",
            "messageId": f"{run}-{n}-{i}",
            "properties": {"url": "/pricing", "i": i},
            "context": {"channel": "web"},
        }
        for i in range(size)
    ]
    return json.dumps({"batch": messages}).encode()


def throughput(url: str, key: str, events: int, clients: int, size: int) -> dict[str, float]:
    """Send `events` events as /v1/batch requests of `size` from `clients` concurrent
    keep-alive connections; every request waits until its messages are durable."""
    run = uuid.uuid4().hex[:8]
    requests = [_request(url, key, batch_body(run, n, size)) for n in range(events // size)]
    return asyncio.run(_flood(url, requests, clients)) | {"events": len(requests) * size}


def _request(url: str, key: str, body: bytes) -> bytes:
    """A whole HTTP/1.1 POST /v1/batch, encoded once before the clock starts."""
    auth = base64.b64encode(f"{key}:".encode()).decode()
    head = (
        f"POST /v1/batch HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n"
        f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _flood(url: str, requests: list[bytes], clients: int) -> dict[str, float]:
    """The load generator: raw asyncio streams, so that it takes little of the two cores the
    server needs (an httpx client spent about 35 µs of CPU per event here)."""
    pending = iter(requests)
    failures = 0
    where = urlsplit(url)

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(where.hostname, where.port)
        for request in pending:  # the workers share one iterator: each request is sent once
            writer.write(request)
            failures += await _status(reader) != 200
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    ended = time.perf_counter()
    return {"seconds": ended - started, "ended": ended, "failures": failures}


async def _status(reader: asyncio.StreamReader) -> int:
    """Read one response off a keep-alive connection; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(v) for k, _, v in (ln.partition(":") for ln in lines) if k.lower() == "content-length"
    )
    await reader.readexactly(length)
    return int(lines[0].split()[1])


def wait_until_loaded(url: str) -> float:
    """Poll /api/health until every acknowledged message is loaded; the time it happened."""
    while httpx.get(f"{url}/api/health").json()["ingest"]["lag"] > 0:
        time.sleep(0.05)
    return time.perf_counter()


def paced_latency(url: str, key: str, rate: float, seconds: float) -> list[float]:
    """Single /v1/track calls at a fixed schedule (4 senders sharing it); latencies in ms."""
    senders, total = 4, int(rate * seconds)
    interval = senders / rate
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def sender(k: int) -> None:
        with httpx.Client(auth=(key, ""), timeout=30) as client:
            for n in range(k, total, senders):
                due = start + (n // senders) * interval + k * interval / senders
                time.sleep(max(0.0, due - time.perf_counter()))
                message = {"type": "track", "event": "ping", "userId": f"p-{n % 50}"}
                sent = time.perf_counter()
                client.post(f"{url}/v1/track", json=message).raise_for_status()
                with lock:
                    latencies.append((time.perf_counter() - sent) * 1000)

    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(sender, range(senders)))
    return latencies


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.api", description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=32, help="concurrent batch senders")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench-api.duckdb"
        with Workspace.open(db) as ws:
            key = ws.keys.create("bench", scope="ingest").key
        proc, url = start_server(db)
        try:
            flow = throughput(url, key, args.events, args.clients, args.batch)
            flow["loaded_after"] = wait_until_loaded(url) - flow["ended"]
            flow |= httpx.get(f"{url}/api/health").json()["ingest"]
            latencies = paced_latency(url, key, args.rate, args.seconds)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    report(args, flow, latencies)
    return 0


def report(args: argparse.Namespace, flow: dict[str, float], latencies: list[float]) -> None:
    rate = flow["events"] / flow["seconds"]
    print(f"HTTP API benchmark ({os.cpu_count()} cores, loopback, fresh workspace)")
    print(f"{'measure':<44} {'value':>12}")
    print(
        f"{'batch: events sent (batches of ' + str(args.batch) + ')':<44} {flow['events']:>12,.0f}"
    )
    print(f"{'batch: concurrent clients':<44} {args.clients:>12}")
    print(f"{'batch: seconds':<44} {flow['seconds']:>12.2f}")
    loaded = flow["events"] / (flow["seconds"] + flow["loaded_after"])
    print(f"{'batch: events/s acknowledged (durable)':<44} {rate:>12,.0f}")
    print(f"{'batch: failed requests':<44} {flow['failures']:>12.0f}")
    print(f"{'batch: loader lag after the last 200, s':<44} {flow['loaded_after']:>12.2f}")
    print(f"{'batch: events/s loaded into the workspace':<44} {loaded:>12,.0f}")
    per_load = flow["loaded_messages"] / max(flow["loads"], 1)
    print(f"{'batch: journal fsyncs':<44} {flow['journal_writes']:>12,.0f}")
    print(f"{'batch: loads (ingestion batches)':<44} {flow['loads']:>12,.0f}")
    print(f"{'batch: mean messages per load':<44} {per_load:>12,.0f}")
    print(f"{'batch: seconds inside loads':<44} {flow['load_seconds']:>12.2f}")
    print(f"{'track: requests at ' + str(int(args.rate)) + '/s':<44} {len(latencies):>12}")
    print(f"{'track: p50 latency ms':<44} {percentile(latencies, 50):>12.1f}")
    print(f"{'track: p99 latency ms':<44} {percentile(latencies, 99):>12.1f}")
    print(f"{'track: max latency ms':<44} {max(latencies, default=0):>12.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
