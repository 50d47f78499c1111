"""Small read/write views the dashboard screens need that combine services, so each page still
calls one engine function. Pure orchestration over the services, acting for the logged-in user
(who the services record as the actor): no SQL here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

import dsl
from engine.catalog.vocab import LIFECYCLE_STAGES, SYSTEM_PROPERTIES
from kith_errors import NotFound, ValidationError

if TYPE_CHECKING:
    from engine.access.acting import ActingWorkspace
    from engine.analytics.overview import OverviewReport, Violations
    from engine.models import Profile
    from engine.profiles.service import ProfileFilter


# ---- settings ----------------------------------------------------------------------------------


def identity_keys(ws: ActingWorkspace) -> pd.DataFrame:
    """Identity types in priority order with their per-profile limit (rank 1 = highest)."""
    limits = ws.settings.identity_limits
    order = ws.settings.identity_priority
    return pd.DataFrame(
        {"rank": range(1, len(order) + 1), "type": order, "limit": [limits[t] for t in order]}
    )


def save_identity_keys(ws: ActingWorkspace, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store priority (by ascending rank) and limits from edited `identity_keys` rows."""
    ranked = sorted(rows, key=lambda row: _rank(row))
    ranks = [_rank(row) for row in ranked]
    if len(set(ranks)) != len(ranks):
        raise ValidationError("each identity type needs its own rank; two share the same number")
    ws.settings.set_identity_priority([str(row["type"]) for row in ranked])
    ws.settings.set_identity_limits({str(row["type"]): _limit(row) for row in ranked})


def save_clock(
    ws: ActingWorkspace, refresh_seconds: int, backoff_seconds: int, attempts: int
) -> None:
    """The server's clock settings: the time-based refresh interval and webhook retries."""
    ws.settings.set_time_refresh_seconds(refresh_seconds)
    ws.settings.set_webhook_backoff_seconds(backoff_seconds)
    ws.settings.set_webhook_max_attempts(attempts)


def _rank(row: Mapping[str, Any]) -> int:
    value = row.get("rank")
    if value is None or pd.isna(value):
        raise ValidationError(f"the identity type {row.get('type')!r} needs a rank")
    return int(value)


def _limit(row: Mapping[str, Any]) -> int:
    value = row.get("limit")
    if value is None or pd.isna(value):
        raise ValidationError(f"the identity type {row.get('type')!r} needs a limit")
    return int(value)


# ---- people --------------------------------------------------------------------------------------

BULK_LIMIT = 50_000
BULK_ACTIONS = ("add label", "remove label", "add to list", "remove from list")


@dataclass(frozen=True)
class FilterOptions:
    """The choices the People filters offer, read from what the workspace holds."""

    labels: list[str]
    segments: list[str]
    lists: list[str]
    lifecycles: list[str] = field(default_factory=lambda: list(LIFECYCLE_STAGES))


@dataclass(frozen=True)
class BulkPreview:
    action: str
    value: str
    count: int
    sample: pd.DataFrame  # a few of the people it would touch

    @property
    def sentence(self) -> str:
        target = "label" if "label" in self.action else "list"
        verb = self.action.split(" ")[0]
        direction = "to" if verb == "add" else "from"
        noun = "person" if self.count == 1 else "people"
        return f"{verb.title()} {target} “{self.value}” {direction} {self.count:,} {noun}"


def filter_options(ws: ActingWorkspace) -> FilterOptions:
    labels = ws.labels.all()
    segments = ws.segments.list()
    static = segments[segments["kind"] == "static"] if not segments.empty else segments
    return FilterOptions(
        labels=sorted(labels["label"].tolist()) if not labels.empty else [],
        segments=sorted(segments["name"].tolist()) if not segments.empty else [],
        lists=sorted(static["name"].tolist()) if not static.empty else [],
        lifecycles=ws.settings.lifecycle_stages,
    )


def bulk_preview(
    ws: ActingWorkspace, filters: ProfileFilter, action: str, value: str
) -> BulkPreview:
    """What a bulk action would do to everyone matching `filters`, without doing it."""
    _check_bulk(action, value)
    page = ws.profiles.list(filters, limit=5)
    if page.total > BULK_LIMIT:
        raise ValidationError(
            f"{page.total:,} people match; bulk actions work on at most {BULK_LIMIT:,} at a time "
            "— narrow the filters first"
        )
    return BulkPreview(action, value.strip(), page.total, page.rows)


def bulk_apply(ws: ActingWorkspace, filters: ProfileFilter, action: str, value: str) -> int:
    """Apply a previewed bulk action to everyone matching `filters`; returns how many."""
    preview = bulk_preview(ws, filters, action, value)
    ids = ws.profiles.list(filters, limit=max(preview.count, 1)).rows["id"].tolist()
    if action == "add label":
        ws.labels.add(ids, preview.value)
    elif action == "remove label":
        ws.labels.remove(ids, preview.value)
    elif action == "add to list":
        ws.segments.add_members(preview.value, ids)
    else:
        ws.segments.remove_members(preview.value, ids)
    return len(ids)


def _check_bulk(action: str, value: str) -> None:
    if action not in BULK_ACTIONS:
        raise ValidationError(f"unknown bulk action {action!r}; choose one of {BULK_ACTIONS}")
    if not value.strip():
        raise ValidationError(f"say which {action.split()[-1]} to use")


# ---- one profile -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileDetail:
    """Everything the Profile screen shows about one person."""

    profile: Profile
    identities: pd.DataFrame
    timeline: pd.DataFrame
    sessions: pd.DataFrame
    segments: list[str]
    labels: list[str]
    consent: pd.DataFrame
    history: pd.DataFrame
    merges: pd.DataFrame
    editable: pd.DataFrame  # field, type, value: the properties a person may edit


def profile_detail(
    ws: ActingWorkspace, profile_id: int, timeline_limit: int = 200
) -> ProfileDetail:
    profile = ws.profiles.get(profile_id)
    return ProfileDetail(
        profile=profile,
        identities=ws.profiles.identities(profile_id),
        timeline=ws.profiles.timeline(profile_id, limit=timeline_limit),
        sessions=ws.profiles.sessions(profile_id),
        segments=ws.segments.memberships(profile_id),
        labels=ws.labels.of(profile_id),
        consent=ws.consent.of(profile_id),
        history=ws.profiles.field_history(profile_id),
        merges=ws.merges.linked(profile_id),
        editable=_editable(ws, profile),
    )


def _editable(ws: ActingWorkspace, profile: Profile) -> pd.DataFrame:
    """Standard and custom properties with the profile's current values (as text)."""
    catalog = ws.catalog.properties()
    names = [n for n in catalog["name"] if n not in SYSTEM_PROPERTIES]
    types = dict(zip(catalog["name"], catalog["type"], strict=True))
    data = profile.model_dump()
    values = [data.get(n, profile.properties.get(n)) for n in names]
    text = ["" if v is None else str(v) for v in values]
    return pd.DataFrame({"field": names, "type": [types[n] for n in names], "value": text})


def profile_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, Any]:
    """The fields an edit of `ProfileDetail.editable` changed; empty text clears a field."""
    old = dict(zip(before["field"], before["value"], strict=True))
    new = dict(zip(after["field"], after["value"], strict=True))
    return {k: (v if str(v).strip() else None) for k, v in new.items() if v != old.get(k)}


def find_profiles(ws: ActingWorkspace, text: str, limit: int = 20) -> pd.DataFrame:
    """Profiles whose name, email, phone or identity contains `text` (empty text: none)."""
    return ws.profiles.search(text, limit=limit) if text.strip() else pd.DataFrame()


# ---- segments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentDraft:
    """A segment expression being typed: its size now, out of how many people, and a few of
    its members."""

    text: str
    count: int
    population: int
    members: pd.DataFrame

    @property
    def share(self) -> float:
        return self.count / self.population if self.population else 0.0


@dataclass(frozen=True)
class SegmentHints:
    """Names the editor suggests while typing."""

    properties: pd.DataFrame  # name, type
    event_types: pd.DataFrame  # event, properties
    segments: list[str]
    labels: list[str]


@dataclass(frozen=True)
class SegmentSummary:
    info: dict[str, Any]
    history: pd.DataFrame  # measured_at, size
    members: pd.DataFrame
    versions: pd.DataFrame  # earlier definitions, newest first


def segment_draft(ws: ActingWorkspace, text: str, sample: int = 20) -> SegmentDraft:
    """Check and count an expression (a DslError with position and suggestion if it is wrong)."""
    if not text.strip():
        raise ValidationError("type a segment expression, for example: did purchase")
    ws.segments.check(text)
    count, population = ws.segments.count(text), ws.segments.population()
    return SegmentDraft(text, count, population, ws.segments.members(text, limit=sample))


def segment_hints(ws: ActingWorkspace) -> SegmentHints:
    schema = ws.catalog.dsl_schema()
    props = pd.DataFrame(sorted(schema.properties.items()), columns=["name", "type"])
    events = pd.DataFrame(
        [(name, ", ".join(sorted(fields))) for name, fields in sorted(schema.event_types.items())],
        columns=["event", "properties"],
    )
    return SegmentHints(props, events, sorted(schema.segments), sorted(schema.labels))


def segment_summary(ws: ActingWorkspace, name: str, sample: int = 20) -> SegmentSummary:
    return SegmentSummary(
        info=ws.segments.get(name),
        history=ws.segments.history(name),
        members=ws.segments.members(name, limit=sample),
        versions=ws.segments.versions(name),
    )


def refresh_segments(
    ws: ActingWorkspace, names: Sequence[str], progress: Callable[[int, str], None]
) -> tuple[int, int]:
    """Re-evaluate each named segment for everyone, calling `progress(done, name)` before each
    one; returns how many people entered and exited in all."""
    entered = exited = 0
    for done, name in enumerate(names):
        progress(done, name)
        changes = ws.segments.refresh(name)
        entered, exited = entered + len(changes.entered), exited + len(changes.exited)
    return entered, exited


# ---- overview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewScreen:
    """The Overview's aggregates, the goals against their targets (as last measured: the
    server's clock measures them after the data changes), and how many messages went out
    without consent in the window."""

    report: OverviewReport
    goals: pd.DataFrame  # name, rate, target, progress (NaN without a target)
    goals_as_of: dt.datetime | None  # the goals' window is the same length, ending then
    violations: Violations  # counted over the same length of window, with its own as_of


def overview_screen(ws: ActingWorkspace, days: int) -> OverviewScreen:
    report = ws.overview.report(days)
    rates = ws.goals.rates(days)
    goals = rates.table[["name", "rate", "target", "progress"]]
    return OverviewScreen(report, goals, rates.as_of, ws.overview.violations(days))


# ---- rules ---------------------------------------------------------------------------------------


def check_rule(ws: ActingWorkspace, source: str) -> str:
    """Parse and check a rule as it is typed; returns its canonical form (DslError if wrong)."""
    if not source.strip():
        raise ValidationError('type a rule, for example: when purchase then add label "buyer"')
    rule = dsl.parse_rule(source)
    dsl.check_rule(rule, ws.catalog.dsl_schema(), source)
    return dsl.format_rule(rule)


@dataclass(frozen=True)
class DryRun:
    """What a rule would have done: a sentence, and who it would have fired for, when."""

    sentence: str
    firings: pd.DataFrame  # profile_id, event (the triggering event, if any), ts


def rule_dry_run(ws: ActingWorkspace, rule: str, start: Any, end: Any) -> DryRun:
    """A rule's dry run (a saved rule's name or a rule's text) told in words."""
    found = ws.rules.dry_run(rule, start, end)
    trigger = dsl.format_trigger(ws.rules.parse(_rule_text(ws, rule)).trigger)
    people = found["profile_id"].nunique()
    if found.empty:
        return DryRun(f"It would not have fired ({trigger}).", found)
    times = "once" if len(found) == 1 else f"{len(found):,} times"
    who = "1 person" if people == 1 else f"{people:,} people"
    actions = found["actions"].iloc[0]
    sentence = f"It would have fired {times} for {who} ({trigger}), each time: {actions}."
    firings = found.drop(columns=["actions"]).rename(columns={"event_id": "event"})
    return DryRun(sentence, firings)


def _rule_text(ws: ActingWorkspace, rule: str) -> str:
    """A saved rule's text, or `rule` itself when no rule has that name."""
    try:
        return ws.rules.get(rule).source
    except NotFound:
        return rule


# ---- consent -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentAudit:
    coverage: pd.DataFrame  # channel, status, profiles (incl. unknown)
    changes: pd.DataFrame  # changes per bucket, channel and status
    violations: pd.DataFrame  # messages sent without granted consent


def consent_audit(ws: ActingWorkspace, bucket: str = "day") -> ConsentAudit:
    return ConsentAudit(
        coverage=ws.consent.coverage(),
        changes=ws.consent.changes_over_time(bucket=bucket),
        violations=ws.consent.violations(),
    )


def save_segment(
    ws: ActingWorkspace,
    name: str,
    kind: str,
    *,
    expression: str | None = None,
    op: str | None = None,
    of: Sequence[str] = (),
    description: str | None = None,
    replace: bool = False,
) -> dict[str, Any]:
    """Save what the editor holds: a dynamic segment keeps the expression; a static list is
    filled with the expression's members as of now; a compound combines saved segments. A
    taken name is refused unless `replace` (the replaced definition is kept as a version)."""
    if kind == "static":
        ws.segments.save(name, kind="static", description=description, replace=replace)
        if expression:
            ws.segments.add_results(name, expression)
        return ws.segments.get(name)
    if kind == "compound":
        return ws.segments.save(
            name, kind=kind, op=op, of=list(of), description=description, replace=replace
        )
    return ws.segments.save(
        name, kind=kind, expression=expression, description=description, replace=replace
    )


# ---- rules: the delivery queue and the inbox ---------------------------------------------------


@dataclass(frozen=True)
class DeliveryQueue:
    counts: dict[str, int]  # pending, delivered, failed
    rows: pd.DataFrame  # the deliveries of the chosen status, oldest first


def delivery_queue(ws: ActingWorkspace, status: str | None) -> DeliveryQueue:
    """The webhook outbox: how many deliveries per status, and those of `status` (None: all)."""
    return DeliveryQueue(ws.rules.webhook_counts(), ws.rules.webhooks(status))


@dataclass(frozen=True)
class Inbox:
    unread: int
    notifications: pd.DataFrame


def inbox(ws: ActingWorkspace, *, unread_only: bool, limit: int = 200) -> Inbox:
    """Rule notifications, newest first, with how many are unread."""
    return Inbox(ws.rules.unread(), ws.rules.notifications(limit=limit, unread=unread_only))
