"""Loading the demo into a workspace: catalog definitions first, then each block of events
through the bulk ingestion path, then the workspace objects a demo should show."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from engine.demo import extras
from engine.demo.commerce import CUSTOM_EVENT_TYPES
from engine.demo.generate import DemoBlock, blocks
from engine.demo.spec import DemoSpec
from engine.demo.wire import for_ingest
from kith_errors import IngestError

if TYPE_CHECKING:
    from engine.workspace import Workspace

LIVE_DAYS = 1  # the tail of the data that arrives as a separate, later batch
# (people done, people in total, events stored so far)
Progress = Callable[[int, int, int], None]

EVENT_TYPE_TEXT = {
    "cart_abandoned": "A cart left without checking out",
    "subscription_renewed": "A paid plan renewed for another month",
    "support_ticket_opened": "A support ticket opened on any channel",
    "csat_submitted": "A satisfaction score (1-5) after a ticket",
}


@dataclass
class DemoReport:
    """What `build` stored and how long it took."""

    spec: DemoSpec
    events: int = 0
    profiles_created: int = 0
    profiles_merged: int = 0
    sessions: int = 0
    consent_changes: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    seconds: float = 0.0


def register_event_types(ws: Workspace) -> None:
    for name, props in CUSTOM_EVENT_TYPES.items():
        ws.catalog.register_event_type(
            name, description=EVENT_TYPE_TEXT[name], properties=props, actor="demo"
        )


def define_properties(ws: Workspace) -> None:
    """The custom profile properties; defined after loading, which moves the values the
    identify traits stored as JSON into typed columns."""
    ws.catalog.define_property(
        "plan", "string", description="Subscription plan", enum=["free", "pro", "team"]
    )
    ws.catalog.define_property(
        "lifetime_value", "number", description="Total paid so far (USD equivalent)", min=0
    )


def ingest(ws: Workspace, spec: DemoSpec, report: DemoReport, progress: Progress | None) -> None:
    """Every block through the bulk ingestion path, then its consent history and VIPs."""
    done = 0
    for block in blocks(spec):
        _store_events(ws, spec, block, report)
        owners = extras.profile_ids(ws, block.people)
        report.consent_changes += extras.consent(ws, block, owners)
        report.labels["vip"] = report.labels.get("vip", 0) + extras.vip(ws, block, owners)
        done += len(block.people)
        if progress:
            progress(done, spec.profiles, report.events)


def _store_events(ws: Workspace, spec: DemoSpec, block: DemoBlock, report: DemoReport) -> None:
    """A block's history in one batch, then its last day as a second one, the way live traffic
    follows an import: people whose anonymous or WhatsApp-only profile was created in the
    history and who identify on the last day are merged by identity resolution."""
    live = block.events["timestamp"] >= pd.Timestamp(spec.end - dt.timedelta(days=LIVE_DAYS))
    for part in (block.events[~live], block.events[live]):
        if len(part):
            _store(ws, block, part, report)


def _store(ws: Workspace, block: DemoBlock, events: pd.DataFrame, report: DemoReport) -> None:
    """Events through `ws.ingest.table`; nothing may be rejected."""
    result = ws.ingest.table(for_ingest(events), source="import")
    if result.rejected:
        first = result.rejected[0]
        raise IngestError(
            f"demo block {block.index}: {len(result.rejected)} events rejected, "
            f"first at row {first.line}: {first.reason}"
        )
    report.events += result.accepted
    report.profiles_created += result.profiles_created
    report.profiles_merged += result.profiles_merged
    report.sessions += result.sessions_started - result.sessions_joined


def build(ws: Workspace, spec: DemoSpec, progress: Progress | None = None) -> DemoReport:
    """Fill an empty workspace with the demo described by `spec`."""
    began = time.perf_counter()
    report = DemoReport(spec)
    register_event_types(ws)
    ingest(ws, spec, report, progress)
    define_properties(ws)
    report.labels.update(extras.labels(ws))
    report.segments = extras.segments(ws, report.labels)
    report.goals, report.rules = extras.automation(ws)
    ws.db.checkpoint()
    report.seconds = time.perf_counter() - began
    return report
