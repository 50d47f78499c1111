"""Segments: saved audiences with their sizes, and an editor that counts while you type."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.ui import views
from app.ui.activation import segment_actions
from engine.profiles.service import ProfileFilter

EXAMPLE = 'did purchase in last 30 days and country = "ID"'


def _list() -> None:
    segments = ui.attempt(ui.cached, "segments.list")
    if segments is None:
        return
    if segments.empty:
        ui.empty_state("No saved segments yet", "Write one in the editor tab and save it.")
        return
    segments = segments.sort_values("size", ascending=False)
    columns = {
        "trend": st.column_config.NumberColumn(
            "7-day trend", format="%+d", help="people who entered minus people who left"
        ),
        "refreshed_at": st.column_config.DatetimeColumn(
            "Last refresh (UTC)", help="the last full or time-based re-evaluation"
        ),
    }
    st.dataframe(segments, hide_index=True, width="stretch", column_config=columns)
    name = st.selectbox("Open segment", segments["name"].tolist(), key="seg_open")
    summary = ui.attempt(views.segment_summary, ui.workspace(), name)
    if summary is not None:
        _summary(name, summary)


def _summary(name: str, summary: views.SegmentSummary) -> None:
    info = summary.info
    about = info.get("expression") or info.get("description") or ""
    st.caption(f"{ui.literal(info.get('kind', ''))} · {ui.literal(about)}")
    if len(summary.history) < 2:
        st.caption("The size history grows with every refresh; one more and a chart appears.")
    else:
        fig = ui.charts.lines(summary.history, "measured_at", "size", f"Size of {name} over time")
        ui.charts.show(fig, key="seg_history")
    st.markdown("**Members (first 20)**")
    if summary.members.empty:
        ui.empty_state("Nobody is in this segment right now", "Refresh it after new data arrives.")
    else:
        ui.members_table(summary.members)
    left, mid, right = st.columns(3)
    if left.button("Refresh membership", icon=":material/refresh:"):
        with st.spinner("Re-evaluating…"):
            if ui.succeeded(ui.workspace().segments.refresh, name):
                ui.invalidate()
                st.rerun()
    if mid.button("Prepare CSV export", icon=":material/download:"):
        data = ui.attempt(ui.workspace().transfer.export_profiles, ProfileFilter(segment=name))
        if data is not None:
            st.download_button("Download members.csv", data, f"{name}.csv", "text/csv")
    if right.button("Open in People", icon=":material/groups:"):
        ui.open_people(segment=name)
    segment_actions(name)


def _hints() -> None:
    hints = ui.attempt(ui.cached, views.segment_hints)
    if hints is None:
        return
    with st.expander("Names you can use", icon=":material/help:"):
        left, right = st.columns(2)
        left.dataframe(hints.properties, hide_index=True, width="stretch", height=240)
        right.dataframe(hints.event_types, hide_index=True, width="stretch", height=240)
        if hints.segments:
            st.caption("Segments: " + ", ".join(map(ui.literal, hints.segments)))
        if hints.labels:
            st.caption("Labels: " + ", ".join(map(ui.literal, hints.labels)))


def _editor() -> views.SegmentDraft | None:
    # One line that commits after a pause in typing, so the count follows the words.
    text = st.text_input(
        "Segment expression",
        placeholder=EXAMPLE,
        key="seg_text",
        live="400ms",
        help="Kith counts the audience as you type.",
    )
    _hints()
    if not text.strip():
        st.caption(f"Try: `{EXAMPLE}`")
        return None
    draft = ui.attempt(views.segment_draft, ui.workspace(), text)
    if draft is None:
        return None
    st.metric("Matching people right now", ui.fmt.number(draft.count), border=True)
    ui.members_table(draft.members)
    return draft


def _save(draft: views.SegmentDraft | None) -> None:
    with st.form("save_segment"):
        name = st.text_input("Name", placeholder="active_buyers", key="seg_name")
        kind = st.radio(
            "Kind",
            ["dynamic", "static", "compound"],
            horizontal=True,
            captions=["stays up to date", "a fixed list of today's members", "combines segments"],
            key="seg_kind",
        )
        op = st.selectbox("Compound: how to combine", ["union", "intersection", "difference"])
        names = ui.attempt(ui.cached, "segments.list")
        of = st.multiselect("Compound: segments", [] if names is None else names["name"].tolist())
        description = st.text_input("Description")
        if st.form_submit_button("Save segment", type="primary", key="seg_save"):
            _store(name, kind, draft, op, of, description)


def _store(
    name: str, kind: str, draft: views.SegmentDraft | None, op: str, of: list[str], desc: str
) -> None:
    expression = None if draft is None else draft.text
    saved = ui.attempt(
        views.save_segment,
        ui.workspace(),
        name.strip(),
        kind,
        expression=expression,
        op=op,
        of=of,
        description=desc or None,
    )
    if saved is not None:
        ui.invalidate()
        st.success(f"Saved segment {ui.literal(name)}.")


def _explain(draft: views.SegmentDraft | None) -> None:
    if draft is None:
        return
    with st.expander("Why is someone in (or out)?", icon=":material/psychology:"):
        pid = st.number_input("Profile id", min_value=1, step=1, key="explain_id")
        if st.button("Explain"):
            result = ui.attempt(ui.workspace().segments.explain, draft.text, int(pid))
            if result is not None:
                st.code(str(result), language=None)


ui.header("Segments", "Describe an audience in plain words; Kith counts it as you type.")
saved, editor = st.tabs(["Saved segments", "Editor"])
with saved:
    _list()
with editor:
    current = _editor()
    _explain(current)
    _save(current)
