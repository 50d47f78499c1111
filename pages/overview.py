"""Overview: how many people, how active (against the period before), on which channels, with
which consent; goals against their targets and consent violations at a glance."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app import ui
from app.ui import views
from engine.analytics.overview import OverviewReport

WINDOWS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90, "Last year": 365}


KPIS = {
    "profiles": ("Profiles", "Everyone Kith knows, merged across identities"),
    "new_profiles": ("New profiles", "First seen in the window"),
    "active_profiles": ("Active profiles", "With at least one event"),
    "events": ("Events", "Events in the window"),
    "sessions": ("Sessions", "Sessions started in the window"),
}


def _totals(report: OverviewReport) -> None:
    ui.kpis(
        [
            ui.Kpi(label, report.totals[key], about, _change(report, key))
            for key, (label, about) in KPIS.items()
        ]
    )


def _change(report: OverviewReport, key: str) -> str:
    """The change since the window before, in people's words."""
    moved, before = report.change(key), report.previous.get(key, 0)
    share = f" ({moved / before:+.0%})" if before else ""
    return f"{moved:+,}{share} vs previous period"


def _measured_note(as_of: dt.datetime, days: int) -> str:
    """Over which window a measured figure was counted, and whether the data changed since."""
    changed = ui.workspace().changed_at
    note = f"Over the {days} days up to {ui.fmt.when(as_of)} UTC"
    if changed is not None and changed > as_of:
        note += " · new data since then: the server measures again within a minute"
    return note


def _at_a_glance(screen: views.OverviewScreen, days: int) -> None:
    left, right = st.columns([3, 1])
    with left:
        st.markdown("**Goals in this window**")
        if screen.goals_as_of is not None:
            st.caption(_measured_note(screen.goals_as_of, days))
        if screen.goals.empty:
            ui.empty_state("No goals yet", "Define one on the Goals screen.")
        else:
            columns = {
                "rate": st.column_config.NumberColumn("Completion rate", format="percent"),
                "target": st.column_config.NumberColumn("Target", format="percent"),
                "progress": st.column_config.ProgressColumn(
                    "Progress to target", format="percent", min_value=0.0, max_value=1.0
                ),
            }
            shown = screen.goals.assign(progress=screen.goals["progress"].clip(upper=1.0))
            st.dataframe(shown, hide_index=True, width="stretch", column_config=columns)
    with right:
        st.metric(
            "Consent violations",
            ui.fmt.number(screen.violations.count),
            help="messages sent in the window to people whose consent on that channel was "
            "not granted at the time (details on the Consent screen)",
            border=True,
        )
        st.caption(_measured_note(screen.violations.as_of, days))
        if screen.violations.count:
            st.caption("Who and when: the Consent screen's audit.")


def _growth(report: OverviewReport) -> None:
    left, right = st.columns(2)
    with left:
        if report.new_by_day.empty:
            ui.empty_state("No new profiles in this window")
        else:
            fig = ui.charts.bars(report.new_by_day, "day", "profiles", "New profiles per day")
            ui.charts.show(fig, key="new")
    with right:
        if report.active_by_day.empty:
            ui.empty_state("No activity in this window")
        else:
            frame = report.active_by_day
            fig = ui.charts.lines(frame, "day", "profiles", "Active profiles per day (approx.)")
            ui.charts.show(fig, key="active")


def _channels(report: OverviewReport) -> None:
    left, right = st.columns(2)
    with left:
        if not report.events_by_channel.empty:
            frame = report.events_by_channel
            ui.charts.show(ui.charts.donut(frame, "channel", "events", "Events by channel"))
    with right:
        if not report.events_by_type.empty:
            fig = ui.charts.bars(
                report.events_by_type, "type", "events", "Top event types", horizontal=True
            )
            ui.charts.show(fig, key="types")


def _consent_and_segments(report: OverviewReport) -> None:
    left, right = st.columns(2)
    with left:
        if report.consent.empty:
            ui.empty_state("No consent recorded yet", "Consent arrives with events or imports.")
        else:
            fig = ui.charts.bars(
                report.consent, "channel", "profiles", "Consent by channel", color="status"
            )
            ui.charts.show(fig, key="consent")
    with right:
        st.markdown("**Biggest segments**")
        if report.top_segments.empty:
            ui.empty_state("No segments yet", "Create one on the Segments screen.")
        else:
            st.dataframe(
                report.top_segments[["name", "kind", "size"]], hide_index=True, width="stretch"
            )


def _recent(report: OverviewReport) -> None:
    st.markdown("**Recent activity**")
    if report.recent.empty:
        ui.empty_state("No events yet")
        return
    st.dataframe(report.recent, hide_index=True, width="stretch")


ui.header("Overview", "Your audience at a glance: growth, activity, channels and consent.")
window = st.segmented_control("Window", list(WINDOWS), default="Last 30 days", key="window")
window_days = WINDOWS[window or "Last 30 days"]
screen = ui.attempt(ui.cached, views.overview_screen, window_days)
if screen is not None and screen.report.is_empty:
    ui.empty_state(
        "This workspace is empty",
        "Load demo data with `kith demo --profiles 5000`, import profiles on the "
        "Import / Export screen, or send events to the HTTP API.",
    )
elif screen is not None:
    report = screen.report
    _totals(report)
    _at_a_glance(screen, window_days)
    _growth(report)
    _channels(report)
    _consent_and_segments(report)
    _recent(report)
