"""`kith profiles` (search and list with filters) and `kith profile show|create|edit|history`."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd
from pydantic import ValidationError as PydanticError

from app.cli.common import add_json, command, emit, open_workspace
from engine.profiles.service import ProfileFilter
from kith_errors import ValidationError


def pair(item: str, what: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ValidationError(f"{what} {item!r} must look like key=value")
    return key.strip(), value


def pairs(items: list[str] | None, what: str) -> dict[str, Any]:
    """`key=value` arguments as a dict; values that read as JSON (numbers, true, null) are typed."""
    out: dict[str, Any] = {}
    for key, value in (pair(item, what) for item in items or []):
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None, so JSON output has nulls rather than NaN/NaT."""
    return frame.astype(object).where(frame.notna(), None)


def add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--search", help="text in name, email, phone or any identity")
    parser.add_argument("--channel", help="has an identity on this channel (whatsapp, email...)")
    parser.add_argument("--label")
    parser.add_argument("--source")
    parser.add_argument("--lifecycle")
    parser.add_argument("--segment", help="members of a saved segment")
    parser.add_argument("--expression", help="matching a segment expression")
    for name in ("created-from", "created-to", "last-seen-from", "last-seen-to"):
        parser.add_argument(f"--{name}", metavar="DATE", help="ISO 8601 date or timestamp")
    parser.add_argument(
        "--where", action="append", metavar="KEY=VALUE", help="property equals value (repeatable)"
    )


def filters(args: argparse.Namespace) -> ProfileFilter:
    try:
        return _filters(args)
    except PydanticError as err:
        first = err.errors()[0]
        field = "--" + str(first["loc"][0]).replace("_", "-")
        raise ValidationError(f"{field}: {first['msg']}") from None


def _filters(args: argparse.Namespace) -> ProfileFilter:
    return ProfileFilter(
        text=args.search,
        channel=args.channel,
        label=args.label,
        source=args.source,
        lifecycle=args.lifecycle,
        segment=args.segment,
        expression=args.expression,
        created_from=args.created_from,
        created_to=args.created_to,
        last_seen_from=args.last_seen_from,
        last_seen_to=args.last_seen_to,
        properties=pairs(args.where, "--where"),
    )


_PROFILE_HELP = "its id, any identity value it holds, or TYPE:VALUE (email:ana@x.com, id:42)"


def register(sub: argparse._SubParsersAction) -> None:
    listing = command(sub, "profiles", _list, help="search and list profiles")
    add_filters(listing)
    listing.add_argument("--sort", default="last_seen")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    add_json(listing)
    profile = sub.add_parser("profile", help="show, create and edit one profile")
    actions = profile.add_subparsers(dest="profile_command", required=True, metavar="ACTION")
    show = command(actions, "show", _show, help="a profile with identities and labels")
    show.add_argument("id", metavar="PROFILE", help=_PROFILE_HELP)
    add_json(show)
    create = command(actions, "create", _create, help="create a profile")
    create.add_argument("--identity", action="append", metavar="TYPE=VALUE", required=True)
    create.add_argument("--set", action="append", metavar="KEY=VALUE")
    create.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    add_json(create)
    edit = command(actions, "edit", _edit, help="change properties (audited)")
    edit.add_argument("id", metavar="PROFILE", help=_PROFILE_HELP)
    edit.add_argument("--set", action="append", metavar="KEY=VALUE", required=True)
    edit.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    add_json(edit)
    history = command(actions, "history", _history, help="audited changes of a profile")
    history.add_argument("id", metavar="PROFILE", help=_PROFILE_HELP)
    history.add_argument("--field")
    add_json(history)
    _register_agent_views(actions)


def _register_agent_views(actions: argparse._SubParsersAction) -> None:
    """What an agent looks at and sets on one profile beyond its fields."""
    search = command(actions, "search", _search, help="find people: exact matches first")
    search.add_argument("text")
    search.add_argument("--limit", type=int, default=20)
    add_json(search)
    views = (
        ("channels", _channels, "its channels (most used first) and main channel"),
        ("merges", _merges, "the profiles merged into it, and merges it took part in"),
        ("duplicates", _duplicates, "other profiles that may be the same person"),
        ("engagement", _engagement, "last contact, messages, purchases, CSAT, open tickets"),
    )
    for name, handler, text in views:
        view = command(actions, name, handler, help=text)
        view.add_argument("id", metavar="PROFILE", help=_PROFILE_HELP)
        add_json(view)
    main = command(actions, "main-channel", _main_channel, help="set the main channel by hand")
    main.add_argument("id", metavar="PROFILE", help=_PROFILE_HELP)
    main.add_argument("channel", nargs="?", help="one of its channels (omit with --clear)")
    main.add_argument("--clear", action="store_true", help="use the proposal from activity")
    main.add_argument("--actor", help="name for the audit trail (default: cli:<login>)")
    add_json(main)


def _list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        page = ws.profiles.list(filters(args), sort=args.sort, limit=args.limit, offset=args.offset)
    if args.json:
        emit({"total": page.total, "rows": table(page.rows).to_dict(orient="records")}, True)
        return
    emit(page.rows, False)
    print(f"{len(page.rows)} of {page.total} profiles")


def _show(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        profile = ws.profiles.get(ws.profiles.resolve(args.id))
    _print_profile(profile.model_dump(mode="json"), args.json)


def _print_profile(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(data, True)
        return
    identities = ", ".join(f"{i['type']}={i['value']}" for i in data.pop("identities"))
    emit({**data, "identities": identities, "labels": ", ".join(data.pop("labels"))}, False)


def _create(args: argparse.Namespace) -> None:
    identities: dict[str, list[str]] = {}
    for kind, value in (pair(item, "--identity") for item in args.identity):
        identities.setdefault(kind, []).append(value)
    with open_workspace(args) as ws:
        profile = ws.profiles.create(identities, pairs(args.set, "--set"), actor=args.actor)
    _print_profile(profile.model_dump(mode="json"), args.json)


def _edit(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        profile_id = ws.profiles.resolve(args.id)
        profile = ws.profiles.update(profile_id, pairs(args.set, "--set"), actor=args.actor)
    _print_profile(profile.model_dump(mode="json"), args.json)


def _history(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.profiles.field_history(ws.profiles.resolve(args.id), args.field)
    emit(table(frame), args.json)


def _search(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.profiles.search(args.text, limit=args.limit)), args.json)


def _channels(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        found = ws.channels.of(ws.profiles.resolve(args.id))
    _print_channels(found.model_dump(mode="json"), args.json)


def _print_channels(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(data, True)
        return
    star = {data["main"]: " *" if not data["main_set_by_hand"] else " * (set by hand)"}
    rows = [{**use, "main": star.get(use["channel"], "")} for use in data["channels"]]
    if rows:
        emit(rows, False)
    else:
        print("(no channel)")


def _main_channel(args: argparse.Namespace) -> None:
    if args.clear == bool(args.channel):
        raise ValidationError("give a CHANNEL, or --clear to use the proposal from activity")
    with open_workspace(args) as ws:
        profile_id = ws.profiles.resolve(args.id)
        if args.clear:
            found = ws.channels.clear_main(profile_id, actor=args.actor)
        else:
            found = ws.channels.set_main(profile_id, args.channel, actor=args.actor)
    _print_channels(found.model_dump(mode="json"), args.json)


def _merges(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        profile_id = ws.profiles.resolve(args.id)
        count, merges = ws.merges.merged_count(profile_id), ws.merges.linked(profile_id)
    if args.json:
        rows = table(merges).to_dict(orient="records")
        emit({"profile_id": profile_id, "merged_count": count, "merges": rows}, True)
        return
    print(f"profile {profile_id}: {count} profile(s) merged into it")
    emit(merges, False)


def _duplicates(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.profiles.duplicates(ws.profiles.resolve(args.id))), args.json)


def _engagement(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        summary = ws.profiles.engagement(ws.profiles.resolve(args.id))
    emit(summary.model_dump(mode="json"), args.json)
