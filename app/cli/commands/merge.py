"""`kith merge PRIMARY SECONDARY [--preview] [--take field=secondary ...]`, `kith unmerge ID`."""

from __future__ import annotations

import argparse

from app.cli.commands.profiles import pair
from app.cli.common import add_json, command, emit, open_workspace
from engine.profiles.merge import MergePreview, Side
from kith_errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    merge = command(sub, "merge", _merge, help="merge SECONDARY into PRIMARY (undo: unmerge)")
    merge.add_argument("primary", type=int)
    merge.add_argument("secondary", type=int)
    merge.add_argument("--preview", action="store_true", help="show conflicts, change nothing")
    merge.add_argument(
        "--take",
        action="append",
        metavar="FIELD=SIDE",
        help="which profile's value a conflicting field keeps: primary or secondary",
    )
    merge.add_argument(
        "--override",
        action="store_true",
        help="merge even past the identity limits (recorded in the audit trail)",
    )
    merge.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    add_json(merge)
    unmerge = command(sub, "unmerge", _unmerge, help="undo a merge exactly")
    unmerge.add_argument("merge_id", type=int)
    unmerge.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")


def _choices(items: list[str] | None) -> dict[str, Side]:
    choices: dict[str, Side] = {}
    for field, side in (pair(item, "--take") for item in items or []):
        if side not in ("primary", "secondary"):
            raise ValidationError(f"--take {field}={side}: the side must be primary or secondary")
        choices[field] = "primary" if side == "primary" else "secondary"
    return choices


def _merge(args: argparse.Namespace) -> None:
    choices = _choices(args.take)
    with open_workspace(args) as ws:
        if args.preview:
            _show_preview(ws.merges.preview(args.primary, args.secondary), args.json)
            return
        merge_id = ws.merges.merge(
            args.primary, args.secondary, choices=choices, override=args.override, actor=args.actor
        )
    if args.json:
        emit({"merge_id": merge_id}, True)
    else:
        print(f"merged profile {args.secondary} into {args.primary} (merge {merge_id})")
        print(f"undo with: kith unmerge {merge_id}")


def _show_preview(preview: MergePreview, as_json: bool) -> None:
    if as_json:
        emit(preview.model_dump(mode="json"), True)
        return
    conflicts = [c.model_dump(mode="json") for c in preview.conflicts]
    print("conflicting fields:" if conflicts else "no conflicting fields")
    if conflicts:
        emit(conflicts, False)
    print("moves: " + ", ".join(f"{k} {v}" for k, v in preview.moves.items()))


def _unmerge(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.merges.unmerge(args.merge_id, actor=args.actor)
    print(f"undid merge {args.merge_id}")
