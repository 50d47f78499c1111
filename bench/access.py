"""Team access benchmark: what logging in and acting as a user cost. The scrypt hash of a
password (paid once per login), a whole login check, the gate's session check (paid by every
dashboard request: page, static file, websocket), and one service call through
`ws.acting_as` against the same call on the Workspace directly.

Run: .venv/bin/python -m bench.access [--repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from engine import Workspace
from engine.access.passwords import hash_password
from engine.access.policy import Actor


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def measure(ws: Workspace, repeat: int) -> dict[str, float]:
    user, _ = ws.users.create("bench", "agent", "bench-password-1")
    cookie = ws.logins.start(user)
    profile = ws.profiles.create({"email": "p@example.com"}, {"name": "P"}, actor="bench").id
    acting = ws.acting_as(Actor.of(user))
    return {
        "scrypt hash of a password": _median_ms(lambda: hash_password("bench-password-1"), repeat),
        "login check (users.authenticate)": _median_ms(
            lambda: ws.users.authenticate("bench", "bench-password-1"), repeat
        ),
        "session cookie check (gate, per request)": _median_ms(
            lambda: ws.logins.user(cookie), repeat
        ),
        "profiles.get on the Workspace": _median_ms(lambda: ws.profiles.get(profile), repeat),
        "profiles.get through acting_as": _median_ms(lambda: acting.profiles.get(profile), repeat),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.access", description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as folder,
        Workspace.open(Path(folder) / "access.duckdb") as ws,
    ):
        figures = measure(ws, args.repeat)
    width = max(map(len, figures))
    print(f"{'what'.ljust(width)}  median ms ({args.repeat} runs)")
    for what, ms in figures.items():
        print(f"{what.ljust(width)}  {ms:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
