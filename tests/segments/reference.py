"""An independent, pure-Python evaluator of segment expressions over an in-memory dataset.

It reads dsl.md's semantics directly (no SQL), so the differential test can pit the compiled
SQL against it: same expression, same data, same `as_of` -> the same profile ids."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dsl import ast
from engine.clock import to_utc
from engine.compiler import shift

_NINE_PLACES = decimal.Decimal("1e-9")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "before": operator.lt,
    "after": operator.ge,
}


@dataclass
class Dataset:
    """Rows as plain dicts, the same shape the fixture loader writes to the tables."""

    profiles: dict[int, dict[str, Any]]
    events: list[dict[str, Any]] = field(default_factory=list)
    identities: list[dict[str, Any]] = field(default_factory=list)
    labels: list[tuple[int, str]] = field(default_factory=list)
    consent_log: list[dict[str, Any]] = field(default_factory=list)
    event_types: dict[str, dict[str, str]] = field(default_factory=dict)
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> definition
    list_members: dict[str, set[int]] = field(default_factory=dict)


class Reference:
    def __init__(self, data: Dataset, as_of: dt.datetime) -> None:
        self.data = data
        self.as_of = as_of

    def members(self, expr: Any) -> set[int]:
        return {pid for pid in self.data.profiles if self.holds(expr, pid)}

    def holds(self, node: Any, pid: int) -> bool:
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None:
            raise TypeError(f"the reference evaluator does not know {type(node).__name__}")
        return bool(method(node, pid))

    # ---- boolean -----------------------------------------------------------------------------

    def _and(self, node: ast.And, pid: int) -> bool:
        return all(self.holds(item, pid) for item in node.items)

    def _or(self, node: ast.Or, pid: int) -> bool:
        return any(self.holds(item, pid) for item in node.items)

    def _not(self, node: ast.Not, pid: int) -> bool:
        return not self.holds(node.item, pid)

    # ---- profile properties ------------------------------------------------------------------

    def profile_value(self, path: ast.Path, pid: int, sample: Any) -> Any:
        row = self.data.profiles[pid]
        if path.dotted in row:
            return row[path.dotted]
        return json_value(row.get(path.parts[0]), path.parts[1:], kind_of(sample))

    def _compare(self, node: ast.Compare, pid: int, event: dict | None = None) -> bool:
        value, field_kind = self.read(node.field, pid, node.value.value, event)
        if value is None:
            return False
        return _OPS[node.op](value, fit(node.value.value, field_kind, node.field))

    def _inlist(self, node: ast.InList, pid: int, event: dict | None = None) -> bool:
        items = node.values.value
        value, kind = self.read(node.field, pid, items, event)
        if value is None:
            return False
        found = value in [fit(item, kind, node.field) for item in items]
        return found != node.negated

    def _between(self, node: ast.Between, pid: int, event: dict | None = None) -> bool:
        value, kind = self.read(node.field, pid, node.low.value, event)
        low, high = fit(node.low.value, kind, node.field), fit(node.high.value, kind, node.field)
        return value is not None and low <= value <= high

    def _isset(self, node: ast.IsSet, pid: int, event: dict | None = None) -> bool:
        value, _ = self.read(node.field, pid, None, event)
        return (value is not None) != node.negated

    def _stringmatch(self, node: ast.StringMatch, pid: int, event: dict | None = None) -> bool:
        value, _ = self.read(node.field, pid, "", event)
        if value is None:
            return False
        text = fit(node.value.value, "string", node.field)
        if node.op == "matches":
            flags = re.IGNORECASE if node.field.dotted == "email" and event is None else 0
            return re.search(node.value.value, value, flags) is not None
        checks = {"contains": str.__contains__, "starts_with": str.startswith}
        return checks.get(node.op, str.endswith)(value, text)

    def _relativedate(self, node: ast.RelativeDate, pid: int, event: dict | None = None) -> bool:
        value, _ = self.read(node.field, pid, dt.datetime.min, event)
        if value is None:
            return False
        edge = shift(self.as_of, -node.duration.amount, node.duration.unit)
        if node.op == "within_last":
            return edge < value <= self.as_of
        return value <= edge

    def read(self, path: ast.Path, pid: int, sample: Any, event: dict | None) -> tuple[Any, str]:
        if event is None:
            value = self.profile_value(path, pid, sample)
            return value, kind_of(sample) if value is None else kind_of(value)
        if path.parts in (("channel",), ("source",)):
            return event.get(path.parts[0]), "string"
        kind = self.event_kind(event["type"], path.dotted) or kind_of(sample)
        return json_value(event.get("properties"), path.parts, kind), kind

    def event_kind(self, event_type: str, name: str) -> str | None:
        return self.data.event_types.get(event_type, {}).get(name)

    # ---- events ------------------------------------------------------------------------------

    def matching(self, match: ast.EventMatch, window: Any, pid: int) -> Iterator[dict]:
        for event in self.data.events:
            if event["profile_id"] != pid or event["ts"] > self.as_of:
                continue
            if match.event is not None and event["type"] != match.event:
                continue
            if self.in_window(window, event["ts"]) and self.where(match, event, pid):
                yield event

    def where(self, match: ast.EventMatch, event: dict, pid: int) -> bool:
        return match.where is None or self.event_holds(match.where, event, pid)

    def event_holds(self, node: Any, event: dict, pid: int) -> bool:
        if isinstance(node, ast.And):
            return all(self.event_holds(i, event, pid) for i in node.items)
        if isinstance(node, ast.Or):
            return any(self.event_holds(i, event, pid) for i in node.items)
        if isinstance(node, ast.Not):
            return not self.event_holds(node.item, event, pid)
        method = getattr(self, "_" + type(node).__name__.lower())
        return bool(method(node, pid, event))

    def in_window(self, window: Any, ts: dt.datetime) -> bool:
        if isinstance(window, ast.LastWindow):
            d = window.duration
            return ts > shift(self.as_of, -d.amount, d.unit)
        if isinstance(window, ast.AgoWindow):
            high = shift(self.as_of, -window.high, window.unit)
            return high < ts <= shift(self.as_of, -window.low, window.unit)
        if isinstance(window, ast.DateWindow):
            start = to_utc(window.start.value) if window.start else dt.datetime.min
            end = to_utc(window.end.value) if window.end else dt.datetime.max
            return start <= ts < end
        return True

    def _did(self, node: ast.Did, pid: int) -> bool:
        count = sum(1 for _ in self.matching(node.match, node.window, pid))
        return frequency_holds(node.frequency, count) != node.negated

    def _aggregate(self, node: ast.Aggregate, pid: int) -> bool:
        events = list(self.matching(node.match, node.window, pid))
        if node.prop is None:
            return _OPS[node.op](len(events), node.value.value)
        # sums and averages are exact decimals (9 places), like the compiled query's
        kind = "decimal" if node.func in ("sum", "avg") else "number"
        values = [json_value(e.get("properties"), node.prop.parts, kind) for e in events]
        numbers = [v for v in values if v is not None]
        if node.func == "count":
            return _OPS[node.op](len(numbers), node.value.value)
        if not numbers:
            return False
        total = {"sum": sum, "min": min, "max": max}.get(node.func)
        result = total(numbers) if total else float(sum(numbers)) / len(numbers)
        # a decimal meets a number literal as a double, as in DuckDB
        return _OPS[node.op](float(result), node.value.value)

    def _occurrence(self, node: ast.Occurrence, pid: int) -> bool:
        times = [e["ts"] for e in self.matching(node.match, None, pid)]
        if not times:
            return False
        moment = min(times) if node.which == "first" else max(times)
        if node.op in ("before", "after"):
            return _OPS[node.op](moment, to_utc(node.date.value))
        edge = shift(self.as_of, -node.duration.amount, node.duration.unit)
        return moment > edge if node.op == "within_last" else moment <= edge

    def _sequence(self, node: ast.Sequence, pid: int) -> bool:
        steps = [list(self.matching(node.steps[0], node.window, pid))]
        steps += [list(self.matching(s, None, pid)) for s in node.steps[1:]]
        return self.chain(node, steps, []) != node.negated

    def chain(self, node: ast.Sequence, steps: list[list[dict]], picked: list[dict]) -> bool:
        if len(picked) == len(steps):
            return True
        for event in steps[len(picked)]:
            if picked and (event["ts"] < picked[-1]["ts"] or event in picked):
                continue
            if (
                picked
                and node.within
                and event["ts"] > shift(picked[0]["ts"], node.within.amount, node.within.unit)
            ):
                continue
            if self.chain(node, steps, [*picked, event]):
                return True
        return False

    # ---- membership --------------------------------------------------------------------------

    def _insegment(self, node: ast.InSegment, pid: int) -> bool:
        saved = self.data.saved[node.name]
        if saved["kind"] == "static":
            return pid in self.data.list_members.get(node.name, set())
        if saved["kind"] == "dynamic":
            return self.holds(saved["expr"], pid)
        parts = [self.holds(ast.InSegment(n), pid) for n in saved["of"]]
        if saved["op"] == "union":
            return any(parts)
        if saved["op"] == "intersection":
            return all(parts)
        return parts[0] and not any(parts[1:])

    def _haslabel(self, node: ast.HasLabel, pid: int) -> bool:
        return (pid, node.label) in self.data.labels

    def _haschannel(self, node: ast.HasChannel, pid: int) -> bool:
        ids = self.data.identities
        if any(
            i["profile_id"] == pid and i["type"] == node.channel and i["created_at"] <= self.as_of
            for i in ids
        ):
            return True
        evs = self.data.events
        return any(
            e["profile_id"] == pid and e["channel"] == node.channel and e["ts"] <= self.as_of
            for e in evs
        )

    def _consentis(self, node: ast.ConsentIs, pid: int) -> bool:
        log = [
            r
            for r in self.data.consent_log
            if r["profile_id"] == pid
            and r["channel"] == node.channel
            and r.get("purpose", "marketing") == "marketing"
            and r["changed_at"] <= self.as_of
        ]
        if not log:
            return node.status == "unknown"
        latest = max(log, key=lambda r: (r["changed_at"], r["id"]))
        return latest["status"] == node.status


def frequency_holds(freq: ast.Frequency | None, count: int) -> bool:
    if freq is None:
        return count >= 1
    if freq.op == "at_least":
        return count >= freq.n
    if freq.op == "at_most":
        return count <= freq.n
    if freq.op == "exactly":
        return count == freq.n
    return freq.n <= count <= (freq.m if freq.m is not None else freq.n)


def kind_of(value: Any) -> str:
    if isinstance(value, tuple):
        return kind_of(value[0]) if value else "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    return "string"


def fit(value: Any, kind: str, path: ast.Path) -> Any:
    """A literal as the SQL compares it: dates as datetimes, email lower-cased."""
    if kind == "date" or isinstance(value, dt.date):
        return to_utc(value)
    if path.dotted == "email" and isinstance(value, str):
        return value.lower()
    return value


def json_value(doc: Any, parts: tuple[str, ...], kind: str) -> Any:
    """What `TRY_CAST(doc ->> '$.a.b' AS <kind>)` returns, in Python."""
    if isinstance(doc, str):
        doc = json.loads(doc)
    for part in parts:
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    if doc is None or isinstance(doc, dict | list):
        return None
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return cast(text, kind)


def cast(text: str, kind: str) -> Any:
    try:
        if kind == "number":
            return float(text)
        if kind == "decimal":
            exact = decimal.Decimal(text.strip())
            if not exact.is_finite():
                return None
            return exact.quantize(_NINE_PLACES, decimal.ROUND_HALF_UP)
        if kind == "boolean":
            return {"true": True, "false": False}[text.lower()]
        if kind == "date":
            return to_utc(text)
    except (ValueError, KeyError, decimal.InvalidOperation):
        return None
    return text
