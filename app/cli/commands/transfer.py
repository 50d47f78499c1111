"""`kith import-profiles FILE [--sep ';'] [--map 'Full Name=name' | --mapping NAME] [--dry-run]`,
`kith import-mapping list|save|delete`, `kith export-profiles --out FILE`,
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
    imp.add_argument(
        "--map",
        action="append",
        metavar="'FILE HEADER=column'",
        help="read a file column as a Kith column (or 'ignore'); repeatable",
    )
    imp.add_argument("--mapping", metavar="NAME", help="use a saved column mapping")
    imp.add_argument(
        "--save-mapping", metavar="NAME", help="save the --map pairs under NAME for later imports"
    )
    add_json(imp)
    maps = sub.add_parser("import-mapping", help="saved column mappings of the profile import")
    actions = maps.add_subparsers(dest="mapping_command", required=True, metavar="ACTION")
    add_json(command(actions, "list", _mappings, help="the saved mappings"))
    save = command(actions, "save", _save_mapping, help="save a mapping under a name")
    save.add_argument("name")
    save.add_argument("--map", action="append", required=True, metavar="'FILE HEADER=column'")
    delete = command(actions, "delete", _delete_mapping, help="delete a saved mapping")
    delete.add_argument("name")
    exp = command(sub, "export-profiles", _export, help="export profiles to CSV or Parquet")
    add_filters(exp)
    exp.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.parquet")
    command(sub, "import-template", _template, help="print the CSV import template")


def _pairs(items: list[str] | None) -> dict[str, str]:
    """`--map 'Full Name=name'` arguments (the header may hold spaces, never `=`)."""
    found: dict[str, str] = {}
    for item in items or []:
        header, sep, column = item.rpartition("=")
        if not sep or not header.strip():
            raise ValidationError(f"--map {item!r} must look like 'File header=column'")
        found[header.strip()] = column.strip()
    return found


def _chosen_mapping(args: argparse.Namespace) -> dict[str, str] | str | None:
    given = _pairs(args.map)
    if given and args.mapping:
        raise ValidationError("give either --map pairs or --mapping NAME, not both")
    if args.save_mapping and not given:
        raise ValidationError("--save-mapping saves the --map pairs; give some")
    return given or args.mapping


def _import(args: argparse.Namespace) -> int:
    mapping = _chosen_mapping(args)
    with open_workspace(args) as ws:
        if args.save_mapping:
            assert isinstance(mapping, dict)
            ws.transfer.save_mapping(args.save_mapping, mapping)
        if args.dry_run:
            preview = ws.transfer.preview_import(args.file, sep=args.sep, mapping=mapping)
            counts = {
                "valid_rows": preview.valid_rows,
                "error_rows": preview.errors["row"].nunique(),
            }
            errors = preview.errors
        else:
            report = ws.transfer.import_profiles(
                args.file, sep=args.sep, mapping=mapping, actor=args.actor
            )
            counts = {"created": report.created, "updated": report.updated}
            counts["consent_changes"] = report.consent
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


def _mappings(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        saved = ws.transfer.mappings()
    rows = [{"name": n, "header": h, "column": c} for n, m in saved.items() for h, c in m.items()]
    emit(rows, args.json)


def _save_mapping(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        saved = ws.transfer.save_mapping(args.name, _pairs(args.map))
    print(f"saved mapping {args.name}: " + ", ".join(f"{h} -> {c}" for h, c in saved.items()))


def _delete_mapping(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.transfer.delete_mapping(args.name)
    print(f"deleted mapping {args.name}")
