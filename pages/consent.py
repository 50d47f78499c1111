"""Consent: who may be contacted on which channel, how that changed, and any violations."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.ui import views
from engine.catalog.vocab import CHANNELS


def _coverage(audit: views.ConsentAudit) -> None:
    if audit.coverage.empty:
        ui.empty_state("No consent recorded yet", "Consent arrives with events, imports or rules.")
        return
    fig = ui.charts.bars(
        audit.coverage, "channel", "profiles", "Status per channel", color="status"
    )
    ui.charts.show(fig, key="coverage")


def _changes(audit: views.ConsentAudit) -> None:
    frame = audit.changes
    if frame.empty:
        st.caption("No consent changes yet.")
        return
    x = frame.columns[0]
    y = "changes" if "changes" in frame else frame.columns[-1]
    color = "status" if "status" in frame else None
    ui.charts.show(ui.charts.lines(frame, x, y, "Changes over time", color=color), key="changes")


def _violations(audit: views.ConsentAudit) -> None:
    st.markdown("**Violations**: messages sent on a channel without granted consent at the time.")
    if audit.violations.empty:
        st.success("No violations found.", icon=":material/verified:")
    else:
        st.error(f"{ui.fmt.number(len(audit.violations))} messages were sent without consent.")
        st.dataframe(
            ui.with_names(audit.violations),
            hide_index=True,
            width="stretch",
            column_config=ui.person_columns(),
        )


def _log() -> None:
    st.markdown("**Consent log**")
    cols = st.columns([2, 1, 1])
    search = cols[0].text_input("Search", placeholder="source, actor or status", key="cl_search")
    channel = cols[1].selectbox("Channel", ["Any", *CHANNELS], key="cl_channel")
    profile = cols[2].number_input("Profile id", min_value=1, value=None, step=1, key="cl_pid")
    log = ui.attempt(
        ui.workspace().consent.history,
        profile_id=None if profile is None else int(profile),
        channel=None if channel == "Any" else channel,
        search=search.strip() or None,
        limit=500,
    )
    if log is not None:
        st.dataframe(log, hide_index=True, width="stretch")


ui.header("Consent", "An audit of permission to contact people, per channel.")
bucket = st.segmented_control("Per", ["day", "week", "month"], default="day", key="consent_bucket")
report = ui.attempt(ui.cached, views.consent_audit, bucket or "day")
if report is not None:
    left, right = st.columns(2)
    with left:
        _coverage(report)
    with right:
        _changes(report)
    _violations(report)
_log()
