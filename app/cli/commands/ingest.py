"""`kith init` (create a workspace file) and `kith ingest FILE` (JSONL, CSV or Parquet)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from app.cli.common import add_json, command, emit, open_workspace
from engine.models import IngestReport

SHOWN_REJECTIONS = 20


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "init", _init, help="create (or upgrade) a workspace file")
    parser = command(
        sub,
        "ingest",
        _ingest,
        help="ingest events from a JSONL, CSV or Parquet file",
        description="Good lines are stored even when others are rejected; the exit code is 1 "
        "when any line was rejected.",
    )
    parser.add_argument("file", type=Path, help="the file to ingest")
    parser.add_argument(
        "--format", choices=("jsonl", "csv", "parquet"), help="override the file extension"
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing but the rejected lines (on stderr); the exit code still tells",
    )
    add_json(parser)


def _init(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        print(f"workspace ready: {ws.path}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    progress = None if args.quiet or args.json else _progress
    with open_workspace(args) as ws:
        report = ws.ingest.file(args.file, fmt=args.format, progress=progress)
    if progress:
        sys.stderr.write("\n")
    if args.json:
        emit(report.model_dump(), True)
    elif args.quiet:
        _print_rejections(report, sys.stderr)
    else:
        emit(_summary(report), False)
        _print_rejections(report, sys.stdout)
    return 1 if report.rejected else 0


def _progress(done: int) -> None:
    sys.stderr.write(f"\ringested {done:,} lines")
    sys.stderr.flush()


def _summary(report: IngestReport) -> dict[str, object]:
    return {
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": len(report.rejected),
        "profiles created": report.profiles_created,
        "profiles merged": report.profiles_merged,
        "sessions started": report.sessions_started,
        "sessions joined": report.sessions_joined,
        "profiles touched": len(report.profile_ids),
    }


def _print_rejections(report: IngestReport, out: TextIO) -> None:
    for item in report.rejected[:SHOWN_REJECTIONS]:
        print(f"line {item.line}: {item.reason}", file=out)
    if len(report.rejected) > SHOWN_REJECTIONS:
        print(f"... and {len(report.rejected) - SHOWN_REJECTIONS} more rejected lines", file=out)
