"""Overview: how many people, how active, on which channels, with which consent."""

from __future__ import annotations

import streamlit as st

from app import ui
from engine.analytics.overview import OverviewReport

WINDOWS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90, "Last year": 365}


def _totals(report: OverviewReport) -> None:
    t = report.totals
    ui.kpis(
        [
            ui.Kpi("Profiles", t["profiles"], "Everyone Kith knows, merged across identities"),
            ui.Kpi("New profiles", t["new_profiles"], "First seen in the window"),
            ui.Kpi("Active profiles", t["active_profiles"], "With at least one event"),
            ui.Kpi("Events", t["events"], "Events in the window"),
            ui.Kpi("Sessions", t["sessions"], "Sessions started in the window"),
        ]
    )


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
report = ui.attempt(ui.cached, "overview.report", WINDOWS[window or "Last 30 days"])
if report is not None and report.is_empty:
    ui.empty_state(
        "This workspace is empty",
        "Load demo data with `kith demo --profiles 5000`, import profiles on the "
        "Import / Export screen, or send events to the HTTP API.",
    )
elif report is not None:
    _totals(report)
    _growth(report)
    _channels(report)
    _consent_and_segments(report)
    _recent(report)
