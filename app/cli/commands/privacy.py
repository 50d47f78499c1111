"""`kith erase ID --yes` (GDPR erasure), `kith export-person ID` (access request) and `kith
compact` (rewrite the workspace file so that nothing erased stays in its bytes)."""

from __future__ import annotations

import argparse
import sys

from app.cli.common import add_json, carried_by_server, command, emit, open_file, open_workspace


def register(sub: argparse._SubParsersAction) -> None:
    erase = command(sub, "erase", _erase, help="erase a person and everything held about them")
    erase.add_argument("id", type=int)
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    erase.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    export = command(sub, "export-person", _export, help="everything held about a person, JSON")
    export.add_argument("id", type=int)
    add_json(export)  # the export is always JSON; accepted for symmetry with other commands
    compact = command(
        sub, "compact", _compact, help="rewrite the workspace file so no erased value stays in it"
    )
    compact.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    add_json(compact)


def _erase(args: argparse.Namespace) -> int:
    if not args.yes:
        print(f"error: erasing profile {args.id} cannot be undone; add --yes", file=sys.stderr)
        return 1
    if not carried_by_server():
        _load_left_journal(args)
    with open_workspace(args) as ws:
        removed = ws.privacy.erase(args.id, actor=args.actor)
    total = sum(removed.values())
    print(f"erased profile {args.id}: {total} rows removed")
    return 0


def _load_left_journal(args: argparse.Namespace) -> None:
    """A server killed before it loaded everything leaves the person's messages in its journal:
    load them now (as the next `kith serve` would) so the erase finds them, and the journal's
    files go once loaded."""
    from app.ingest_pipeline import load_left_journal

    with open_file(args) as ws:
        left = load_left_journal(ws)
    if left:
        print(f"loaded {left} journaled requests a stopped server left", file=sys.stderr)


def _export(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.privacy.export(args.id), True)


def _compact(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        done = ws.privacy.compact()
    if args.json:
        emit(done, True)
        return
    print(
        f"compacted the workspace file: {done['bytes_before']:,} -> {done['bytes_after']:,} bytes "
        f"in {done['seconds']:.1f} s"
    )
