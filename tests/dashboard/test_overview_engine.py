"""ws.overview.report: the Overview screen's aggregates on a small hand-made workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import Workspace
from kith_errors import ValidationError

AS_OF = dt.datetime(2026, 3, 31, 12, 0)


def _track(user: str, event: str, day: int, channel: str) -> dict[str, object]:
    ts = dt.datetime(2026, 3, day, 10, 0).isoformat() + "Z"
    return {
        "type": "track",
        "userId": user,
        "event": event,
        "timestamp": ts,
        "context": {"channel": channel, "traits": {"email": f"{user}@example.com"}},
    }


@pytest.fixture
def filled(ws: Workspace) -> Workspace:
    messages = [
        _track("ana", "signup", 29, "web"),
        _track("ana", "purchase", 30, "web"),
        _track("ben", "signup", 30, "whatsapp"),
        _track("cid", "signup", 1, "email"),  # outside a 7-day window
    ]
    report = ws.ingest.messages(messages, received_at=AS_OF)
    assert report.accepted == 4, report.rejected
    return ws


def test_empty_workspace_reports_empty(ws: Workspace) -> None:
    report = ws.overview.report(7, as_of=AS_OF)
    assert report.is_empty
    assert report.new_by_day.empty and report.top_segments.empty


def test_counts_within_the_window(filled: Workspace) -> None:
    report = filled.overview.report(7, as_of=AS_OF)
    assert report.totals["profiles"] == 3
    assert report.totals["active_profiles"] == 2
    assert report.totals["new_profiles"] == 2  # cid was first seen before the window
    by_type = dict(zip(report.events_by_type["type"], report.events_by_type["events"], strict=True))
    assert by_type["signup"] == 2 and by_type["purchase"] == 1
    assert report.recent["ts"].is_monotonic_decreasing
    assert report.recent["ts"].iloc[0] == dt.datetime(2026, 3, 30, 10, 0)


def test_active_profiles_per_day_and_channels(filled: Workspace) -> None:
    report = filled.overview.report(7, as_of=AS_OF)
    active = dict(
        zip(report.active_by_day["day"].dt.day, report.active_by_day["profiles"], strict=True)
    )
    assert active[30] == 2 and active[29] == 1
    channels = set(report.events_by_channel["channel"])
    assert {"web", "whatsapp"} <= channels and "email" not in channels


def test_a_window_out_of_range_is_refused(ws: Workspace) -> None:
    with pytest.raises(ValidationError, match="1 to 3650 days"):
        ws.overview.report(0)


def test_active_profiles_as_of_a_past_moment(filled: Workspace) -> None:
    # ana's last event (the 30th) lies after this as_of, but her signup on the 29th counts.
    report = filled.overview.report(7, as_of=dt.datetime(2026, 3, 29, 12, 0))
    assert report.totals["active_profiles"] == 1
    assert report.totals["events"] == 1 + report.totals["sessions"]


def test_recent_activity_breaks_ties_by_the_newest_event(ws: Workspace) -> None:
    """Events of the same moment are listed newest-stored first, so the list (and which of them
    make its limit) is the same on every run."""
    people = ("p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10")
    people += ("p11", "p12", "p13", "p14", "p15", "p16", "p17", "p18", "p19", "p20")
    ws.ingest.messages([_track(user, "signup", 30, "web") for user in people])
    recent = ws.overview.report(as_of=AS_OF).recent
    stored = ws.db.rows("SELECT profile_id FROM events ORDER BY id DESC LIMIT 15")
    assert recent["profile_id"].tolist() == [row[0] for row in stored]
