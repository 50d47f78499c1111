"""`kith users create|list|set-role|disable|enable|reset-password`: the people who log in."""

from __future__ import annotations

import argparse
import sys

from app.cli.common import add_json, command, emit, open_workspace
from engine.access.matrix import ROLES


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="create users, change roles, disable, reset passwords")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = command(actions, "create", _create, help="create a user (password shown once)")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    _password_option(create)
    add_json(command(actions, "list", _list, help="list users and their roles"))
    set_role = command(actions, "set-role", _set_role, help="change a user's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=ROLES)
    disable = command(actions, "disable", _disable, help="stop a user logging in or using keys")
    disable.add_argument("username")
    enable = command(actions, "enable", _enable, help="let a disabled user back in")
    enable.add_argument("username")
    reset = command(actions, "reset-password", _reset, help="new password; sessions end")
    reset.add_argument("username")
    _password_option(reset)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (default: generate one and print it once)",
    )


def _password(args: argparse.Namespace) -> str | None:
    return sys.stdin.readline().rstrip("\n") if args.password_stdin else None


def _create(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        user, password = ws.users.create(args.username, args.role, _password(args))
    print(f"created user {user.username!r} ({user.role})")
    if not args.password_stdin:
        print(f"password: {password}")
        print("hand it over now: it is not shown again")


def _list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.users.list()
    emit(frame.astype(object).where(frame.notna(), None), args.json)


def _set_role(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        user = ws.users.set_role(args.username, args.role)
    print(f"{user.username!r} is now {user.role}")


def _disable(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        user = ws.users.disable(args.username)
    print(f"disabled {user.username!r}: their sessions ended and their keys stop working")


def _enable(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        user = ws.users.enable(args.username)
    print(f"enabled {user.username!r}")


def _reset(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        password = ws.users.reset_password(args.username, _password(args))
    print(f"new password set for {args.username!r}; their sessions ended")
    if not args.password_stdin:
        print(f"password: {password}")
