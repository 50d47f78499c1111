"""The `kith` command line. Each module in `app.cli.commands` adds its subcommands through
`register(subparsers)`; every command takes --db and data-printing ones take --json.

Start-up stays fast because only the module of the command being run is imported: `COMMANDS`
names every top-level command, its module and its help, so `kith --help` and the parser's
choices need no command module (`tests/cli/test_lazy.py` holds the table to the modules).

Exit codes: 0 success, 1 a user error (one line on stderr), 2 bad usage (argparse)."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NamedTuple

from kith_errors import KithError, WorkspaceLocked

DEFAULT_DB = "kith.duckdb"


class Command(NamedTuple):
    name: str
    module: str  # in app.cli.commands
    help: str


# In the order `kith --help` lists them (by module, then as each module registers them).
COMMANDS: tuple[Command, ...] = (
    Command("funnel", "analytics", "profiles through a sequence of steps"),
    Command("goal", "analytics", "define goals and report on them"),
    Command("rule", "analytics", "automation rules"),
    Command("webhooks", "analytics", "deliver queued rule webhooks"),
    Command("consent", "consent", "consent per channel, with its history"),
    Command("demo", "demo", "fill an empty workspace with demo data"),
    Command("destination", "destination", "destinations audiences are sent to"),
    Command("sync", "destination", "sync saved segments to destinations"),
    Command("broadcast", "destination", "send one message to a segment"),
    Command(
        "ingest-failures",
        "failures",
        "list tracking API messages that were accepted but refused when loaded",
    ),
    Command("list", "groups", "groups of customers (static lists)"),
    Command("init", "ingest", "create (or upgrade) a workspace file"),
    Command("ingest", "ingest", "ingest events from a JSONL, CSV or Parquet file"),
    Command("keys", "keys", "create, list and revoke API keys"),
    Command("label", "labels", "add, remove and list labels"),
    Command("lake", "lake", "write the workspace as a Parquet lake for Spark"),
    Command("merge", "merge", "merge SECONDARY into PRIMARY (undo: unmerge)"),
    Command("unmerge", "merge", "undo a merge exactly"),
    Command("note", "notes", "notes on a profile"),
    Command("erase", "privacy", "erase a person and everything held about them"),
    Command("export-person", "privacy", "everything held about a person, JSON"),
    Command("compact", "privacy", "rewrite the workspace file so no erased value stays in it"),
    Command("profiles", "profiles", "search and list profiles"),
    Command("profile", "profiles", "show, create and edit one profile"),
    Command("property", "schema", "custom profile properties"),
    Command("event-type", "schema", "custom event types"),
    Command("segment", "segment", "evaluate, save and inspect segments"),
    Command("serve", "serve", "serve the dashboard and the HTTP API"),
    Command(
        "stats",
        "stats",
        "counts of profiles, identities, events by type, sessions, segments, rules...",
    ),
    Command("import-profiles", "transfer", "create/update profiles from a CSV file"),
    Command("import-mapping", "transfer", "saved column mappings of the profile import"),
    Command("export-profiles", "transfer", "export profiles to CSV or Parquet"),
    Command("import-template", "transfer", "print the CSV import template"),
    Command("trend", "trends", "events, people or amounts per period"),
    Command("retention", "trends", "cohorts and who came back"),
    Command("users", "users", "create users, change roles, disable, reset passwords"),
)


def default_db() -> str:
    return os.environ.get("KITH_DB", DEFAULT_DB)


def command_modules() -> list[str]:
    """Every module in app.cli.commands, by name."""
    from app.cli import commands

    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__))


def _register(sub: argparse._SubParsersAction, module: str) -> None:
    importlib.import_module(f"app.cli.commands.{module}").register(sub)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full arguments of `command`'s module and the name and help of every
    other command. A name missing from `COMMANDS` registers every module, so a command added
    without its table entry still runs (and the table test says what to add)."""
    parser = argparse.ArgumentParser(prog="kith", description="Kith customer data platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    known = {entry.name: entry.module for entry in COMMANDS}
    if command is not None and command not in known:
        for module in command_modules():
            _register(sub, module)
        return parser
    chosen = known.get(command) if command else None
    registered = False
    for entry in COMMANDS:
        if entry.module != chosen:
            sub.add_parser(entry.name, help=entry.help)
        elif not registered:
            _register(sub, entry.module)  # the module adds all of its commands at once
            registered = True
    return parser


def command_named(argv: Sequence[str]) -> str | None:
    """The command word of a command line: its first argument that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_named(argv))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except WorkspaceLocked as err:
        from app.cli.remote import through_server

        code = through_server(args.db, argv)
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
