"""`kith label add|remove LABEL ID...` and `kith label list [--profile ID]`."""

from __future__ import annotations

import argparse

from app.cli.common import add_json, command, emit, open_workspace


def register(sub: argparse._SubParsersAction) -> None:
    label = sub.add_parser("label", help="add, remove and list labels")
    actions = label.add_subparsers(dest="label_command", required=True, metavar="ACTION")
    for name, handler in (("add", _add), ("remove", _remove)):
        parser = command(actions, name, handler, help=f"{name} a label on profiles")
        parser.add_argument("label")
        parser.add_argument("ids", type=int, nargs="+", metavar="ID")
        parser.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    listing = command(actions, "list", _list, help="labels in use, or one profile's labels")
    listing.add_argument("--profile", type=int)
    add_json(listing)


def _add(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        changed = ws.labels.add(args.ids, args.label, actor=args.actor)
    print(f"labelled {changed} profile(s) {args.label!r}")


def _remove(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        changed = ws.labels.remove(args.ids, args.label, actor=args.actor)
    print(f"removed {args.label!r} from {changed} profile(s)")


def _list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        if args.profile is not None:
            ws.profiles.get(args.profile)
            emit([{"label": label} for label in ws.labels.of(args.profile)], args.json)
        else:
            emit(ws.labels.all(), args.json)
