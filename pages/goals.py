"""Goals: what share of people reach a target, how fast, over time, and per segment."""

from __future__ import annotations

import streamlit as st

from app import ui
from engine.analytics.goals import Bucket

EXAMPLE = (
    'goal "Trial signup": start page_view where url contains "/pricing" target signup within 7 days'
)
BUCKETS: list[Bucket] = ["day", "week", "month"]


def _list() -> list[str]:
    goals = ui.attempt(ui.cached, "goals.list")
    if goals is None or goals.empty:
        ui.empty_state("No goals yet", "Define one below, e.g. " + EXAMPLE)
        return []
    shown = goals.copy()
    if "completion_rate" in shown:
        shown["completion_rate"] = shown["completion_rate"].map(ui.fmt.percent)
    st.dataframe(shown, hide_index=True, width="stretch")
    return goals["name"].tolist()


def _define() -> None:
    with st.form("define_goal"):
        source = st.text_area("Goal", placeholder=EXAMPLE, height=90, key="goal_source")
        if st.form_submit_button("Define goal", type="primary", key="goal_define"):
            goal = ui.attempt(ui.workspace().goals.define, source)
            if goal is not None:
                ui.invalidate()
                st.success(f"Goal {ui.literal(goal.name)} defined.")


def _report(names: list[str]) -> None:
    st.subheader("Report", anchor=False)
    cols = st.columns([2, 1, 2])
    name = cols[0].selectbox("Goal", names, key="goal_name")
    bucket = cols[1].selectbox("Per", BUCKETS, key="goal_bucket")
    segment = cols[2].text_input("Only people in (segment expression)", key="goal_segment")
    report = ui.attempt(
        ui.workspace().goals.report, name, bucket=bucket, segment=segment.strip() or None
    )
    if report is None:
        return
    ui.kpis(
        [
            ui.Kpi("Started", report.starts),
            ui.Kpi("Completed", report.completions),
            ui.Kpi("Completion rate", ui.fmt.percent(report.rate)),
            ui.Kpi("Median time", ui.fmt.duration(report.median_time_to_complete)),
        ]
    )
    if report.series.empty:
        ui.empty_state("No completions in this period yet")
    else:
        ui.charts.show(ui.charts.goal_chart(report), key="goal_series")


def _compare(names: list[str]) -> None:
    with st.expander("Compare segments", icon=":material/compare_arrows:"):
        name = st.selectbox("Goal", names, key="cmp_goal")
        options = ui.attempt(ui.cached, "segments.list")
        segs = [] if options is None or options.empty else options["name"].tolist()
        chosen = st.multiselect("Segments", segs, key="cmp_segments")
        if chosen:
            table = ui.attempt(ui.workspace().goals.compare, name, chosen)
            if table is not None:
                st.dataframe(table, hide_index=True, width="stretch")
                ui.charts.show(
                    ui.charts.bars(table, table.columns[0], "rate", "Completion rate by segment"),
                    key="cmp",
                )


ui.header("Goals", "Name an outcome; Kith tracks how many reach it and how quickly.")
goal_names = _list()
_define()
if goal_names:
    _report(goal_names)
    _compare(goal_names)
