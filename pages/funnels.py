"""Funnels: how many people go through a sequence of steps, where they drop off, and who."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app import ui
from app.ui import completion
from engine.analytics.funnel_spec import FunnelSpec, spec_from
from engine.analytics.funnels import FunnelResult
from engine.clock import utcnow

DEFAULT_STEPS = ["page_view", "signup", "purchase"]
CAMPAIGN_STEPS = ["message_sent", "message_delivered", "message_read", "link_clicked"]
UNITS = ["seconds", "minutes", "hours", "days", "weeks"]


def _preset() -> None:
    if st.button(
        "Campaign preset",
        icon=":material/campaign:",
        help="sent → delivered → read → clicked, by campaign",
    ):
        st.session_state["fn_steps"] = pd.DataFrame({"event": CAMPAIGN_STEPS, "where": ""})
        st.session_state.pop("fn_steps_editor", None)
        st.session_state["fn_breakdown_text"] = "event.campaign"


def _steps_table() -> pd.DataFrame:
    if "fn_steps" not in st.session_state:
        st.session_state["fn_steps"] = pd.DataFrame({"event": DEFAULT_STEPS, "where": ""})
    return st.data_editor(
        st.session_state["fn_steps"],
        num_rows="dynamic",
        width="stretch",
        hide_index=False,
        column_config={
            "event": st.column_config.TextColumn("Event type", required=True),
            "where": st.column_config.TextColumn("Only where… (optional)", help="amount > 100"),
        },
        key="fn_steps_editor",
    )


def _last_week() -> tuple[dt.date, dt.date]:
    """The default range of step 1: the last 7 days (UTC), so a first look reads a week of
    events, not all of them."""
    today = utcnow().date()
    return today - dt.timedelta(days=6), today


def _exclusions_table() -> pd.DataFrame:
    empty = pd.DataFrame(
        {
            "event": pd.Series(dtype="str"),
            "where": pd.Series(dtype="str"),
            "after_step": pd.Series(dtype="Int64"),
            "before_step": pd.Series(dtype="Int64"),
        }
    )
    return st.data_editor(
        empty,
        num_rows="dynamic",
        width="stretch",
        column_config={
            "event": st.column_config.TextColumn("Excluded event"),
            "where": st.column_config.TextColumn("Only where… (optional)", help="amount > 10"),
            "after_step": st.column_config.NumberColumn("After step", min_value=1, step=1),
            "before_step": st.column_config.NumberColumn(
                "Before step", min_value=2, step=1, help="blank: the step after"
            ),
        },
        key="fn_excl",
    )


def _rows(frame: pd.DataFrame, keys: list[str]) -> list[dict[str, object]]:
    """Non-empty editor rows as dicts, with blank cells left out."""
    rows = []
    for record in frame.to_dict("records"):
        row = {k: record.get(k) for k in keys if pd.notna(record.get(k)) and record.get(k) != ""}
        if row.get("event"):
            rows.append(row)
    return rows


def _spec() -> FunnelSpec | None:
    steps = _rows(_steps_table(), ["event", "where"])
    cols = st.columns(4)
    amount = cols[0].number_input("Conversion window", min_value=1, value=14, key="fn_within")
    unit = cols[1].selectbox("Unit", UNITS, index=3, key="fn_unit")
    order = cols[2].selectbox("Order", ["ordered", "strict", "unordered"], key="fn_order")
    period = cols[3].date_input(
        "Step 1 between",
        value=_last_week(),
        key="fn_dates",
        help="the last 7 days at first (as PostHog does); clear it for all time",
    )
    with st.expander("Exclusions, breakdown and audience"):
        exclusions = _rows(_exclusions_table(), ["event", "where", "after_step", "before_step"])
        left, right = st.columns([3, 1])
        breakdown = left.text_input(
            "Breakdown",
            placeholder="country, properties.plan, or event.campaign",
            key="fn_breakdown_text",
            help="a profile property, or event.<property> of step 1's event",
        )
        top = right.number_input(
            "Top values",
            min_value=1,
            max_value=50,
            value=5,
            key="fn_top",
            help="the values with most people who entered; the rest are grouped as (other)",
        )
        audience = st.text_input("Audience (segment expression)", placeholder='lifecycle = "lead"')
    return ui.attempt(
        spec_from,
        steps=steps,
        within=dt.timedelta(**{unit: int(amount)}),
        order=order,
        start=period[0] if len(period) > 0 else None,
        end=period[1] + dt.timedelta(days=1) if len(period) > 1 else None,
        exclusions=exclusions,
        breakdown=breakdown.strip() or None,
        top=int(top) if breakdown.strip() else None,
        audience=audience.strip() or None,
    )


def _chart(result: FunnelResult) -> None:
    steps = result.steps
    if "breakdown" in steps:
        _by_value(steps)
        return
    fig = ui.charts.funnel(steps["event"].tolist(), steps["profiles"].tolist(), "Funnel")
    ui.charts.show(fig, key="funnel_chart")
    st.dataframe(_readable(steps), hide_index=True, width="stretch")


def _by_value(steps: pd.DataFrame) -> None:
    """Each breakdown value's funnel side by side, and its conversion to the last step."""
    left, right = st.columns([3, 2])
    with left:
        fig = ui.charts.grouped_funnel(steps, "Funnel by breakdown value")
        ui.charts.show(fig, key="funnel_chart")
    with right:
        last = steps[steps["step"] == steps["step"].max()]
        named = last.assign(breakdown=last["breakdown"].fillna("(no value)"))
        fig = ui.charts.rate_bars(
            named, "breakdown", "conversion_from_first", "Conversion to the last step"
        )
        ui.charts.show(fig, key="funnel_rates")
    st.dataframe(_readable(steps), hide_index=True, width="stretch")


def _readable(steps: pd.DataFrame) -> pd.DataFrame:
    table = steps.copy()
    for column in ("avg_time_to_convert", "median_time_to_convert"):
        table[column] = table[column].map(ui.fmt.duration)
    for column in ("conversion_from_first", "conversion_from_previous"):
        table[column] = table[column].map(ui.fmt.percent)
    return table


def _breakdown_value(values: list[str]) -> str | None:
    """The breakdown value whose people to show (None: every value)."""
    if not values:
        return None
    every = "every value"
    picked = st.selectbox("Breakdown value", [every, *values], key="fn_bd_value")
    return None if picked == every else picked


def _drilldown(spec: FunnelSpec, values: list[str]) -> None:
    st.markdown("**Who is behind a step?**")
    cols = st.columns([2, 1, 1], vertical_alignment="bottom")
    step = cols[0].selectbox(
        "Step",
        range(1, len(spec.steps) + 1),
        format_func=lambda k: f"{k}. {spec.steps[k - 1].event}",
    )
    dropped = cols[1].toggle("Dropped here", help="reached the step before but not this one")
    value = _breakdown_value(values)
    if cols[2].button("Show people"):
        st.session_state["fn_people"] = ui.attempt(
            ui.workspace().funnels.profiles,
            spec,
            int(step),
            dropped=dropped,
            breakdown_value=value,
        )
    people = st.session_state.get("fn_people")
    if people is None:
        return
    st.caption(f"{ui.fmt.number(len(people))} people")
    if people:
        first = people[:500]
        called = ui.person_choice(ui.names_of(first))
        chosen = st.selectbox("Open profile", first, format_func=called, key="fn_open")
        if st.button("Open", icon=":material/person:"):
            ui.open_profile(int(chosen))


def _over_time(spec: FunnelSpec) -> None:
    st.markdown("**Does conversion improve?**")
    interval = st.segmented_control(
        "Per", ["day", "week", "month"], default="week", key="fn_interval"
    )
    series = ui.attempt(ui.fresh, "funnels.over_time", spec, interval or "week")
    if series is None or series.empty:
        return
    fig = ui.charts.lines(series, "period", "rate", f"Conversion to the last step per {interval}")
    fig.update_yaxes(tickformat=".0%")
    ui.charts.show(fig, key="funnel_over_time")
    st.caption("A period the dates cover only in part is marked partial in the table.")
    table = series.assign(rate=series["rate"].map(ui.fmt.percent))
    st.dataframe(table, hide_index=True, width="stretch")


ui.header("Funnels", "Build steps, pick a window, and see how many people make it to the end.")
_preset()
spec = _spec()
if spec is not None and len(spec.steps) >= 2:
    with st.spinner("Counting…"):
        result = completion.checked(
            "fn_breakdown_text", spec.breakdown, ui.fresh, "funnels.run", spec
        )
    if result is not None and result.entered == 0:
        ui.empty_state(
            "Nobody did the first step in this period", "Widen the dates or change step 1."
        )
    elif result is not None:
        # only the open tab is computed: "Over time" runs its query when someone opens it
        steps_tab, time_tab = st.tabs(["Steps", "Over time"], on_change="rerun", key="fn_tab")
        if steps_tab.open:
            with steps_tab:
                _chart(result)
                _drilldown(spec, result.breakdown_values)
        if time_tab.open:
            with time_tab:
                _over_time(spec)
elif spec is not None:
    st.info("Add at least two steps.")
