"""`kith list ...`: groups of customers (static lists) as the People screen shows them: list,
create (from ids and/or everyone a People filter matches), show, rename, describe, add, remove,
delete."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from app.cli.common import add_json, command, emit, open_workspace
from kith_errors import ValidationError

if TYPE_CHECKING:
    from engine.profiles.service import ProfileFilter


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("list", help="groups of customers (static lists)")
    actions = group.add_subparsers(dest="list_command", required=True, metavar="ACTION")
    add_json(command(actions, "all", _all, help="every group with its size"))
    create = _named(command(actions, "create", _create, help="a new group"), members=True)
    create.add_argument("--description")
    show = _named(command(actions, "show", _show, help="a group and a page of its members"))
    show.add_argument("--limit", type=int, default=50)
    show.add_argument("--offset", type=int, default=0)
    rename = _named(command(actions, "rename", _rename, help="rename a group"))
    rename.add_argument("new_name", metavar="NEW_NAME")
    describe = _named(command(actions, "describe", _describe, help="change the description"))
    describe.add_argument("description", help="the new description ('' clears it)")
    _named(command(actions, "add", _add, help="add members"), members=True)
    _named(command(actions, "remove", _remove, help="remove members"), ids=True)
    _named(command(actions, "delete", _delete, help="delete a group (not its members)"))


def _named(
    parser: argparse.ArgumentParser, *, members: bool = False, ids: bool = False
) -> argparse.ArgumentParser:
    from app.cli.commands.profiles import add_filters

    parser.add_argument("name", metavar="NAME")
    if members or ids:
        parser.add_argument("--ids", type=_ids, default=[], help="profile ids: 1,2,3")
    if members:
        parser.add_argument(
            "--all-matching", action="store_true", help="also everyone the filters below match"
        )
        add_filters(parser)
    parser.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    add_json(parser)
    return parser


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of profile ids (1,2,3)") from None


def _matching(args: argparse.Namespace) -> ProfileFilter | None:
    from app.cli.commands.profiles import filters

    if not args.all_matching:
        return None
    return filters(args)


def _all(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.groups.list(), args.json)


def _create(args: argparse.Namespace) -> None:
    matching = _matching(args)
    with open_workspace(args) as ws:
        made = ws.groups.create(
            args.name, description=args.description, profile_ids=args.ids, matching=matching
        )
    _said(made, f'created group "{made["name"]}" with {made["size"]} member(s)', args.json)


def _show(args: argparse.Namespace) -> None:
    from app.cli.commands.profiles import table

    with open_workspace(args) as ws:
        group = ws.groups.get(args.name)
        page = ws.groups.members(args.name, limit=args.limit, offset=args.offset)
    if args.json:
        rows = table(page.rows).to_dict(orient="records")
        emit({**group, "members": rows}, True)
        return
    print(f"{group['name']}: {group['size']} member(s)  {group['description'] or ''}".rstrip())
    emit(page.rows, False)


def _rename(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        group = ws.groups.rename(args.name, args.new_name)
    _said(group, f'renamed group "{args.name}" to "{group["name"]}"', args.json)


def _describe(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        group = ws.groups.describe(args.name, args.description)
    _said(group, f'described group "{group["name"]}"', args.json)


def _add(args: argparse.Namespace) -> None:
    matching = _matching(args)
    if not args.ids and matching is None:
        raise ValidationError("name members to add: --ids 1,2,3 and/or --all-matching FILTERS")
    with open_workspace(args) as ws:
        added = ws.groups.add(args.name, args.ids, matching=matching)
    _said({"name": args.name, "added": added}, f"added {added} member(s)", args.json)


def _remove(args: argparse.Namespace) -> None:
    if not args.ids:
        raise ValidationError("name members to remove: --ids 1,2,3")
    with open_workspace(args) as ws:
        removed = ws.groups.remove(args.name, args.ids)
    _said({"name": args.name, "removed": removed}, f"removed {removed} member(s)", args.json)


def _delete(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.groups.delete(args.name)
    _said({"deleted": args.name}, f'deleted group "{args.name}"', args.json)


def _said(data: dict[str, Any], sentence: str, as_json: bool) -> None:
    if as_json:
        emit(data, True)
    else:
        print(sentence)
