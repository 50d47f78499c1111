"""People: search and filter every profile, sort and page through them, act on many at once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import ui
from app.ui import people_list, views
from engine.catalog.vocab import CHANNELS, SOURCES
from engine.profiles.service import ProfileFilter

PAGE_SIZE = 50
# the list's columns, each as wide as what it holds
COLUMNS = {
    "name": st.column_config.TextColumn("Name", width="medium"),
    "email": st.column_config.TextColumn("Email", width="medium"),
    "phone": st.column_config.TextColumn("Phone", width="small"),
    "channels": st.column_config.ListColumn("Channels", width="small"),
    "lifecycle": st.column_config.TextColumn("Lifecycle", width="small"),
    "source": st.column_config.TextColumn("Source", width="small"),
    "last_seen": st.column_config.DatetimeColumn("Last seen", format="YYYY-MM-DD HH:mm"),
    "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD"),
    "id": st.column_config.NumberColumn("#", width="small", format="%d"),
}
SORTS = {"Last seen": "last_seen", "Created": "created_at", "Name": "name", "Email": "email"}
ANY = "Any"


def _pick(label: str, options: list[str], key: str, column: DeltaGenerator) -> str | None:
    choice = column.selectbox(label, [ANY, *options], key=key)
    return None if choice == ANY else choice


def _dates(label: str, key: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A picked date range as [first day 00:00, the day after the last day 00:00)."""
    picked = st.date_input(label, value=[], key=key, format="YYYY-MM-DD")
    start = dt.datetime.combine(picked[0], dt.time()) if len(picked) > 0 else None
    end = (
        dt.datetime.combine(picked[1], dt.time()) + dt.timedelta(days=1)
        if len(picked) > 1
        else None
    )
    return start, end


def _filters(options: views.FilterOptions) -> ProfileFilter:
    text = st.text_input(
        "Search",
        placeholder="Search by name, email, phone, city, label, property or identity…",
        key="q",
        label_visibility="collapsed",
        live="300ms",  # search as you type: commit after a short pause
        icon=":material/search:",
    )
    cols = st.columns(5)
    channel = _pick("Channel", list(CHANNELS), "channel", cols[0])
    lifecycle = _pick("Lifecycle", options.lifecycles, "lifecycle", cols[1])
    source = _pick("Source", list(SOURCES), "source", cols[2])
    label = _pick("Label", options.labels, "label", cols[3])
    segment = _pick("Segment", options.segments, "segment", cols[4])
    with st.expander("More filters: dates, activity, a segment expression"):
        left, right = st.columns(2)
        with left:
            created_from, created_to = _dates("Created between", "created")
        with right:
            seen_from, seen_to = _dates("Last seen between", "seen")
        expression = st.text_input(
            "Segment expression",
            placeholder='did purchase in last 30 days and country = "ID"',
            key="expression",
        )
    return ProfileFilter(
        text=text.strip() or None,
        channel=channel,
        lifecycle=lifecycle,
        source=source,
        label=label,
        segment=segment,
        created_from=created_from,
        created_to=created_to,
        last_seen_from=seen_from,
        last_seen_to=seen_to,
        expression=expression.strip() or None,
    )


def _sorting() -> tuple[str, bool]:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    sort = left.selectbox("Sort by", list(SORTS), key="sort")
    descending = right.toggle("Newest / Z first", value=True, key="desc")
    return SORTS[sort], descending


def _table(filters: ProfileFilter, sort: str, descending: bool) -> None:
    offset = ui.page_offset(PAGE_SIZE, key="page")
    page = ui.attempt(
        ui.workspace().profiles.list,
        filters,
        sort=sort,
        descending=descending,
        limit=PAGE_SIZE,
        offset=offset,
    )
    if page is None:
        return
    st.subheader(f"{ui.fmt.number(page.total)} people match", anchor=False)
    ui.pager(page.total, PAGE_SIZE, key="page")
    if page.rows.empty:
        ui.empty_state("Nobody matches these filters", "Clear a filter or search for less text.")
        return
    picked = st.dataframe(
        people_list.shown(page.rows),
        hide_index=True,
        width="stretch",
        column_config=COLUMNS,
        column_order=_column_order(page.rows),
        on_select="rerun",
        selection_mode=["multi-row", "single-cell"],
        key="people_table",
    )
    selection = picked.selection if picked is not None else None
    clicked = selection.cells[0][0] if selection is not None and selection.cells else None
    if clicked is not None:  # a click on a person's cell opens them
        st.session_state.pop("people_table", None)  # coming back shows the list unselected
        ui.open_profile(int(page.rows.iloc[int(clicked)]["id"]))
    rows = list(selection.rows) if selection is not None else []  # ticked: for groups
    if len(rows) == 1 and st.button("Open profile", type="primary", icon=":material/person:"):
        ui.open_profile(int(page.rows.iloc[rows[0]]["id"]))
    people_list.group_actions(page.rows, rows, filters, page.total)


def _column_order(rows: pd.DataFrame) -> list[str]:
    """The known columns in their order, then any others, the id last."""
    known = [name for name in COLUMNS if name in rows and name != "id"]
    return known + [name for name in rows if name not in COLUMNS] + ["id"]


def _bulk(filters: ProfileFilter, options: views.FilterOptions) -> None:
    with st.expander("Bulk actions on everyone matching"):
        left, right = st.columns(2)
        action = left.selectbox("Action", views.BULK_ACTIONS, key="bulk_action")
        value = right.text_input("Label or list name", key="bulk_value")
        if st.button("Preview", key="bulk_preview"):
            found = ui.attempt(views.bulk_preview, ui.workspace(), filters, action, value)
            st.session_state["bulk"] = None if found is None else (found, filters)
        pending = st.session_state.get("bulk")
        if pending is None:
            return
        preview, previewed_filters = pending
        st.info(ui.literal(preview.sentence) + ". For example:")
        st.dataframe(preview.sample, hide_index=True, width="stretch")
        if st.button("Confirm", type="primary", key="bulk_confirm"):
            with st.spinner("Applying…"):
                applied = ui.attempt(
                    views.bulk_apply,
                    ui.workspace(),
                    previewed_filters,
                    preview.action,
                    preview.value,
                )
            st.session_state["bulk"] = None
            if applied is not None:
                ui.done(f"{ui.literal(preview.sentence)}: done.")


ui.header("People", "Everyone Kith knows. Filters combine with AND; click a row to open it.")
ui.flash()
if "segment" in st.query_params and "segment" not in st.session_state:
    st.session_state["segment"] = st.query_params["segment"]
opts = ui.attempt(ui.cached, views.filter_options) or views.FilterOptions([], [], [])
chosen = _filters(opts)
st.session_state["people_filter"] = chosen  # the Import / Export screen exports this
_table(chosen, *_sorting())
_bulk(chosen, opts)
