"""Segment JSONL benchmark: `kith ingest` of a generated Segment-spec file, end to end (process
start, reading, parsing, staging, identity resolution, sessions, the writes), into a fresh
workspace.

Run: .venv/bin/python -m bench.jsonl [--lines 1000000] [--repeat 3] [--code DIR] [--gzip]

The file (bench/data/segment-<lines>.jsonl, generated once, deterministic) mixes track (60%),
page (25%) and identify (15%) messages of ~100,000 people, every one with a messageId, an
anonymousId and an ISO 8601 timestamp, half with a userId; 20% of the lines carry a full
`context` (page, userAgent, locale, ip, campaign) and `context.traits` (email, name). `--code`
runs another checkout's `kith` on the same file (e.g. an export of the previous commit), so
before and after come from the same machine state. `cpu s` is the child's user + system time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2026, 1, 1)
EVENTS = ("Product Viewed", "Order Completed", "Cart Viewed", "Signup", "link_clicked")
PAGES = ("/", "/pricing", "/docs", "/blog/launch", "/checkout")
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15",
)


def message(rng: random.Random, i: int, people: int) -> dict[str, object]:
    """The i-th message: a person's next event, some minutes after their previous one."""
    who = int(rng.paretovariate(1.2) * 7) % people
    moment = START + dt.timedelta(seconds=who * 211 % (30 * 86400) + i * 13 % 86400)
    msg: dict[str, object] = {
        "messageId": f"msg-{i:09d}",
        "anonymousId": f"anon-{who:07d}",
        "timestamp": moment.isoformat(timespec="milliseconds") + "Z",
    }
    if who % 2 == 0:
        msg["userId"] = f"user-{who}"
    kind = rng.random()
    if kind < 0.60:
        event = EVENTS[rng.randrange(len(EVENTS))]
        props: dict[str, object] = {"sku": f"sku-{rng.randrange(500)}"}
        if event == "Order Completed":
            props |= {"revenue": round(rng.uniform(5, 400), 2), "currency": "EUR"}
        msg |= {"type": "track", "event": event, "properties": props}
    elif kind < 0.85:
        msg |= {"type": "page", "name": "Docs", "properties": {"section": "main"}}
    else:
        traits = {"plan": rng.choice(("free", "pro", "team")), "country": "DE"}
        if who % 3 == 0:
            traits["email"] = f"person{who}@example.com"
        msg |= {"type": "identify", "traits": traits}
    if rng.random() < 0.20:
        path = PAGES[rng.randrange(len(PAGES))]
        msg["context"] = {
            "page": {"path": path, "url": f"https://example.com{path}", "title": "Example"},
            "userAgent": AGENTS[rng.randrange(len(AGENTS))],
            "locale": "de-DE",
            "ip": f"10.0.{who % 256}.{i % 256}",
            "campaign": {"name": "spring", "source": "newsletter"},
            "traits": {"email": f"person{who}@example.com", "name": f"Person {who}"},
        }
    return msg


def generate(lines: int, people: int, gzipped: bool) -> Path:
    """The benchmark file, written once per size (deterministic: seed 7)."""
    path = DATA / f"segment-{lines}.jsonl{'.gz' if gzipped else ''}"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    partial = path.with_suffix(".partial")
    opener = gzip.open if gzipped else open
    with opener(partial, "wt", encoding="utf-8") as out:
        for i in range(lines):
            out.write(json.dumps(message(rng, i, people)) + "\n")
    partial.rename(path)
    return path


def ingest(path: Path, code: Path) -> dict[str, object]:
    """One `kith ingest --quiet --json` of `path` into a fresh workspace, timed from outside."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        cli = "from app.cli import main; raise SystemExit(main())"
        cmd = [sys.executable, "-c", cli, "ingest", str(path), "--db", str(db), "--json"]
        load, start = os.getloadavg()[0], time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, cwd=code, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"kith ingest failed:\n{done.stderr}")
    report = json.loads(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "lines": report["accepted"] + report["duplicates"] + len(report["rejected"]),
        "accepted": report["accepted"],
        "seconds": round(seconds, 2),
        "events/s": int(report["accepted"] / seconds),
        "cpu s": round(cpu, 2),
        "sessions": report["sessions_started"] - report["sessions_joined"],
        "profiles": report["profiles_created"],
        "load avg": round(load, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.jsonl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gzip", action="store_true", help="a gzipped file")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose kith runs")
    args = parser.parse_args(argv)
    path = generate(args.lines, args.people, args.gzip)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB), code: {args.code}")
    rows = [ingest(path, args.code.resolve()) for _ in range(args.repeat)]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(f"median events/s: {int(table['events/s'].median()):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
