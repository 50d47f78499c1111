"""`kith lake export DIR`: the workspace as a Parquet lake for Spark; `kith lake ingest DIR`:
your own Parquet event lake (docs/ingestion.md's flat columns) read in (docs/scale-out.md)."""

from __future__ import annotations

import argparse

from app.cli.common import add_json, command, emit, open_file


def register(sub: argparse._SubParsersAction) -> None:
    lake = sub.add_parser("lake", help="write the workspace as a Parquet lake for Spark")
    actions = lake.add_subparsers(dest="lake_command", required=True, metavar="ACTION")
    export = command(
        actions, "export", _export, acts=False, help="write or bring up to date the lake in DIR"
    )
    export.add_argument("folder", metavar="DIR")
    add_json(export)
    ingest = command(
        actions,
        "ingest",
        _ingest,
        acts=False,
        help="read your own Parquet event lake into the workspace",
    )
    ingest.add_argument("folder", metavar="DIR")
    add_json(ingest)


def _export(args: argparse.Namespace) -> None:
    from engine.scaleout.lake import as_dict, export

    with open_file(args) as ws:  # the whole file: its local owner's command
        result = export(ws.db, args.folder)
    if args.json:
        emit(as_dict(result), True)
        return
    print(
        f"lake {result.path}: {result.events_written:,} event(s) written ({result.events_mode}), "
        + ", ".join(f"{table} {count:,}" for table, count in result.tables.items())
    )


def _ingest(args: argparse.Namespace) -> int:
    from engine.scaleout.lake import ingest_event_lake

    with open_file(args) as ws:
        report = ingest_event_lake(ws.ingest, args.folder)
    if args.json:
        emit(report.model_dump(), True)
    else:
        emit(
            {
                "accepted": report.accepted,
                "duplicates": report.duplicates,
                "rejected": len(report.rejected),
                "profiles created": report.profiles_created,
            },
            False,
        )
        for rejection in report.rejected[:20]:
            print(f"row {rejection.line}: {rejection.reason}")
    return 1 if report.rejected else 0
