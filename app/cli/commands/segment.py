"""`kith segment check|count|members|sql|explain|save|list|show|refresh|history|versions|restore|
delete`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from app.cli.common import add_json, command, emit, open_workspace
from app.cli.engines import add_engine, open_runner
from engine.segments.service import COMPOUND_OPS, KINDS


def register(sub: argparse._SubParsersAction) -> None:
    segment = sub.add_parser("segment", help="evaluate, save and inspect segments")
    actions = segment.add_subparsers(dest="segment_command", required=True, metavar="ACTION")
    _reading(actions)
    _writing(actions)


def _reading(actions: argparse._SubParsersAction) -> None:
    check = command(actions, "check", _check, help="check an expression; exit 1 if it is wrong")
    check.add_argument("expression")
    count = _evaluating(actions, "count", _count, "how many profiles match")
    add_json(count)
    members = _evaluating(actions, "members", _members, "the matching profiles")
    members.add_argument("--limit", type=int, default=100)
    members.add_argument("--offset", type=int, default=0)
    add_json(members)
    sql = command(actions, "sql", _sql, help="the SQL an expression compiles to")
    sql.add_argument("expression")
    sql.add_argument("--dialect", default="duckdb", help="duckdb (default) or spark")
    add_json(sql)
    explain = _evaluating(actions, "explain", _explain, "why a profile is in or out")
    explain.add_argument("profile_id", type=int)
    add_json(explain)
    add_json(command(actions, "list", _list, help="saved segments with size and trend"))
    show = command(actions, "show", _show, help="one saved segment")
    show.add_argument("name")
    add_json(show)
    history = command(actions, "history", _history, help="a saved segment's size over time")
    history.add_argument("name")
    history.add_argument("--changes", action="store_true", help="who entered and exited when")
    add_json(history)
    versions = command(actions, "versions", _versions, help="a saved segment's earlier versions")
    versions.add_argument("name")
    add_json(versions)


def _writing(actions: argparse._SubParsersAction) -> None:
    save = command(actions, "save", _save, help="save a dynamic, static or compound segment")
    save.add_argument("name")
    save.add_argument("expression", nargs="?", help="the expression (dynamic segments)")
    save.add_argument("--kind", choices=KINDS, default="dynamic")
    save.add_argument("--op", choices=COMPOUND_OPS, help="how a compound segment combines")
    save.add_argument("--of", nargs="+", metavar="SEGMENT", help="what a compound combines")
    save.add_argument("--description")
    save.add_argument(
        "--replace",
        action="store_true",
        help="replace a segment of that name (its definition is kept as a version)",
    )
    restore = command(actions, "restore", _restore, help="make an earlier version current again")
    restore.add_argument("name")
    restore.add_argument("version", type=int, help="a number from `kith segment versions`")
    refresh = command(actions, "refresh", _refresh, help="recompute saved segments' members")
    refresh.add_argument("name", nargs="?", help="one segment (default: all)")
    refresh.add_argument("--as-of", help="evaluation time, ISO 8601 UTC (default: now)")
    add_engine(refresh)
    add_json(refresh)
    delete = command(actions, "delete", _delete, help="delete a saved segment")
    delete.add_argument("name")


def _evaluating(
    actions: argparse._SubParsersAction, name: str, handler: Any, text: str
) -> argparse.ArgumentParser:
    parser = command(actions, name, handler, help=text)
    parser.add_argument("target", metavar="EXPRESSION_OR_NAME")
    parser.add_argument("--as-of", help="evaluation time, ISO 8601 UTC (default: now)")
    if name in ("count", "members"):
        add_engine(parser)
    return parser


def _check(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.segments.check(args.expression)
    print("ok")


def _count(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws, open_runner(args) as runner:
        total = ws.segments.count(args.target, as_of=args.as_of, runner=runner)
    emit({"count": total} if args.json else total, args.json)


def _members(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws, open_runner(args) as runner:
        page = ws.segments.members(
            args.target, as_of=args.as_of, limit=args.limit, offset=args.offset, runner=runner
        )
    if not args.json:
        page = page.astype(object).where(page.notna(), "")
        page["identities"] = [
            ", ".join(f"{i['type']}:{i['value']}" for i in ids) for ids in page["identities"]
        ]
    emit(page, args.json)


def _sql(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        compiled = ws.segments.compile(args.expression)
    sql = compiled.sql(args.dialect)
    if args.json:
        emit({"sql": sql, "params": compiled.params}, True)
    else:
        print(sql)
        print(f"-- params: {json.dumps(compiled.params, default=str)}")


def _explain(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        explanation = ws.segments.explain(args.target, args.profile_id, as_of=args.as_of)
    emit(explanation.to_dict() if args.json else str(explanation), args.json)


def _list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.segments.list(), args.json)


def _show(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.segments.get(args.name), args.json)


def _history(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        reader = ws.segments.member_changes if args.changes else ws.segments.history
        emit(reader(args.name), args.json)


def _save(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        saved = ws.segments.save(
            args.name,
            kind=args.kind,
            expression=args.expression,
            op=args.op,
            of=args.of,
            description=args.description,
            replace=args.replace,
        )
    print(f"saved {saved['kind']} segment {saved['name']!r}: {saved['size']} member(s)")


def _versions(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.segments.versions(args.name), args.json)


def _restore(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        restored = ws.segments.restore(args.name, args.version)
    shown = restored["expression"] or restored["kind"]
    print(
        f"restored segment {args.name!r} to version {args.version} ({shown}): "
        f"{restored['size']} member(s)"
    )


def _refresh(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws, open_runner(args) as runner:
        changes = ws.segments.refresh(args.name, as_of=args.as_of, runner=runner)
    summary = {"entered": len(changes.entered), "exited": len(changes.exited)}
    emit(summary, args.json)


def _delete(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.segments.delete(args.name)
    print(f"deleted segment {args.name!r}")
