"""`kith property define|list` and `kith event-type register|extend|enforce|undeclared|
discovered|flagged|list`: the catalog, and the data steward's event schemas."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.cli.commands.profiles import table
from app.cli.common import add_json, command, emit, open_workspace
from engine.catalog.event_types import POLICIES, UNDECLARED_POLICIES
from engine.catalog.service import SQL_TYPES
from kith_errors import ValidationError

if TYPE_CHECKING:
    import pandas as pd


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
    reg = command(kinds, "register", _register, help="register event types (or from the data)")
    reg.add_argument("names", nargs="*", metavar="NAME", help="one type; with --from-data, any")
    reg.add_argument("--display-name")
    reg.add_argument("--description")
    reg.add_argument(
        "--prop", "--property", action="append", metavar="NAME:TYPE", help="an event property"
    )
    reg.add_argument(
        "--from-data",
        action="store_true",
        help="register the types (default: every one discovered) with the properties found",
    )
    add_json(reg)
    ext = command(kinds, "extend", _extend, help="add properties to an event type, built-in too")
    ext.add_argument("name")
    ext.add_argument(
        "--property", "--prop", dest="prop", action="append", required=True, metavar="NAME:TYPE"
    )
    enforce = command(kinds, "enforce", _enforce, help="check a type's events on ingestion")
    enforce.add_argument("name")
    enforce.add_argument("policy", choices=list(POLICIES))
    undeclared = command(
        kinds,
        "undeclared",
        _undeclared,
        help="what happens to unregistered event types and extra properties",
    )
    undeclared.add_argument(
        "--unregistered-types",
        choices=list(UNDECLARED_POLICIES),
        help="events of a type nobody registered",
    )
    undeclared.add_argument(
        "--extra-properties",
        choices=list(UNDECLARED_POLICIES),
        help="properties an enforced type's schema does not list",
    )
    add_json(undeclared)
    found = command(kinds, "discovered", _discovered, help="unregistered types and properties")
    found.add_argument("--type", dest="event_type", help="only this event type")
    add_json(found)
    flagged = command(kinds, "flagged", _flagged, help="events stored with a schema warning")
    flagged.add_argument("--limit", type=int, default=100)
    add_json(flagged)
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


def _typed_pairs(items: list[str] | None) -> dict[str, str]:
    """`NAME:TYPE` (or `NAME=TYPE`) arguments; a name alone is a string property."""
    props: dict[str, str] = {}
    for item in items or []:
        sep = ":" if ":" in item else "="
        name, _, kind = item.partition(sep)
        if not name.strip():
            raise ValidationError(f"--property {item!r} must look like NAME:TYPE")
        props[name.strip()] = kind.strip() or "string"
    return props


def _register(args: argparse.Namespace) -> None:
    if args.from_data:
        if args.prop or args.display_name:
            raise ValidationError("--from-data takes the properties from the data; drop --prop")
        with open_workspace(args) as ws:
            done = ws.catalog.register_from_data(args.names or None)
        emit(table(done) if args.json else _summary(done), args.json)
        return
    if len(args.names) != 1:
        raise ValidationError("name one event type to register (or use --from-data)")
    with open_workspace(args) as ws:
        made = ws.catalog.register_event_type(
            args.names[0],
            display_name=args.display_name,
            description=args.description,
            properties=_typed_pairs(args.prop),
        )
    word = "extended built-in" if made.builtin else "registered"
    print(f"{word} event type {made.name}: {_fields(made.properties)}")


def _summary(done: pd.DataFrame) -> str:
    lines = []
    for row in done.itertuples(index=False):
        line = f"{row.action} {row.event_type}: {_fields(row.added) or 'no new properties'}"
        if row.skipped:
            line += f" (skipped: {', '.join(row.skipped)})"
        lines.append(line)
    return "\n".join(lines)


def _fields(props: dict[str, str]) -> str:
    return ", ".join(f"{name}:{kind}" for name, kind in props.items())


def _extend(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        made = ws.catalog.extend_event_type(args.name, _typed_pairs(args.prop))
    print(f"event type {made.name} has {_fields(made.properties)}")


def _enforce(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        policy = ws.catalog.set_enforcement(args.name, args.policy)
    print(f"event type {args.name}: enforcement {policy}")


def _undeclared(args: argparse.Namespace) -> None:
    given = {"unregistered_types": args.unregistered_types}
    given["extra_properties"] = args.extra_properties
    with open_workspace(args) as ws:
        for which, policy in given.items():
            if policy is not None:
                ws.catalog.set_undeclared(which, policy)
        choices = ws.catalog.undeclared()
    emit(choices, args.json)


def _discovered(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.catalog.discovered(args.event_type)), args.json)


def _flagged(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.catalog.flagged_events(args.limit)), args.json)


def _event_types(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(table(ws.catalog.event_types()), args.json)
