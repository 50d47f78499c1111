"""Helpers every CLI command module shares: the --db/--json/--as options, opening the workspace
as the person at the keyboard, printing tables and JSON."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used, so that a command's --help needs no engine
    from engine import Workspace
    from engine.access.acting import ActingWorkspace
    from engine.access.policy import Actor


def add_db(parser: argparse.ArgumentParser) -> None:
    from app.cli import default_db

    parser.add_argument("--db", default=default_db(), help="workspace file (default: %(default)s)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], Any],
    *,
    acts: bool = True,
    **kw: Any,
) -> argparse.ArgumentParser:
    """A subcommand with --db, bound to its handler; one that `acts` for a person also takes
    --as."""
    parser = sub.add_parser(name, **kw)
    add_db(parser)
    parser.set_defaults(handler=handler)
    if not acts:
        return parser
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="act as this workspace user, with their role (default: the file's owner, as admin)",
    )
    return parser


def moment(text: str) -> dt.datetime:
    """An ISO date or timestamp argument as a naive UTC moment."""
    from engine.clock import to_utc

    try:
        return to_utc(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or timestamp") from err


def day_or_moment(text: str) -> dt.date | dt.datetime:
    """A bare date covers the whole day; a timestamp is a moment."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return moment(text)


_served: Workspace | None = None  # set while a running server carries a command out


@contextmanager
def serving(ws: Workspace) -> Iterator[None]:
    """Commands run meanwhile use `ws` (a server's open workspace) and leave it open."""
    global _served
    _served = ws
    try:
        yield
    finally:
        _served = None


def carried_by_server() -> bool:
    """Whether a running server is carrying the command out (on its own open workspace)."""
    return _served is not None


@contextmanager
def open_workspace(args: argparse.Namespace) -> Iterator[ActingWorkspace]:
    """The workspace file acting for the person at the keyboard (`cli_actor`): every action is
    checked against their role and recorded under their name. While a server carries the
    command out, its open workspace (left open)."""
    if _served is not None:
        yield _served.acting_as(cli_actor(_served, args))
        return
    from engine import Workspace

    with Workspace.open(args.db) as ws:
        yield ws.acting_as(cli_actor(ws, args))


@contextmanager
def open_file(args: argparse.Namespace) -> Iterator[Workspace]:
    """The workspace file itself, for commands that build or measure the whole file (demo,
    stats): only its local owner runs them (a running server's file when it carries the
    command out)."""
    if _served is not None:
        yield _served
        return
    from engine import Workspace

    with Workspace.open(args.db) as ws:
        yield ws


def cli_actor(ws: Workspace, args: argparse.Namespace) -> Actor:
    """`--as USERNAME` acts with that user's role; otherwise the file's local owner acts as an
    admin, recorded as `--actor` or `cli:<login>`."""
    from engine.access.policy import Actor

    if getattr(args, "as_user", None):
        return Actor.of(ws.users.active(args.as_user), via="cli")
    name = getattr(args, "actor", None) or f"cli:{getpass.getuser()}"
    return Actor(name=name, role="admin")


def _is_frame(data: Any) -> bool:
    """Whether `data` is a DataFrame, without importing pandas for commands that never use it
    (a DataFrame can only exist once pandas is imported)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def _plain(data: Any) -> Any:
    """A store row (a dataclass) as the dict of its fields in order; a list of them as dicts."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return dataclasses.asdict(data)
    if isinstance(data, list):
        return [_plain(item) for item in data]
    return data


def emit(data: Any, as_json: bool) -> None:
    """Print a DataFrame, a store row, a list of dicts or rows, or a dict, as JSON or as a
    readable table."""
    data = _plain(data)
    if as_json:
        payload = data.to_dict(orient="records") if _is_frame(data) else data
        json.dump(payload, sys.stdout, default=str, indent=2)
        sys.stdout.write("\n")
    elif _is_frame(data):
        print(data.to_string(index=False) if len(data) else "(no rows)")
    elif isinstance(data, list):
        import pandas as pd

        print(pd.DataFrame(data).to_string(index=False) if data else "(no rows)")
    elif isinstance(data, dict):
        width = max((len(str(k)) for k in data), default=0)
        for key, value in data.items():
            print(f"{str(key).ljust(width)}  {value}")
    else:
        print(data)
