"""`kith property define|list` and `kith event-type register|list`: the catalog."""

from __future__ import annotations

import argparse

from app.cli.commands.profiles import pair, table
from app.cli.common import add_json, command, emit, open_workspace
from engine.catalog.service import SQL_TYPES


def register(sub: argparse._SubParsersAction) -> None:
    prop = sub.add_parser("property", help="custom profile properties")
    actions = prop.add_subparsers(dest="property_command", required=True, metavar="ACTION")
    define = command(actions, "define", _define, help="define a typed custom property")
    define.add_argument("name")
    define.add_argument("type", choices=list(SQL_TYPES))
    define.add_argument("--description")
    define.add_argument("--enum", help="allowed values, comma-separated")
    define.add_argument("--pattern", help="regular expression a string must match in full")
    define.add_argument("--min", type=float)
    define.add_argument("--max", type=float)
    define.add_argument("--required", action="store_true")
    add_json(command(actions, "list", _properties, help="built-in and custom properties"))
    kind = sub.add_parser("event-type", help="custom event types")
    kinds = kind.add_subparsers(dest="event_type_command", required=True, metavar="ACTION")
    reg = command(kinds, "register", _register, help="register a custom event type")
    reg.add_argument("name")
    reg.add_argument("--display-name")
    reg.add_argument("--description")
    reg.add_argument("--prop", action="append", metavar="NAME=TYPE", help="an event property")
    add_json(command(kinds, "list", _event_types, help="standard and registered event types"))


def _define(args: argparse.Namespace) -> None:
    enum = [v.strip() for v in args.enum.split(",")] if args.enum else None
    if enum is not None and args.type == "number":
        enum = [float(v) for v in enum]
    with open_workspace(args) as ws:
        d = ws.catalog.define_property(
            args.name,
            args.type,
            description=args.description,
            enum=enum,
            pattern=args.pattern,
            min=args.min,
            max=args.max,
            required=args.required,
        )
    print(f"defined property {d.name} ({d.type})")


def _properties(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.catalog.properties()), args.json)


def _register(args: argparse.Namespace) -> None:
    props = dict(pair(item, "--prop") for item in args.prop or [])
    with open_workspace(args) as ws:
        ws.catalog.register_event_type(
            args.name,
            display_name=args.display_name,
            description=args.description,
            properties=props,
        )
    print(f"registered event type {args.name}")


def _event_types(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.catalog.event_types()), args.json)
