"""Segments: saved audiences with their sizes, and an editor that counts what you write."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import ui
from app.ui import completion, notice, views
from app.ui.activation import segment_actions
from app.ui.expression_editor import expression_editor, put_text
from engine.profiles.service import ProfileFilter

EDITOR = "seg_text"  # the editor's text in st.session_state (AppTest sets it there)
EXAMPLE = 'did purchase in last 30 days and country = "ID"'
PLACEHOLDER = (
    '-- buyers this month\ndid purchase in last 30 days\n-- in Indonesia\nand country = "ID"'
)


def _list() -> None:
    segments = ui.attempt(ui.cached, "segments.list")
    if segments is None:
        return
    if segments.empty:
        ui.empty_state("No saved segments yet", "Write one in the editor tab and save it.")
        return
    segments = segments.sort_values("size", ascending=False)
    columns = {
        "share": st.column_config.ProgressColumn(
            "Share of everyone", min_value=0.0, max_value=1.0, format="percent"
        ),
        "trend": st.column_config.NumberColumn(
            "7-day trend", format="%+d", help="people who entered minus people who left"
        ),
        "sizes": st.column_config.LineChartColumn(
            "Last 7 days", help="the size at the end of each day, from the membership history"
        ),
        "refreshed_at": st.column_config.DatetimeColumn(
            "Last refresh (UTC)", help="the last full or time-based re-evaluation"
        ),
    }
    st.dataframe(segments, hide_index=True, width="stretch", column_config=columns)
    _refresh_all(segments["name"].tolist())
    name = st.selectbox("Open segment", segments["name"].tolist(), key="seg_open")
    summary = ui.attempt(views.segment_summary, ui.workspace(), name)
    if summary is not None:
        _trend(segments.set_index("name").loc[name])
        _summary(name, summary)


def _trend(row: pd.Series) -> None:
    """The size now, its change over 7 days and the size at the end of each day."""
    st.metric(
        "Members now",
        ui.fmt.number(int(row["size"])),
        delta=f"{int(row['trend']):+,} in 7 days",
        chart_data=list(row["sizes"]),
        chart_type="area",
        help=f"{ui.fmt.percent(float(row['share']))} of everyone",
        border=True,
    )


def _refresh_all(names: list[str]) -> None:
    if not st.button("Refresh all", icon=":material/refresh:", key="seg_refresh_all"):
        return
    bar = st.progress(0.0, text="Re-evaluating…")

    def progress(done: int, name: str) -> None:
        step = f"Re-evaluating {ui.literal(name)} ({done + 1} of {len(names)})"
        bar.progress(done / len(names), text=step)

    moved = ui.attempt(views.refresh_segments, ui.workspace(), names, progress)
    bar.empty()
    if moved is not None:
        ui.invalidate()
        entered, exited = moved
        st.toast(f"Refreshed {len(names)} segments: {entered:,} entered, {exited:,} left.")


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
        _refresh(name)
    if mid.button("Prepare CSV export", icon=":material/download:"):
        data = ui.attempt(ui.workspace().transfer.export_profiles, ProfileFilter(segment=name))
        if data is not None:
            st.download_button("Download members.csv", data, f"{name}.csv", "text/csv")
    if right.button("Open in People", icon=":material/groups:"):
        ui.open_people(segment=name)
    _versions(name, summary)
    segment_actions(name)


def _refresh(name: str) -> None:
    with st.status(f"Re-evaluating {ui.literal(name)} for everyone…") as status:
        changes = ui.attempt(ui.workspace().segments.refresh, name)
        if changes is None:
            status.update(label="The refresh failed", state="error")
            return
        status.update(label="Refreshed", state="complete")
    ui.invalidate()
    moved = f"{len(changes.entered):,} entered, {len(changes.exited):,} left"
    st.toast(f"Refreshed {ui.literal(name)}: {moved}.")


def _versions(name: str, summary: views.SegmentSummary) -> None:
    versions = summary.versions
    label = f"Earlier versions ({len(versions)})"
    with st.expander(label, icon=":material/history:"):
        if versions.empty:
            st.caption("Replacing this segment's definition keeps the old one here.")
            return
        st.dataframe(versions, hide_index=True, width="stretch")
        cols = st.columns([1, 2], vertical_alignment="bottom")
        version = cols[0].selectbox("Version", versions["version"].tolist(), key="seg_version")
        if cols[1].button("Restore this version", key="seg_restore"):
            restored = ui.attempt(ui.workspace().segments.restore, name, int(version))
            if restored is not None:
                ui.invalidate()
                shown = ui.literal(name)
                notice.after_rerun(
                    f"Restored version {version} of {shown}; the one it replaced is kept too."
                )


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
    # Several lines and `--` comments are kept as typed; the count, the checker and the
    # completions follow the typing (the text arrives ~300 ms after the last key).
    schema = ui.attempt(ui.cached, "catalog.dsl_schema")
    text = expression_editor(EDITOR, "Segment expression", schema, PLACEHOLDER)
    _hints()
    if not text.strip():
        st.caption(f"Try: `{EXAMPLE}`")
        return None
    draft = completion.checked_with(
        put_text, EDITOR, text, views.segment_draft, ui.workspace(), text
    )
    if draft is None:
        return None
    st.metric(
        "Matching people right now",
        ui.fmt.number(draft.count),
        border=True,
        help="as of now, over everyone in the workspace",
    )
    st.caption(f"{ui.fmt.percent(draft.share)} of {ui.fmt.number(draft.population)} people")
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
        replace = st.checkbox(
            "Replace the segment of this name if there is one",
            key="seg_replace",
            help="Its current definition is kept as a version you can restore.",
        )
        if st.form_submit_button("Save segment", type="primary", key="seg_save"):
            _store(name, kind, draft, op, of, description, replace)


def _store(
    name: str,
    kind: str,
    draft: views.SegmentDraft | None,
    op: str,
    of: list[str],
    desc: str,
    replace: bool,
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
        replace=replace,
    )
    if saved is not None:
        ui.invalidate()
        message = f"Saved segment {ui.literal(name)}: {saved['size']:,} people."
        if replace:
            message += " A definition it replaced is kept under Earlier versions."
        st.success(message, icon=":material/check_circle:")
        st.toast(message)


def _explain(draft: views.SegmentDraft | None) -> None:
    if draft is None:
        return
    with st.expander("Why is someone in (or out)?", icon=":material/psychology:"):
        pid = st.number_input("Profile id", min_value=1, step=1, key="explain_id")
        if st.button("Explain"):
            result = ui.attempt(ui.workspace().segments.explain, draft.text, int(pid))
            if result is not None:
                st.code(str(result), language=None)


ui.header("Segments", "Describe an audience in plain words; Kith counts it as you write.")
notice.show_pending()
saved, editor = st.tabs(["Saved segments", "Editor"])
with saved:
    _list()
with editor:
    current = _editor()
    _explain(current)
    _save(current)
