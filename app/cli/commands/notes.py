"""`kith note list|add|edit|delete`: notes on a profile, written under the acting person's
name (`--as USERNAME`, else the file's owner); only a note's author changes or deletes it."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import add_json, command, emit, open_workspace

_PROFILE_HELP = "its id, any identity value it holds, or TYPE:VALUE"


def register(sub: argparse._SubParsersAction) -> None:
    note = sub.add_parser("note", help="notes on a profile")
    actions = note.add_subparsers(dest="note_command", required=True, metavar="ACTION")
    listing = command(actions, "list", _list, help="a profile's notes, newest first")
    listing.add_argument("profile", metavar="PROFILE", help=_PROFILE_HELP)
    add = command(actions, "add", _add, help="write a note on a profile")
    add.add_argument("profile", metavar="PROFILE", help=_PROFILE_HELP)
    add.add_argument("body", metavar="TEXT")
    edit = command(actions, "edit", _edit, help="change your note's text")
    edit.add_argument("note_id", type=int, metavar="NOTE_ID")
    edit.add_argument("body", metavar="TEXT")
    delete = command(actions, "delete", _delete, help="delete your note")
    delete.add_argument("note_id", type=int, metavar="NOTE_ID")
    for parser in (listing, add, edit, delete):
        parser.add_argument("--actor", help="author for the audit trail (default: cli:<login>)")
        add_json(parser)


def _list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.notes.of(ws.profiles.resolve(args.profile)), args.json)


def _add(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        note = ws.notes.add(ws.profiles.resolve(args.profile), args.body)
    _print(note.model_dump(mode="json"), args.json)


def _edit(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        note = ws.notes.edit(args.note_id, args.body)
    _print(note.model_dump(mode="json"), args.json)


def _delete(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.notes.delete(args.note_id)
    if args.json:
        emit({"deleted": args.note_id}, True)
    else:
        print(f"deleted note {args.note_id}")


def _print(note: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(note, True)
    else:
        print(f"note {note['id']} on profile {note['profile_id']} by {note['author']}")
