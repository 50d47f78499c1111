"""`kith demo`: fill an empty workspace with deterministic, realistic demo data."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from app.cli.common import add_json, command, emit, open_file
from engine.admin.stats import is_empty
from engine.demo import DemoSpec
from engine.demo.load import build
from kith_errors import Conflict

HELP = """Generate demo data: people on ten channels with names, emails, phones, places and
lifecycle stages; web sessions; email/WhatsApp/SMS campaigns (sent -> delivered -> read ->
clicked); signups, purchases, carts, renewals, support tickets with CSAT; consent changes,
labels, saved segments, goals and rules. Some people appear twice (anonymous browsing, then
a login; a WhatsApp contact, then their phone) so identity resolution has real work to do;
the last day is loaded as a separate batch after the history, so some of them are merged.

The data covers the --days before midnight UTC of --until (default: today, so dashboards look
alive). The same --seed and --until always produce the same data."""

BAR = 30


def register(sub: argparse._SubParsersAction) -> None:
    parser = command(
        sub,
        "demo",
        run,
        acts=False,
        help="fill an empty workspace with demo data",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profiles", type=int, default=5_000, help="people (default: 5000)")
    parser.add_argument("--days", type=int, default=90, help="days of history (default: 90)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--until",
        type=_date,
        default=None,
        help="the data ends at 00:00 UTC of this day, exclusive; YYYY-MM-DD (default: today)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json(parser)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from err


LOG_IN = (
    "To log in: `kith serve` prints a one-time link that creates the first admin "
    "(or run `kith users create NAME --role admin`)."
)


def run(args: argparse.Namespace) -> int:
    spec = DemoSpec(profiles=args.profiles, days=args.days, seed=args.seed, until=args.until)
    with open_file(args) as ws:
        if not is_empty(ws):
            raise Conflict(
                f"{args.db} already holds data; `kith demo` fills an empty workspace only "
                "(choose another --db)",
                details={"db": args.db},
            )
        report = build(ws, spec, progress=None if args.quiet else ProgressBar())
        has_users = ws.users.count() > 0
    emit(_summary(report), args.json)
    if not (args.quiet or has_users):
        print(LOG_IN, file=sys.stderr)
    return 0


def _summary(report) -> dict[str, object]:
    spec = report.spec
    return {
        "profiles_requested": spec.profiles,
        "period": f"{spec.start:%Y-%m-%d} .. {spec.end:%Y-%m-%d} (UTC, end exclusive)",
        "seed": spec.seed,
        "events": report.events,
        "profiles": report.profiles_created - report.profiles_merged,
        "sessions": report.sessions,
        "consent_changes": report.consent_changes,
        "labels": report.labels,
        "segments": report.segments,
        "goals": report.goals,
        "rules": report.rules,
        "seconds": round(report.seconds, 1),
    }


class ProgressBar:
    """A one-line progress bar on stderr, redrawn as each block of people lands."""

    def __init__(self) -> None:
        self.began = time.perf_counter()

    def __call__(self, done: int, total: int, events: int) -> None:
        filled = BAR * done // max(total, 1)
        seconds = time.perf_counter() - self.began
        line = (
            f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done:,}/{total:,} people, "
            f"{events:,} events, {seconds:.0f}s"
        )
        sys.stderr.write(line + ("\n" if done >= total else ""))
        sys.stderr.flush()


__all__ = ["ProgressBar", "register", "run"]
