"""Goals: what share of people reach a target, against the rate you aim for, over time and per
segment."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app import ui
from app.ui import completion, notice
from engine.analytics.goals import Bucket, GoalReport

EXAMPLE = (
    'goal "Trial signup": start page_view where url contains "/pricing" target signup within 7 days'
)
BUCKETS: list[Bucket] = ["day", "week", "month"]
EVERYONE, EXPRESSION = "Everyone", "People matching an expression…"


def _list() -> pd.DataFrame:
    goals = ui.attempt(ui.cached, "goals.list")
    if goals is None or goals.empty:
        ui.empty_state("No goals yet", "Define one below, e.g. " + EXAMPLE)
        return pd.DataFrame()
    target = pd.to_numeric(goals["target"], errors="coerce")
    shown = goals.assign(progress=(goals["completion_rate"] / target).clip(upper=1.0))
    columns = {
        "completion_rate": st.column_config.NumberColumn("Completion rate", format="percent"),
        "target": st.column_config.NumberColumn("Target", format="percent"),
        "progress": st.column_config.ProgressColumn(
            "Progress to target", format="percent", min_value=0.0, max_value=1.0
        ),
    }
    st.dataframe(shown, hide_index=True, width="stretch", column_config=columns)
    return goals


def _define() -> None:
    with st.form("define_goal"):
        source = st.text_area("Goal", placeholder=EXAMPLE, height=90, key="goal_source")
        if st.form_submit_button("Define goal", type="primary", key="goal_define"):
            goal = ui.attempt(ui.workspace().goals.define, source)
            if goal is not None:
                ui.invalidate()
                notice.after_rerun(f"Goal {ui.literal(goal.name)} defined.")


def _period() -> tuple[dt.date | None, dt.date | None]:
    picked = st.date_input("Between", value=[], key="goal_dates", help="by the start's day")
    start = picked[0] if len(picked) > 0 else None
    end = picked[1] + dt.timedelta(days=1) if len(picked) > 1 else None
    return start, end


def _audience(segments: list[str]) -> str | None:
    """A saved segment's name, an expression's text, or None for everyone."""
    choice = st.selectbox("Only people in", [EVERYONE, *segments, EXPRESSION], key="goal_in")
    if choice == EVERYONE:
        return None
    if choice != EXPRESSION:
        return choice
    text = st.text_input("Segment expression", key="goal_segment", placeholder='country = "ID"')
    schema = ui.attempt(ui.cached, "catalog.dsl_schema")
    if schema is not None:
        completion.suggestions(text, schema, "goal_segment")
    return text.strip() or None


def _report(goals: pd.DataFrame, segments: list[str]) -> None:
    st.subheader("Report", anchor=False)
    cols = st.columns([2, 1, 2])
    name = cols[0].selectbox("Goal", goals["name"].tolist(), key="goal_name")
    bucket = cols[1].selectbox("Per", BUCKETS, key="goal_bucket")
    with cols[2]:
        start, end = _period()
    audience = _audience(segments)
    report = completion.checked(
        "goal_segment",
        audience,
        ui.workspace().goals.report,
        name,
        bucket=bucket,
        start=start,
        end=end,
        segment=audience,
    )
    if report is None:
        return
    _kpis(report)
    if report.series.empty:
        ui.empty_state("Nobody started this goal in this period")
    else:
        ui.charts.show(ui.charts.goal_chart(report), key="goal_series")
        table = report.series.assign(rate=report.series["rate"].map(ui.fmt.percent))
        st.dataframe(table, hide_index=True, width="stretch")
    _target(name, report.target)
    _compare(name, segments, start, end, report.target)


def _kpis(report: GoalReport) -> None:
    against = None if report.target is None else report.rate - report.target
    cols = st.columns(5)
    cols[0].metric("Started", ui.fmt.number(report.starts), border=True)
    cols[1].metric("Completed", ui.fmt.number(report.completions), border=True)
    cols[2].metric(
        "Completion rate",
        ui.fmt.percent(report.rate),
        delta=None if against is None else f"{against * 100:+.1f} pts vs target",
        border=True,
    )
    cols[3].metric("Target", ui.fmt.percent(report.target), border=True)
    cols[4].metric("Median time", ui.fmt.duration(report.median_time_to_complete), border=True)
    if report.progress is not None:
        done = min(report.progress, 1.0)
        st.progress(done, text=f"{ui.fmt.percent(report.progress)} of the target reached")


def _target(name: str, current: float | None) -> None:
    with st.expander("Target", icon=":material/flag:"):
        cols = st.columns([2, 1, 1], vertical_alignment="bottom")
        value = cols[0].number_input(
            "Target completion rate (%)",
            min_value=0.1,
            max_value=100.0,
            value=None if current is None else round(current * 100, 1),
            step=1.0,
            key=f"goal_target_{name}",
            help="leave empty and save for no target",
        )
        save = cols[1].button("Save target", key="goal_target_save", type="primary")
        clear = current is not None and cols[2].button("Clear target", key="goal_target_clear")
        if not (save or clear):
            return
        rate = None if clear or value is None else value / 100
        if ui.succeeded(ui.workspace().goals.set_target, name, rate):
            ui.invalidate()
            shown = "no target" if rate is None else f"a target of {ui.fmt.percent(rate)}"
            notice.after_rerun(f"{ui.literal(name)} now has {shown}.")


def _compare(
    name: str,
    segments: list[str],
    start: dt.date | None,
    end: dt.date | None,
    target: float | None,
) -> None:
    st.subheader("Segments side by side", anchor=False)
    chosen = st.multiselect("Saved segments", segments, key="cmp_segments")
    if not chosen:
        st.caption("Pick saved segments to compare their completion rate with everyone's.")
        return
    table = ui.attempt(
        ui.workspace().goals.compare,
        name,
        chosen,
        saved=True,
        everyone=True,
        start=start,
        end=end,
    )
    if table is None:
        return
    table = table.assign(segment=table["segment"].fillna(EVERYONE))
    fig = ui.charts.rate_bars(table, "segment", "rate", "Completion rate by segment", target)
    ui.charts.show(fig, key="cmp")
    shown = table.assign(
        rate=table["rate"].map(ui.fmt.percent),
        median_time_to_complete=table["median_time_to_complete"].map(ui.fmt.duration),
    )
    st.dataframe(shown, hide_index=True, width="stretch")


ui.header("Goals", "Name an outcome; see how many reach it, how quickly, and against your target.")
notice.show_pending()
goals = _list()
_define()
if not goals.empty:
    saved = ui.attempt(ui.cached, "segments.list")
    _report(goals, [] if saved is None or saved.empty else saved["name"].tolist())
