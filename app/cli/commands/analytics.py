"""`kith funnel`, `kith goal define|list|target|report`, `kith rule ...`, `kith webhooks deliver`.

    kith funnel message_sent message_delivered message_read link_clicked --within 7d \\
        --breakdown event.campaign
    kith funnel signup "purchase where amount > 100" --from 2026-01-01 --to 2026-01-31
    kith goal define 'goal "Trial": start page_view where url contains "/pricing" target signup'
    kith rule add big 'when purchase where amount > 500 then add label "high-value"'
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from app.cli.common import add_json, command, day_or_moment, emit, moment, open_workspace
from app.cli.engines import add_engine, open_runner
from engine.analytics.funnel_spec import Exclusion, FunnelStep, parse_within, spec_from


def register(sub: argparse._SubParsersAction) -> None:
    _register_funnel(sub)
    _register_goal(sub)
    _register_rule(sub)
    hooks = sub.add_parser("webhooks", help="deliver queued rule webhooks")
    actions = hooks.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    add_json(command(actions, "deliver", _deliver, help="POST every due webhook once"))


# ---- funnels ------------------------------------------------------------------------------------


def _register_funnel(sub: argparse._SubParsersAction) -> None:
    funnel = command(sub, "funnel", _funnel, help="profiles through a sequence of steps")
    funnel.add_argument("steps", nargs="+", metavar="STEP", help='EVENT or "EVENT where FILTER"')
    funnel.add_argument(
        "--within", default="14d", help="conversion window: 10s, 30m, 12h, 7d, 2w (default 14d)"
    )
    funnel.add_argument("--from", dest="start", type=day_or_moment, help="first day of step 1")
    funnel.add_argument("--to", dest="end", type=day_or_moment, help="last day of step 1")
    funnel.add_argument("--order", choices=("ordered", "strict", "unordered"), default="ordered")
    funnel.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="EXCLUSION",
        help="EVENT[ where FILTER]:FROM[-TO] voids attempts with EVENT (matching FILTER) "
        "between steps FROM and TO (default FROM+1), e.g. cancel:1 or "
        "'refund where amount > 10:2-4'; repeatable",
    )
    funnel.add_argument("--breakdown", help="a profile property, or event.<prop> of step 1")
    funnel.add_argument(
        "--top", type=int, help='breakdown values shown by name; the rest as "(other)"'
    )
    funnel.add_argument("--audience", help="only profiles in this segment expression")
    funnel.add_argument("--as-of", type=moment, help="evaluate as of this moment (UTC)")
    funnel.add_argument(
        "--over-time",
        choices=("day", "week", "month"),
        help="instead of the steps: conversion per period of step 1",
    )
    add_engine(funnel)
    add_json(funnel)


def _funnel(args: argparse.Namespace) -> None:
    spec = spec_from(
        steps=[FunnelStep.parse(step) for step in args.steps],
        within=parse_within(args.within),
        start=args.start,
        end=args.end,
        order=args.order,
        exclusions=[Exclusion.parse(text) for text in args.exclude],
        breakdown=args.breakdown,
        top=args.top,
        audience=args.audience,
        as_of=args.as_of,
    )
    with open_workspace(args) as ws, open_runner(args) as runner:
        if args.over_time:
            emit(_printable(ws.funnels.over_time(spec, args.over_time)), args.json)
            return
        result = ws.funnels.run(spec, runner=runner)
    emit(result.as_dict() if args.json else _printable(result.steps), args.json)


def _printable(frame: pd.DataFrame) -> pd.DataFrame:
    """NaN as null for JSON and as blanks for tables; ratios rounded for reading."""
    shown = frame.round({"conversion_from_first": 4, "conversion_from_previous": 4, "rate": 4})
    return shown.astype(object).where(shown.notna(), None)


# ---- goals --------------------------------------------------------------------------------------


def _register_goal(sub: argparse._SubParsersAction) -> None:
    goal = sub.add_parser("goal", help="define goals and report on them")
    actions = goal.add_subparsers(dest="goal_command", required=True, metavar="ACTION")
    define = command(actions, "define", _goal_define, help='store a goal: goal "Name": ...')
    define.add_argument("source")
    define.add_argument("--replace", action="store_true", help="redefine an existing goal")
    add_json(command(actions, "list", _goal_list, help="goals with their completion rate"))
    target = command(actions, "target", _goal_target, help="set or clear a goal's target rate")
    target.add_argument("name")
    target.add_argument("rate", type=_rate, help="a completion rate: 25%%, or 0.25; 'none' clears")
    report = command(actions, "report", _goal_report, help="completions over time")
    report.add_argument("name")
    report.add_argument("--bucket", choices=("day", "week", "month"), default="day")
    report.add_argument("--from", dest="start", type=day_or_moment)
    report.add_argument("--to", dest="end", type=day_or_moment)
    report.add_argument("--segment", help="only profiles in this segment expression or name")
    report.add_argument("--as-of", type=moment)
    add_engine(report)
    add_json(report)


def _goal_define(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        goal = ws.goals.define(args.source, replace=args.replace)
    print(f"goal {goal.name!r} defined")


def _rate(text: str) -> float | None:
    """`25%`, `0.25` or `none` (no target); the engine checks the range."""
    if text.strip().lower() == "none":
        return None
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate like 25% or 0.25") from None


def _goal_target(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.goals.set_target(args.name, args.rate)
    shown = "no target" if args.rate is None else f"target {args.rate:.1%}"
    print(f"goal {args.name!r}: {shown}")


def _goal_list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(ws.goals.list(), args.json)


def _goal_report(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws, open_runner(args) as runner:
        report = ws.goals.report(
            args.name,
            bucket=args.bucket,
            start=args.start,
            end=args.end,
            segment=args.segment,
            as_of=args.as_of,
            runner=runner,
        )
    if args.json:
        emit(report.as_dict(), True)
        return
    summary = {k: v for k, v in report.as_dict().items() if k != "series"}
    emit(summary, False)
    print()
    emit(report.series, False)


# ---- rules --------------------------------------------------------------------------------------


def _register_rule(sub: argparse._SubParsersAction) -> None:
    rule = sub.add_parser("rule", help="automation rules")
    actions = rule.add_subparsers(dest="rule_command", required=True, metavar="ACTION")
    add = command(actions, "add", _rule_add, help='add a rule: NAME "when ... then ..."')
    add.add_argument("name")
    add.add_argument("source")
    add.add_argument("--priority", type=int, default=100, help="lower runs first (default 100)")
    add.add_argument("--disabled", action="store_true", help="store it switched off")
    add_json(command(actions, "list", _rule_list, help="every rule"))
    for name, handler in (("enable", _rule_enable), ("disable", _rule_disable)):
        command(actions, name, handler, help=f"{name} a rule").add_argument("name")
    command(actions, "delete", _rule_delete, help="delete a rule (its log stays)").add_argument(
        "name"
    )
    dry = command(actions, "dry-run", _rule_dry_run, help="what a rule would have done")
    dry.add_argument("name", help="a rule's name, or a rule's source text")
    dry.add_argument("--from", dest="start", type=moment, required=True)
    dry.add_argument("--to", dest="end", type=moment, required=True)
    add_json(dry)
    log = command(actions, "log", _rule_log, help="recent firings")
    log.add_argument("name", nargs="?")
    log.add_argument("--limit", type=int, default=50)
    add_json(log)
    schedules = command(actions, "run-schedules", _run_schedules, help="fire due `every` rules")
    schedules.add_argument("--as-of", type=moment)
    add_json(schedules)


def _rule_add(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.rules.add(args.name, args.source, priority=args.priority, enabled=not args.disabled)
    state = "disabled" if args.disabled else "enabled"
    print(f"rule {args.name!r} added ({state}, priority {args.priority})")


def _rule_list(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(_nullable(ws.rules.list()), args.json)


def _rule_enable(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.rules.enable(args.name)
    print(f"rule {args.name!r} enabled")


def _rule_disable(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.rules.disable(args.name)
    print(f"rule {args.name!r} disabled")


def _rule_delete(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        ws.rules.delete(args.name)
    print(f"rule {args.name!r} deleted")


def _rule_dry_run(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(_nullable(ws.rules.dry_run(args.name, args.start, args.end)), args.json)


def _rule_log(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        emit(_nullable(ws.rules.log(args.name, limit=args.limit)), args.json)


def _run_schedules(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        fired: dict[str, Any] = ws.rules.run_schedules(args.as_of)
    emit(fired or {"fired": 0}, args.json)


def _deliver(args: argparse.Namespace) -> None:
    with open_workspace(args) as ws:
        stats = ws.rules.deliver_webhooks()
    emit(stats.as_dict(), args.json)


def _nullable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)
