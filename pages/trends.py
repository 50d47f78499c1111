"""Trends: how often things happen per hour, day, week or month; several series on one chart."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app import ui
from engine.analytics.trends import TrendSpec, spec_from

MEASURES = ["count", "people", "sum", "avg", "median"]
MEASURE_HELP = (
    "count: events · people: unique people · sum: of a number property · avg / median: of "
    "each person's total of the property in the period"
)


def _series_table() -> pd.DataFrame:
    if "tr_series" not in st.session_state:
        st.session_state["tr_series"] = pd.DataFrame(
            {"measure": ["count", "people"], "event": ["page_view", "page_view"]}
        ).assign(where="", property="")
    return st.data_editor(
        st.session_state["tr_series"],
        num_rows="dynamic",
        width="stretch",
        column_config={
            "measure": st.column_config.SelectboxColumn(
                "Measure", options=MEASURES, required=True, help=MEASURE_HELP
            ),
            "event": st.column_config.TextColumn("Event type", required=True),
            "where": st.column_config.TextColumn("Only where… (optional)", help="amount > 100"),
            "property": st.column_config.TextColumn("Property (sum/avg/median)", help="amount"),
        },
        key="tr_series_editor",
    )


def _series(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Non-empty editor rows as series fields, blank cells left out."""
    rows = []
    for record in frame.to_dict("records"):
        row = {str(k): v for k, v in record.items() if isinstance(v, str) and v.strip()}
        if row.get("event"):
            rows.append({k: v.strip() for k, v in row.items()})
    return rows


def _spec() -> TrendSpec | None:
    series = _series(_series_table())
    cols = st.columns([1, 2, 2, 1])
    interval = cols[0].selectbox("Per", ["hour", "day", "week", "month"], index=1, key="tr_per")
    period = cols[1].date_input("Between", value=[], key="tr_dates", help="default: 30 days")
    breakdown = cols[2].text_input(
        "Breakdown", placeholder="country, or event.campaign", key="tr_breakdown"
    )
    top = cols[3].number_input("Top values", min_value=1, max_value=50, value=5, key="tr_top")
    audience = st.text_input("Only people in (segment expression)", key="tr_audience")
    compare = st.toggle("Compare with the previous period", key="tr_compare")
    if not series:
        st.info("Add a series: a measure and an event type.")
        return None
    return ui.attempt(
        spec_from,
        series=series,
        interval=interval,
        start=period[0] if len(period) > 0 else None,
        end=period[1] if len(period) > 1 else None,
        breakdown=breakdown.strip() or None,
        top=int(top),
        audience=audience.strip() or None,
        compare=compare,
    )


def _show(points: pd.DataFrame, interval: str) -> None:
    ui.charts.show(ui.charts.trend(points, f"Per {interval}"), key="trend_chart")
    if points["partial"].any():
        st.caption("The first or last period is partial: the range covers only part of it.")
    table = points.assign(period=points["period"].map(_day_or_hour))
    st.dataframe(table, hide_index=True, width="stretch")


def _day_or_hour(value: pd.Timestamp) -> str:
    moment: dt.datetime = value.to_pydatetime()
    return moment.strftime("%Y-%m-%d %H:%M" if moment.hour else "%Y-%m-%d")


ui.header("Trends", "Events, people and amounts over time — several series, one chart.")
spec = _spec()
if spec is not None:
    with st.spinner("Counting…"):
        result = ui.attempt(ui.workspace().trends.run, spec)
    if result is not None and not result.points["value"].fillna(0).astype(float).any():
        ui.empty_state("Nothing happened in this range", "Widen the dates or change a series.")
    elif result is not None:
        _show(result.points, spec.interval)
