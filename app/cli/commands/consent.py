"""`kith consent set|show|history|coverage|violations`."""

from __future__ import annotations

import argparse

from app.cli.commands.profiles import table
from app.cli.common import add_json, command, emit, open_workspace
from engine.catalog.vocab import CONSENT_STATUSES


def register(sub: argparse._SubParsersAction) -> None:
    consent = sub.add_parser("consent", help="consent per channel, with its history")
    actions = consent.add_subparsers(dest="consent_command", required=True, metavar="ACTION")
    put = command(actions, "set", _set, help="record a consent change")
    put.add_argument("id", type=int)
    put.add_argument("channel")
    put.add_argument("status", choices=CONSENT_STATUSES)
    put.add_argument("--purpose", default="marketing")
    put.add_argument("--source", default="admin")
    put.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    put.add_argument("--at", help="when it changed (ISO 8601, UTC); default now")
    show = command(actions, "show", _show, help="a profile's current consent")
    show.add_argument("id", type=int)
    add_json(show)
    history = command(actions, "history", _history, help="consent changes, newest first")
    history.add_argument("--profile", type=int)
    history.add_argument("--channel")
    history.add_argument("--search")
    history.add_argument("--limit", type=int, default=100)
    add_json(history)
    add_json(command(actions, "coverage", _coverage, help="profiles per channel and status"))
    violations = command(actions, "violations", _violations, help="messages sent without consent")
    violations.add_argument("--start")
    violations.add_argument("--end")
    add_json(violations)


def _set(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.consent.set(
            args.id,
            args.channel,
            args.status,
            purpose=args.purpose,
            source=args.source,
            actor=args.actor,
            at=args.at,
        )
    print(f"consent {args.channel} ({args.purpose}) of profile {args.id}: {args.status}")


def _show(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.profiles.get(args.id)
        emit(table(ws.consent.of(args.id)), args.json)


def _history(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.consent.history(args.profile, args.channel, args.search, args.limit)
    emit(table(frame), args.json)


def _coverage(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.consent.coverage(), args.json)


def _violations(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.consent.violations(args.start, args.end)), args.json)
