"""`kith import-profiles FILE [--sep ';'] [--dry-run]`, `kith export-profiles --out FILE`,
`kith import-template`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.commands.profiles import add_filters, filters
from app.cli.common import add_json, command, emit, open_workspace
from kith_errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    imp = command(sub, "import-profiles", _import, help="create/update profiles from a CSV file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--sep", help="column separator (default: detect ',' or ';')")
    imp.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    imp.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    add_json(imp)
    exp = command(sub, "export-profiles", _export, help="export profiles to CSV or Parquet")
    add_filters(exp)
    exp.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.parquet")
    command(sub, "import-template", _template, help="print the CSV import template")


def _import(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        if args.dry_run:
            preview = ws.transfer.preview_import(args.file, sep=args.sep)
            counts = {
                "valid_rows": preview.valid_rows,
                "error_rows": preview.errors["row"].nunique(),
            }
            errors = preview.errors
        else:
            report = ws.transfer.import_profiles(args.file, sep=args.sep, actor=args.actor)
            counts = {"created": report.created, "updated": report.updated}
            counts["error_rows"] = report.errors["row"].nunique()
            errors = report.errors
    if args.json:
        emit({**counts, "errors": errors.to_dict(orient="records")}, True)
    else:
        print(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
        if len(errors):
            emit(errors, False)
    return 0


def _export(args: argparse.Namespace) -> None:
    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "parquet"):
        raise ValidationError(f"--out {args.out}: use a .csv or .parquet file name")
    with open_workspace(args) as ws:
        data = ws.transfer.export_profiles(filters(args), fmt=fmt)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes)", file=sys.stderr)


def _template(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        sys.stdout.write(ws.transfer.template_csv())
