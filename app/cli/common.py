"""Helpers every CLI command module shares: the --db/--json options, opening the workspace,
printing tables and JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine import Workspace


def add_db(parser: argparse.ArgumentParser) -> None:
    from app.cli import default_db

    parser.add_argument("--db", default=default_db(), help="workspace file (default: %(default)s)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], Any],
    **kw: Any,
) -> argparse.ArgumentParser:
    """A subcommand with --db, bound to its handler."""
    parser = sub.add_parser(name, **kw)
    add_db(parser)
    parser.set_defaults(handler=handler)
    return parser


def moment(text: str) -> dt.datetime:
    """An ISO date or timestamp argument as a naive UTC moment."""
    from engine.clock import to_utc  # here, so that a command's --help needs no engine

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


def open_workspace(args: argparse.Namespace) -> Workspace:
    from engine import Workspace  # here, so that a command's --help needs no engine

    return Workspace.open(args.db)


def _is_frame(data: Any) -> bool:
    """Whether `data` is a DataFrame, without importing pandas for commands that never use it
    (a DataFrame can only exist once pandas is imported)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def emit(data: Any, as_json: bool) -> None:
    """Print a DataFrame, a list of dicts or a dict, as JSON or as a readable table."""
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
