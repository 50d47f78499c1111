"""`kith stats`: what a workspace holds, in numbers."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import add_json, command, emit, open_file
from engine.admin.stats import workspace_stats


def register(sub: argparse._SubParsersAction) -> None:
    parser = command(
        sub,
        "stats",
        run,
        acts=False,
        help="counts of profiles, identities, events by type, sessions, segments, rules...",
    )
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    with open_file(args) as ws:
        stats = workspace_stats(ws)
    if args.json:
        emit(stats, True)
    else:
        _print(stats)
    return 0


def _print(stats: dict[str, Any]) -> None:
    """Totals first, then one indented block per breakdown."""
    flat = {k: v for k, v in stats.items() if not isinstance(v, dict)}
    emit({k: f"{v:,}" if isinstance(v, int) else v for k, v in flat.items()}, False)
    for name, counts in stats.items():
        if isinstance(counts, dict):
            print(f"\n{name}:")
            width = max((len(k) for k in counts), default=0)
            for key, n in counts.items():
                print(f"  {key.ljust(width)}  {n:>12,}")
            if not counts:
                print("  (none)")
