"""The live workspace's costs: what one change adds after its own write (the commit path:
membership refresh of the segments that could see it, then the rules), and the time-based
refresh of every time-dependent saved segment for everyone.

Run: .venv/bin/python -m bench.live --db PATH [--repeat 20] [--tmp DIR]

PATH is a demo workspace (bench/data/bench-1m.duckdb from `python -m bench.workspace`); it is
copied into a temporary folder first (the benchmark edits profiles and moves membership), and
never opened itself. The clock is the data's end (the sidecar's `end`, else now), so windows
mean what they did when the data was built. Each change is timed twice, on a different profile
each repeat: the whole call (e.g. `ws.profiles.update`) and the commit alone (`ws.commit` of the
same change), whose median is "the extra time a change costs".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.workspace import info
from engine import Workspace
from engine.changes import Change, ChangeKind, Touches
from engine.clock import utcnow

Timed = tuple[float, float]  # (whole call, commit alone) in seconds


def _clock(db: Path) -> dt.datetime:
    recorded = info(db)
    return dt.datetime.fromisoformat(recorded["end"]) if recorded else utcnow()


def _profiles(ws: Workspace, n: int) -> list[int]:
    """`n` profile ids spread over the id range (a fixed stride: the same ones every run)."""
    rows = ws.db.rows("SELECT id FROM profiles ORDER BY id")
    stride = max(1, len(rows) // n)
    return [int(r[0]) for r in rows[::stride][:n]]


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _edit(ws: Workspace, pid: int, i: int) -> Timed:
    whole = _timed(lambda: ws.profiles.update(pid, {"city": f"Bench {i}"}, actor="bench"))
    touches = Touches(props=frozenset({("city",), ("updated_at",)}))
    change = Change.of(ChangeKind.EDIT, [pid], touches=touches)
    return whole, _timed(lambda: ws.commit(change))


def _edit_read(ws: Workspace, pid: int, i: int) -> Timed:
    """An edit of a property a saved segment reads (`lifecycle`: churn_risk)."""
    stage = "customer" if i % 2 else "lead"
    whole = _timed(lambda: ws.profiles.update(pid, {"lifecycle": stage}, actor="bench"))
    touches = Touches(props=frozenset({("lifecycle",), ("updated_at",)}))
    change = Change.of(ChangeKind.EDIT, [pid], touches=touches)
    return whole, _timed(lambda: ws.commit(change))


def _label(ws: Workspace, pid: int, i: int) -> Timed:
    whole = _timed(lambda: ws.labels.add(pid, "vip", actor="bench"))
    change = Change.of(ChangeKind.LABEL, [pid], touches=Touches(labels=True))
    return whole, _timed(lambda: ws.commit(change))


def _consent(ws: Workspace, pid: int, i: int) -> Timed:
    status = "granted" if i % 2 else "revoked"
    whole = _timed(lambda: ws.consent.set(pid, "whatsapp", status))
    change = Change.of(ChangeKind.CONSENT, [pid], touches=Touches(consent=True))
    return whole, _timed(lambda: ws.commit(change))


CHANGES: dict[str, Callable[[Workspace, int, int], Timed]] = {
    "edit city (no segment reads it)": _edit,
    "edit lifecycle (churn_risk reads it)": _edit_read,
    "add label vip (2 segments read labels)": _label,
    "consent whatsapp (1 segment reads consent)": _consent,
}


def _time_refresh(ws: Workspace, at: dt.datetime) -> tuple[float, int, int]:
    """One TIME commit at `at`: seconds, time-dependent segments, profiles that moved."""
    start = time.perf_counter()
    moved = ws.commit(Change(ChangeKind.TIME, as_of=at))
    seconds = time.perf_counter() - start
    timed = sum(1 for s in ws.segments.membership.catalogue() if s.timed)
    return seconds, timed, len(moved.entered) + len(moved.exited)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="a demo workspace (copied)")
    parser.add_argument("--repeat", type=int, default=20, help="changes timed per kind")
    parser.add_argument("--tmp", type=Path, default=None, help="where to put the copy")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.tmp) as folder:
        copy = Path(folder) / "live.duckdb"
        shutil.copy(args.db, copy)
        _run(copy, _clock(args.db), args.repeat)
    return 0


def _run(db: Path, end: dt.datetime, repeat: int) -> None:
    with Workspace.open(db) as ws:
        ws.clock = lambda: end
        people = ws.db.scalar("SELECT count(*) FROM profiles")
        saved = len(ws.segments.membership.catalogue())
        print(f"{people:,} profiles, {saved} saved segments, clock {end:%Y-%m-%d %H:%M}")
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        ws.commit(Change(ChangeKind.TIME, as_of=end))  # settle membership at the clock first
        pids = _profiles(ws, repeat)
        print(f"\n{'change':44} {'whole call':>11} {'commit (extra)':>15} {'max extra':>10}")
        for name, change in CHANGES.items():
            times = [change(ws, pid, i) for i, pid in enumerate(pids)]
            whole = statistics.median(t[0] for t in times) * 1000
            extra = [t[1] * 1000 for t in times]
            print(
                f"{name:44} {whole:>8.1f} ms {statistics.median(extra):>12.1f} ms "
                f"{max(extra):>7.1f} ms"
            )
        print(f"\n{'time-based refresh':44} {'seconds':>11} {'segments':>9} {'moved':>9}")
        for label, at in (
            ("at the data's end", end),
            ("one hour later", end + dt.timedelta(hours=1)),
            ("one day later", end + dt.timedelta(days=1)),
        ):
            seconds, timed, moved = _time_refresh(ws, at)
            print(f"{label:44} {seconds:>9.2f} s {timed:>9} {moved:>9,}")
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    raise SystemExit(main())
