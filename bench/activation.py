"""A full segment sync to a local webhook receiver: throughput and memory.

A fresh workspace gets `--profiles` people (one identify each, ingested in one batch, in a
child process), all in the saved segment `everyone`; for each batch size a new webhook
destination is attached to it and the delta is queued, then delivered until its outbox is
empty. The receiver is an http.server in a separate process on 127.0.0.1 (so its parsing does
not share this process's GIL); it counts the messages it got, distinct by messageId. Printed
per batch size: the seconds to queue the delta (one transaction), the total to deliver it,
people per second overall, requests, CPU seconds of this process, its peak RSS so far (the
process's, so it only grows from row to row), and the cost of a pass that finds nothing to
send (what the server's clock pays every second once every sync is in step; it covers every
sync made so far).

Run:
    .venv/bin/python -m bench.activation [--profiles 100000] [--batch-sizes 100,500,1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

from engine import Workspace


class _Counter(ThreadingHTTPServer):
    daemon_threads = True
    messages: set[str]
    requests: int


class _Handler(BaseHTTPRequestHandler):
    server: _Counter

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.requests += 1
        self.server.messages.update(m["messageId"] for m in body["messages"])
        self._reply({})

    def do_GET(self) -> None:
        stats = {"requests": self.server.requests, "messages": len(self.server.messages)}
        self.server.requests, self.server.messages = 0, set()
        self._reply(stats)

    def _reply(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


def _receive(port_out: Connection) -> None:
    server = _Counter(("127.0.0.1", 0), _Handler)
    server.messages, server.requests = set(), 0
    port_out.send(server.server_address[1])
    server.serve_forever()


def _build(path: Path, profiles: int) -> None:
    """The workspace, built in a child process so the sync's peak RSS is its own."""
    people = [
        {
            "type": "identify",
            "userId": f"user-{i}",
            "traits": {"email": f"person{i}@example.com", "country": "ID", "name": f"P {i}"},
            "timestamp": "2026-11-01T00:00:00Z",
        }
        for i in range(profiles)
    ]
    with Workspace.open(path) as ws:
        ws.ingest.messages(people)
        ws.segments.save("everyone", expression='country = "ID"')


def _workspace(path: Path, profiles: int) -> Workspace:
    started = time.perf_counter()
    child = multiprocessing.Process(target=_build, args=(path, profiles))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the workspace failed (exit code {child.exitcode})")
    print(f"workspace: {profiles:,} profiles in {time.perf_counter() - started:.1f} s")
    return Workspace.open(path)


def _sync(ws: Workspace, url: str, batch_size: int) -> dict[str, Any]:
    name = f"hook-{batch_size}"
    ws.activation.create_destination(name, "webhook", {"url": url, "batch_size": batch_size})
    ws.activation.attach(name, "everyone")
    cpu, started = time.process_time(), time.perf_counter()
    queued = ws.activation.queue_due()["queued"]
    queue_s = time.perf_counter() - started
    while ws.activation.deliveries(name, status="pending", limit=1).shape[0]:
        ws.activation.deliver_due()
    total_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    idle = time.perf_counter()
    ws.activation.run()  # nothing moved: what the clock's every-second pass costs
    return {
        "batch": batch_size,
        "members": queued,
        "queue_s": queue_s,
        "total_s": total_s,
        "cpu_s": cpu_s,
        "idle_ms": (time.perf_counter() - idle) * 1000,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.activation", description=__doc__)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--batch-sizes", default="100,500,1000")
    parser.add_argument("--work", type=Path, help="folder for the workspace (default: temp)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="kith-activation-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    ours, theirs = multiprocessing.Pipe()
    receiver = multiprocessing.Process(target=_receive, args=(theirs,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{ours.recv()}/hook"
    rows = []
    try:
        with _workspace(work / "activation.duckdb", args.profiles) as ws:
            for size in sizes:
                row = _sync(ws, url, size)
                stats = httpx.get(url, timeout=30).json()
                row.update(requests=stats["requests"], received=stats["messages"])
                row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                rows.append(row)
    finally:
        receiver.terminate()
    _table(rows)
    return 0


def _table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'batch':>6} {'members':>9} {'received':>9} {'requests':>9} {'queue s':>8} "
        f"{'total s':>8} {'people/s':>9} {'cpu s':>7} {'peak RSS MB':>12} {'idle pass ms':>13}"
    )
    for r in rows:
        rate = r["members"] / r["total_s"] if r["total_s"] else 0.0
        print(
            f"{r['batch']:>6} {r['members']:>9,} {r['received']:>9,} {r['requests']:>9,} "
            f"{r['queue_s']:>8.2f} {r['total_s']:>8.2f} {rate:>9,.0f} {r['cpu_s']:>7.2f} "
            f"{r['peak_rss_mb']:>12.0f} {r['idle_ms']:>13.1f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
