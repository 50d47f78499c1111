"""`kith erase ID --yes` (GDPR erasure) and `kith export-person ID` (access request)."""

from __future__ import annotations

import argparse
import sys

from app.cli.common import add_json, command, emit, open_workspace


def register(sub: argparse._SubParsersAction) -> None:
    erase = command(sub, "erase", _erase, help="erase a person and everything held about them")
    erase.add_argument("id", type=int)
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    erase.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    export = command(sub, "export-person", _export, help="everything held about a person, JSON")
    export.add_argument("id", type=int)
    add_json(export)  # the export is always JSON; accepted for symmetry with other commands


def _erase(args: argparse.Namespace) -> int:
    if not args.yes:
        print(f"error: erasing profile {args.id} cannot be undone; add --yes", file=sys.stderr)
        return 1
    with open_workspace(args) as ws:
        removed = ws.privacy.erase(args.id, actor=args.actor)
    total = sum(removed.values())
    print(f"erased profile {args.id}: {total} rows removed")
    return 0


def _export(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.privacy.export(args.id), True)
