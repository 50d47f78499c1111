"""Plotly figures in one consistent style; every chart on the dashboard comes from here.

Plotly reads a subset of HTML in titles, ticks, legends and hover labels (links included), so
every text that reaches a figure passes through `chart_text` here: stored text is shown as it
is, never as markup."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from app.ui.text import chart_text
from engine.analytics.goals import GoalReport

# Consent and other statuses keep the same colour on every chart.
STATUS_COLORS = {
    "granted": "#12b886",
    "denied": "#fa5252",
    "revoked": "#f59f00",
    "unknown": "#ced4da",
}
PALETTE = ["#3b5bdb", "#12b886", "#f59f00", "#e64980", "#7048e8", "#15aabf", "#fa5252", "#82c91e"]


def _texts(frame: pd.DataFrame, *columns: str | None) -> pd.DataFrame:
    """`frame` with the text in `columns` made literal for Plotly (numbers and times kept)."""
    shown = frame.copy()
    for column in columns:
        if column is not None and shown[column].dtype == object:
            shown[column] = shown[column].map(_text_only)
    return shown


def _text_only(value: object) -> object:
    return chart_text(value) if isinstance(value, str) else value


def _style(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": chart_text(title), "font": {"size": 15}},
        height=height,
        margin={"l": 10, "r": 10, "t": 45, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        colorway=PALETTE,
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def show(fig: go.Figure, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", key=key, config={"displaylogo": False})


def lines(
    frame: pd.DataFrame, x: str, y: str, title: str, color: str | None = None, height: int = 300
) -> go.Figure:
    """A time series (one line per `color` value)."""
    fig = px.line(
        _texts(frame, x, color),
        x=x,
        y=y,
        color=color,
        markers=len(frame) < 40,
        color_discrete_sequence=PALETTE,
        color_discrete_map=STATUS_COLORS,
    )
    fig.update_xaxes(title=None)
    return _style(fig, title, height)


def bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    *,
    horizontal: bool = False,
    color: str | None = None,
    height: int = 300,
) -> go.Figure:
    """Bars by category; horizontal bars read better for long names."""
    frame = _texts(frame, x, color)
    if horizontal:
        fig = px.bar(
            frame,
            x=y,
            y=x,
            orientation="h",
            color=color,
            color_discrete_sequence=PALETTE,
            color_discrete_map=STATUS_COLORS,
        )
        fig.update_yaxes(title=None, autorange="reversed")
    else:
        fig = px.bar(
            frame,
            x=x,
            y=y,
            color=color,
            color_discrete_sequence=PALETTE,
            color_discrete_map=STATUS_COLORS,
        )
        fig.update_xaxes(title=None)
    return _style(fig, title, height)


def donut(frame: pd.DataFrame, names: str, values: str, title: str, height: int = 300) -> go.Figure:
    fig = px.pie(
        _texts(frame, names), names=names, values=values, hole=0.55, color_discrete_sequence=PALETTE
    )
    # Small slices would crowd the ring with labels; they stay readable in the legend and hover.
    fig.update_traces(textposition="inside", textinfo="percent")
    fig.update_layout(uniformtext={"minsize": 10, "mode": "hide"})
    return _style(fig, title, height)


def funnel(labels: list[str], counts: list[int], title: str, height: int = 360) -> go.Figure:
    """A conversion funnel with counts and the share of the first step."""
    funnel = go.Funnel(
        y=[chart_text(label) for label in labels],
        x=counts,
        textinfo="value+percent initial",
        marker={"color": PALETTE[0]},
    )
    fig = go.Figure(funnel)
    return _style(fig, title, height)


def goal_chart(report: GoalReport, height: int = 320) -> go.Figure:
    """Started and completed per bucket (bars side by side), the completion rate (line, right
    axis) and, when the goal has one, its target (dotted line on the rate's axis)."""
    series = report.series
    fig = go.Figure()
    fig.add_bar(x=series["bucket"], y=series["starts"], name="started", marker_color=PALETTE[0])
    fig.add_bar(
        x=series["bucket"], y=series["completions"], name="completed", marker_color=PALETTE[1]
    )
    fig.add_scatter(
        x=series["bucket"],
        y=series["rate"],
        name="completion rate",
        yaxis="y2",
        mode="lines+markers",
        line={"color": PALETTE[2]},
    )
    if report.target is not None and len(series):
        fig.add_scatter(
            x=[series["bucket"].min(), series["bucket"].max()],
            y=[report.target, report.target],
            name="target",
            yaxis="y2",
            mode="lines",
            line={"color": PALETTE[6], "dash": "dot"},
        )
    title = f"{report.name}: {report.completions} of {report.starts} ({report.rate:.1%})"
    _style(fig, title, height)
    fig.update_layout(
        barmode="group",
        yaxis={"title": "people"},
        yaxis2={"title": "rate", "overlaying": "y", "side": "right", "tickformat": ".0%"},
    )
    return fig


def rate_bars(
    frame: pd.DataFrame, x: str, y: str, title: str, target: float | None = None
) -> go.Figure:
    """Rates (0..1) by category as bars labelled in percent, with an optional target line."""
    shown = _texts(frame, x)
    fig = px.bar(shown, x=x, y=y, text=y, color_discrete_sequence=PALETTE)
    fig.update_traces(texttemplate="%{text:.1%}", textposition="outside")
    fig.update_yaxes(tickformat=".0%", title=None, rangemode="tozero")
    fig.update_xaxes(title=None, type="category")
    if target is not None:
        fig.add_hline(y=target, line_dash="dot", line_color=PALETTE[6], annotation_text="target")
    return _style(fig, title, 300)


def grouped_funnel(steps: pd.DataFrame, title: str, height: int = 360) -> go.Figure:
    """A funnel per breakdown value, side by side: people at each step, one colour per value
    (`steps`: breakdown, step, event, profiles)."""
    shown = steps.assign(breakdown=steps["breakdown"].map(_value_name))
    fig = px.funnel(
        _texts(shown, "event", "breakdown"),
        x="profiles",
        y="event",
        color="breakdown",
        color_discrete_sequence=PALETTE,
    )
    fig.update_yaxes(title=None)
    return _style(fig, title, height)


def _value_name(value: object) -> object:
    return "(no value)" if value is None or (isinstance(value, float) and pd.isna(value)) else value


def trend(points: pd.DataFrame, title: str, height: int = 360) -> go.Figure:
    """One line per series (and breakdown value); with `previous_value`, the range before as
    a dotted line of the same colour, drawn against this range's periods."""
    names = points["label"].astype(str)
    if "breakdown" in points:
        names = names + " · " + points["breakdown"].map(lambda v: "(no value)" if v is None else v)
    fig = go.Figure()
    for i, (name, line) in enumerate(points.assign(name=names).groupby("name", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=line["period"], y=line["value"], name=str(name), line={"color": colour})
        if "previous_value" in line:
            fig.add_scatter(
                x=line["period"],
                y=line["previous_value"],
                name=f"{name} (previous)",
                line={"color": colour, "dash": "dot"},
            )
    return _style(fig, title, height)


def heat_table(frame: pd.DataFrame, shares: list[str]) -> None:
    """A table whose share columns show as bars from 0 to 100%."""
    config = {
        column: st.column_config.ProgressColumn(
            column, min_value=0.0, max_value=1.0, format="percent"
        )
        for column in shares
    }
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
