"""Retention: of the people who started in a period, what share came back in each later one."""

from __future__ import annotations

import streamlit as st

from app import ui
from engine.analytics.retention import RetentionResult, RetentionSpec, spec_from

STARTS = ["did an event", "entered a segment"]


def _start() -> dict[str, str | None]:
    cols = st.columns([1, 2, 2])
    kind = cols[0].radio("People who…", STARTS, key="rt_kind")
    if kind == STARTS[0]:
        start = cols[1].text_input("Starting event", value="signup", key="rt_start")
        fields: dict[str, str | None] = {"start_event": start.strip() or None}
    else:
        segments = ui.attempt(ui.cached, "segments.list")
        names = [] if segments is None or segments.empty else segments["name"].tolist()
        fields = {"start_segment": cols[1].selectbox("Saved segment", names, key="rt_segment")}
    back = cols[2].text_input(
        "…and came back to", placeholder="the starting event", key="rt_return"
    )
    return {**fields, "return_event": back.strip() or None}


def _spec() -> RetentionSpec | None:
    fields = _start()
    cols = st.columns(4)
    interval = cols[0].selectbox("Per", ["day", "week", "month"], index=1, key="rt_per")
    count = cols[1].number_input("Periods", min_value=1, max_value=60, value=8, key="rt_periods")
    cohort = cols[2].selectbox(
        "Cohort",
        ["first_time", "recurring"],
        key="rt_cohort",
        help="first time: by each person's first start; recurring: every period someone starts in",
    )
    breakdown = cols[3].text_input("Breakdown (profile property)", key="rt_breakdown")
    return ui.attempt(
        spec_from,
        **fields,
        interval=interval,
        periods=int(count),
        cohort=cohort,
        breakdown=breakdown.strip() or None,
    )


def _show(result: RetentionResult) -> None:
    triangle = result.triangle()
    shares = [c for c in triangle.columns if str(c).startswith("period ")]
    table = triangle.assign(cohort=triangle["cohort"].dt.strftime("%Y-%m-%d"))
    ui.charts.heat_table(table, shares)
    st.caption("Blank: that period has not begun. The last period shown may still be running.")
    curve = result.curve
    color = "breakdown" if "breakdown" in curve else None
    fig = ui.charts.lines(curve, "k", "share", "Retention curve", color=color)
    fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(title=f"{result.spec.interval}s after the start")
    ui.charts.show(fig, key="retention_curve")


ui.header("Retention", "Cohorts by when people started, and the share who came back after.")
spec = _spec()
if spec is not None:
    with st.spinner("Counting…"):
        result = ui.attempt(ui.workspace().retention.run, spec)
    if result is not None and result.table.empty:
        ui.empty_state("Nobody started in this range", "Change the starting event or the period.")
    elif result is not None:
        _show(result)
