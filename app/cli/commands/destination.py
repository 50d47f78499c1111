"""`kith destination|sync|broadcast`: where audiences go (webhook, Segment-spec forward, file
drop, messaging provider), which segments are synced there, and broadcasts
(docs/activation.md). Secrets are shown masked; a generated webhook secret is printed once."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.common import add_json, command, emit, moment, open_workspace
from kith_errors import ValidationError

KINDS = ("webhook", "segment", "file", "messaging")


def register(sub: argparse._SubParsersAction) -> None:
    _destination(sub)
    _sync(sub)
    _broadcast(sub)


def _destination(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("destination", help="destinations audiences are sent to")
    actions = parser.add_subparsers(dest="destination_command", required=True, metavar="ACTION")
    create = command(actions, "create", _create, help="create a destination")
    create.add_argument("name")
    create.add_argument("--kind", choices=KINDS, required=True)
    create.add_argument(
        "--url", help="where to POST (webhook, segment: the /v1/batch URL, messaging)"
    )
    create.add_argument("--channel", help="the channel it reaches: only people who granted it")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--secret", help="signing secret, write key or token (visible to ps)")
    secret.add_argument("--secret-file", help="read the secret from this file's first line")
    create.add_argument("--batch-size", type=int, help="people per delivery (default 100)")
    create.add_argument("--rate", type=int, help="at most this many people per second")
    create.add_argument("--interval", type=int, help="seconds between a sync's runs")
    create.add_argument("--directory", help="file drop: an absolute directory")
    create.add_argument("--format", choices=("csv", "parquet"), help="file drop's format")
    create.add_argument(
        "--header", action="append", default=[], help="messaging: 'Name: value' (repeatable)"
    )
    body = create.add_mutually_exclusive_group()
    body.add_argument("--body", help="messaging: the JSON body template")
    body.add_argument("--body-file", help="messaging: read the body template from a file")
    add_json(create)
    listing = command(actions, "list", _list, help="destinations with their delivery health")
    add_json(listing)
    show = command(actions, "show", _show, help="one destination (its secret masked)")
    show.add_argument("name")
    add_json(show)
    test = command(actions, "test", _test, help="reach the destination once, without data")
    test.add_argument("name")
    add_json(test)
    delete = command(actions, "delete", _delete, help="delete a destination and its syncs")
    delete.add_argument("name")
    log = command(actions, "log", _log, help="the delivery log, newest first")
    log.add_argument("name")
    log.add_argument("--status", choices=("pending", "delivered", "dead", "skipped"))
    log.add_argument("--limit", type=int, default=50)
    add_json(log)
    retry = command(actions, "retry", _retry, help="put dead deliveries back in the queue")
    retry.add_argument("name")


def _sync(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sync", help="sync saved segments to destinations")
    actions = parser.add_subparsers(dest="sync_command", required=True, metavar="ACTION")
    add = command(actions, "add", _attach, help="sync SEGMENT to DESTINATION")
    add.add_argument("destination")
    add.add_argument("segment")
    remove = command(actions, "remove", _detach, help="stop syncing SEGMENT to DESTINATION")
    remove.add_argument("destination")
    remove.add_argument("segment")
    listing = command(actions, "list", _syncs, help="every sync and how far it got")
    add_json(listing)
    run = command(actions, "run", _run, help="one pass: queue due deltas and broadcasts, deliver")
    add_json(run)


def _broadcast(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("broadcast", help="send one message to a segment")
    actions = parser.add_subparsers(dest="broadcast_command", required=True, metavar="ACTION")
    preview = command(actions, "preview", _preview, help="who would get it, who is skipped, why")
    preview.add_argument("audience", help="a saved segment or static list")
    preview.add_argument("--via", required=True, help="the messaging destination")
    add_json(preview)
    send = command(actions, "send", _send, help="send now, or at --at")
    send.add_argument("name")
    send.add_argument("audience", help="a saved segment or static list")
    send.add_argument("--via", required=True, help="the messaging destination")
    send.add_argument("--message", required=True)
    send.add_argument("--at", type=moment, help="when to send (ISO, UTC)")
    add_json(send)
    listing = command(actions, "list", _broadcasts, help="broadcasts with their counts")
    add_json(listing)
    log = command(actions, "log", _send_log, help="per person: sent, failed, skipped and why")
    log.add_argument("id", type=int)
    add_json(log)
    cancel = command(actions, "cancel", _cancel, help="cancel a broadcast not yet started")
    cancel.add_argument("id", type=int)


# ---- destinations ----------------------------------------------------------------------------


def _create(args: argparse.Namespace) -> None:
    options: dict[str, Any] = {
        key: value
        for key, value in {
            "url": args.url,
            "batch_size": args.batch_size,
            "rate_per_second": args.rate,
            "interval_seconds": args.interval,
            "directory": args.directory,
            "format": args.format,
            "body": _read(args.body_file) if args.body_file else args.body,
        }.items()
        if value is not None
    }
    if args.header:
        options["headers"] = dict(_header(text) for text in args.header)
    secret = _read(args.secret_file).splitlines()[0] if args.secret_file else args.secret
    with open_workspace(args) as ws:
        created = ws.activation.create_destination(
            args.name, args.kind, options, channel=args.channel, secret=secret
        )
    if args.json:
        emit(created.model_dump(mode="json"), True)
        return
    print(f"created {created.kind} destination {created.name!r}")
    if created.signing_secret:
        print(f"signing secret: {created.signing_secret}")
        print("store it now: it is not shown again")


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep:
        raise ValidationError(f"--header {text!r} must look like 'Name: value'")
    return name.strip(), value.strip()


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValidationError(f"cannot read {path}: {err}") from err


def _list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.activation.health()
    emit(frame.astype(object).where(frame.notna(), None), args.json)


def _show(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        shown = ws.activation.destination(args.name)
    emit(shown.model_dump(mode="json"), args.json)


def _test(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        result = ws.activation.test_destination(args.name)
    emit(result, args.json)
    if not result["ok"]:
        raise ValidationError(f"{args.name!r} did not accept the test: {result['error']}")


def _delete(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.activation.delete_destination(args.name)
    print(f"deleted destination {args.name!r}")


def _log(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.activation.deliveries(args.name, status=args.status, limit=args.limit)
    emit(frame.astype(object).where(frame.notna(), None), args.json)


def _retry(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        count = ws.activation.retry_dead(args.name)
    print(f"{count} dead deliveries queued again for {args.name!r}")


# ---- syncs -----------------------------------------------------------------------------------


def _attach(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.activation.attach(args.destination, args.segment)
    print(f"syncing {args.segment!r} to {args.destination!r}: a full sync first, then changes")


def _detach(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.activation.detach(args.destination, args.segment)
    print(f"stopped syncing {args.segment!r} to {args.destination!r}")


def _syncs(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        rows = ws.activation.syncs()
    emit(rows, args.json)


def _run(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        result = ws.activation.run()
    emit(result, args.json)


# ---- broadcasts ------------------------------------------------------------------------------


def _preview(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.activation.preview(args.audience, args.via)
    if args.json:
        emit(frame.astype(object).where(frame.notna(), None), True)
        return
    sending = int((frame["outcome"] == "send").sum())
    print(f"{sending} of {len(frame)} will receive it")
    for reason, count in frame["reason"].dropna().value_counts().items():
        print(f"  skipped: {count} ({reason})")


def _send(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        made = ws.activation.broadcast(
            args.name, args.audience, args.via, args.message, send_at=args.at
        )
    if args.json:
        emit(made, True)
        return
    print(f"broadcast {made.id} {made.name!r} to {made.audience!r} at {made.send_at}")


def _broadcasts(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.activation.broadcasts()
    emit(frame.astype(object).where(frame.notna(), None), args.json)


def _send_log(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        frame = ws.activation.send_log(args.id)
    emit(frame.astype(object).where(frame.notna(), None), args.json)


def _cancel(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.activation.cancel_broadcast(args.id)
    print(f"cancelled broadcast {args.id}")
