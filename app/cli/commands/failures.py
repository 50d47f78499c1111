"""`kith ingest-failures`: tracking messages that were acknowledged but could not be stored."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from app.cli.common import add_json, command, emit, open_workspace


def register(sub: argparse._SubParsersAction) -> None:
    parser = command(
        sub,
        "ingest-failures",
        _failures,
        help="list tracking API messages that were accepted but refused when loaded",
        description="The server answers each message's fate before storing it; a message the "
        "store still refuses later (the catalog or the blocked values changed in between) is "
        "kept here with the reason, newest first.",
    )
    parser.add_argument("--limit", type=int, default=20, help="how many to show (default 20)")
    add_json(parser)


def _failures(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        total, rows = ws.intake.failure_count(), ws.intake.failures(args.limit)
    if args.json:
        emit({"total": total, "failures": [asdict(row) for row in rows]}, True)
        return 0
    print(f"{total} message(s) accepted but not stored")
    for row in rows:
        print(f"#{row.id} received {row.received_at:%Y-%m-%d %H:%M:%S}: {row.reason}")
        print(f"    {row.message}")
    return 0
