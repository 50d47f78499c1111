"""`kith trend` and `kith retention`.

kith trend purchase "people of page_view" --interval week --from 2026-09-01 --to 2026-11-30
kith trend "sum amount of purchase" --breakdown country --top 3 --compare
kith retention signup --returning purchase --interval week --periods 12
kith retention --segment vip --returning purchase --cohort recurring --breakdown country
"""

from __future__ import annotations

import argparse

import pandas as pd

from app.cli.common import add_json, command, day_or_moment, emit, moment, open_workspace
from engine.analytics import plain, retention, trends


def register(sub: argparse._SubParsersAction) -> None:
    _register_trend(sub)
    _register_retention(sub)


def _range_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--from", dest="start", type=day_or_moment, help=f"first day of {what}")
    parser.add_argument("--to", dest="end", type=day_or_moment, help=f"last day of {what}")
    parser.add_argument("--breakdown", help="a profile property (trends: or event.<prop>)")
    parser.add_argument("--top", type=int, default=5, help="breakdown values shown (default 5)")
    parser.add_argument("--audience", help="only people in this segment expression")
    parser.add_argument("--as-of", type=moment, help="evaluate as of this moment (UTC)")
    add_json(parser)


def _register_trend(sub: argparse._SubParsersAction) -> None:
    trend = command(sub, "trend", _trend, help="events, people or amounts per period")
    trend.add_argument(
        "series",
        nargs="+",
        metavar="SERIES",
        help='EVENT ["where FILTER"], "people of EVENT", or "sum|avg|median PROP of EVENT" '
        "(avg and median: of each person's total in the period)",
    )
    trend.add_argument("--interval", choices=("hour", "day", "week", "month"), default="day")
    trend.add_argument("--compare", action="store_true", help="beside the range before it")
    _range_options(trend, "the range (default: the 30 days up to --as-of)")


def _trend(args: argparse.Namespace) -> None:
    spec = trends.spec_from(
        series=args.series,
        interval=args.interval,
        start=args.start,
        end=args.end,
        breakdown=args.breakdown,
        top=args.top,
        audience=args.audience,
        compare=args.compare,
        as_of=args.as_of,
    )
    with open_workspace(args) as ws:
        result = ws.trends.run(spec)
    emit(result.as_dict() if args.json else _readable(result.points), args.json)


def _register_retention(sub: argparse._SubParsersAction) -> None:
    parser = command(sub, "retention", _retention, help="cohorts and who came back")
    parser.add_argument(
        "start_event", nargs="?", metavar="EVENT", help='who starts: EVENT or "EVENT where FILTER"'
    )
    parser.add_argument("--segment", help="who starts: people entering this saved segment")
    parser.add_argument("--returning", help="the event that counts as coming back (default: EVENT)")
    parser.add_argument("--interval", choices=("day", "week", "month"), default="week")
    parser.add_argument("--periods", type=int, default=8, help="later periods (default 8)")
    parser.add_argument(
        "--cohort",
        choices=("first_time", "recurring"),
        default="first_time",
        help="first_time: by each person's first start; recurring: every start",
    )
    parser.add_argument("--curve", action="store_true", help="the curve instead of the table")
    _range_options(parser, "the cohorts (default: the last --periods periods)")


def _retention(args: argparse.Namespace) -> None:
    spec = retention.spec_from(
        start_event=args.start_event,
        start_segment=args.segment,
        return_event=args.returning,
        interval=args.interval,
        periods=args.periods,
        start=args.start,
        end=args.end,
        cohort=args.cohort,
        breakdown=args.breakdown,
        top=args.top,
        audience=args.audience,
        as_of=args.as_of,
    )
    with open_workspace(args) as ws:
        result = ws.retention.run(spec)
    if args.json:
        emit(result.as_dict(), True)
    else:
        emit(_readable(result.curve if args.curve else result.triangle()), False)


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Shares and averages rounded for reading; missing values blank."""
    numbers = {column: 4 for column in frame.select_dtypes("number").columns}
    return pd.DataFrame(plain.records(frame.round(numbers)), columns=frame.columns)
