"""`kith keys create|list|revoke`: API keys for the HTTP API (ingest keys for /v1, read_write
keys that act for a user on /api)."""

from __future__ import annotations

import argparse

from app.cli.common import add_json, command, emit, open_workspace
from engine.admin.keys import SCOPES


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="create, list and revoke API keys")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = command(actions, "create", _create, help="create a key (shown once)")
    create.add_argument("name", help="what the key is for, e.g. 'website'")
    create.add_argument("--scope", choices=SCOPES, default="ingest")
    create.add_argument("--user", help="the user a read_write key acts for (with their role)")
    add_json(create)
    listing = command(actions, "list", _list, help="list keys (prefix only, never the key)")
    add_json(listing)
    revoke = command(actions, "revoke", _revoke, help="revoke a key by id")
    revoke.add_argument("id", type=int)


def _create(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        created = ws.keys.create(args.name, scope=args.scope, user=args.user)
    if args.json:
        emit(created.model_dump(mode="json"), True)
        return
    print(f"created key {created.id} {created.name!r} (scope {created.scope})")
    print(f"key: {created.key}")
    print("store it now: it is not shown again")


def _list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.keys.list()
    # NaT/NaN would print as strings in JSON; a missing revoked_at is null
    emit(frame.astype(object).where(frame.notna(), None), args.json)


def _revoke(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        key = ws.keys.revoke(args.id)
    print(f"revoked key {key.id} {key.name!r} ({key.prefix}…)")
