"""The `kith` command line. Each module in `app.cli.commands` adds its subcommands through
`register(subparsers)`; every command takes --db and data-printing ones take --json.

Exit codes: 0 success, 1 a user error (one line on stderr), 2 bad usage (argparse)."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from kith_errors import KithError, WorkspaceLocked

DEFAULT_DB = "kith.duckdb"


def default_db() -> str:
    return os.environ.get("KITH_DB", DEFAULT_DB)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kith", description="Kith customer data platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from app.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"app.cli.commands.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except WorkspaceLocked as err:
        from app.cli.remote import through_server

        code = through_server(args.db, list(sys.argv[1:] if argv is None else argv))
        if code is None:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return code
    except KithError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`kith profiles | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
