"""The shared page layout: headers, KPI rows, empty states, paging."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app.ui import fmt


@dataclass(frozen=True)
class Kpi:
    label: str
    value: float | int | str | None
    help: str | None = None
    delta: str | None = None  # the change shown under the number, e.g. "+12 vs previous"


def header(title: str, caption: str) -> None:
    """The title every page starts with, and one sentence saying what the page is for."""
    st.title(title, anchor=False)
    st.caption(caption)


def kpis(items: Sequence[Kpi]) -> None:
    """A row of big numbers."""
    for column, item in zip(st.columns(len(items)), items, strict=True):
        shown = item.value if isinstance(item.value, str) else fmt.number(item.value)
        column.metric(item.label, shown, delta=item.delta, help=item.help, border=True)


def empty_state(message: str, hint: str = "") -> None:
    """What to show where there is nothing yet, and how to get something."""
    with st.container(border=True):
        st.markdown(f"**{message}**")
        if hint:
            st.caption(hint)


def page_offset(page_size: int, key: str) -> int:
    """The row offset of the page the `pager` with this key shows (page 1 before it exists)."""
    return (int(st.session_state.get(key) or 1) - 1) * page_size


def pager(total: int, page_size: int, key: str) -> None:
    """A page number picker under a table whose rows came from `page_offset(page_size, key)`.
    When the total shrank below the current page (a filter changed), go back to page 1."""
    pages = max(math.ceil(total / page_size), 1)
    if int(st.session_state.get(key) or 1) > pages:
        st.session_state[key] = 1
        st.rerun()
    left, right = st.columns([1, 4], vertical_alignment="center")
    page = left.number_input("Page", 1, pages, key=key, label_visibility="collapsed")
    right.caption(f"page {page} of {fmt.number(pages)} · {fmt.number(total)} rows")


def members_table(members: pd.DataFrame) -> None:
    """Segment members with their identities as readable `type: value` tags."""
    shown = members.copy()
    if "identities" in shown:
        shown["identities"] = shown["identities"].map(_identity_tags)
    st.dataframe(shown, hide_index=True, width="stretch")


def _identity_tags(identities: Sequence[dict[str, str]] | None) -> list[str]:
    return [f"{item['type']}: {item['value']}" for item in identities or []]


def pick_event(
    events: pd.DataFrame, key: str, column_config: dict[str, Any] | None = None
) -> pd.Series | None:
    """An events table (payload columns left for the detail view) where one row can be chosen;
    returns the chosen event, or None."""
    picked = st.dataframe(
        events.drop(columns=["properties", "context"], errors="ignore"),
        hide_index=True,
        width="stretch",
        column_config=column_config,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    rows = picked.selection.rows if picked is not None else []
    return events.iloc[rows[0]] if rows else None
