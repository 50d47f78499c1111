"""Merge preview with a per-field choice, and undoing merges (used by the Profile screen)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.ui import fmt
from app.ui.data import workspace
from app.ui.errors import attempt, succeeded
from app.ui.feedback import done
from app.ui.persons import NO_NAME, person_label
from app.ui.text import literal
from engine.profiles.merge import Side


def _called(profile: Any) -> str:
    return f"{profile.name or profile.email or profile.phone or NO_NAME} · #{profile.id}"


def _side_by_side(preview: Any) -> pd.DataFrame:
    keep, fold = preview.primary.model_dump(), preview.secondary.model_dump()
    fields = [f for f in keep if f not in {"properties", "identities", "labels"}]
    return pd.DataFrame(
        {
            "field": fields,
            f"{_called(preview.primary)} (keeps)": [fmt.value(keep[f]) for f in fields],
            f"{_called(preview.secondary)} (folds in)": [fmt.value(fold[f]) for f in fields],
        }
    )


def _choices(preview: Any) -> dict[str, Side]:
    """One radio per conflicting field, defaulting to the engine's proposal."""
    chosen: dict[str, Side] = {}
    for conflict in preview.conflicts:
        options: list[Side] = ["primary", "secondary"]
        labels = {
            "primary": f"{literal(conflict.primary)} (#{preview.primary.id})",
            "secondary": f"{literal(conflict.secondary)} (#{preview.secondary.id})",
        }
        chosen[conflict.field] = st.radio(
            literal(conflict.field),
            options,
            index=options.index(conflict.proposed),
            format_func=labels.__getitem__,
            horizontal=True,
            key=f"choice_{conflict.field}",
        )
    return chosen


def merge_preview(preview: Any) -> None:
    """Both profiles side by side, what moves, a choice per conflicting field, then Merge."""
    primary, secondary = preview.primary, preview.secondary
    with st.container(border=True):
        st.markdown(
            f"**Merge** {person_label(secondary.id, secondary.name)} **into** "
            f"{person_label(primary.id, primary.name)}"
        )
        st.dataframe(_side_by_side(preview), hide_index=True, width="stretch")
        moves = ", ".join(f"{fmt.number(n)} {what}" for what, n in preview.moves.items())
        st.caption(f"Moves to #{preview.primary.id}: {moves or 'nothing'}.")
        if preview.conflicts:
            st.markdown("Both hold a value for these fields — choose which to keep:")
        choices = _choices(preview)
        override = st.checkbox(
            "Merge even past the identity limits (recorded in the audit trail)",
            key="merge_override",
        )
        if st.button("Merge", type="primary", key="merge_confirm"):
            run = workspace().merges.merge
            merge_id = attempt(
                run, preview.primary.id, preview.secondary.id, choices=choices, override=override
            )
            if merge_id is not None:
                st.session_state["merge"] = None
                done(
                    f"Merged {literal(_called(secondary))} into {literal(_called(primary))} "
                    f"(merge #{merge_id}); Undo merge below takes it back."
                )


def unmerge_picker(merges: pd.DataFrame) -> None:
    """Undo one of the merges listed (only those not undone yet)."""
    open_merges = merges[merges["undone_at"].isna()] if "undone_at" in merges else merges
    if open_merges.empty:
        return
    ids = [int(i) for i in open_merges["id"]]
    merge_id = st.selectbox("Undo merge", ids, format_func=lambda i: f"merge #{i}")
    if st.button("Unmerge", key="unmerge"):
        row = open_merges[open_merges["id"] == merge_id].iloc[0]
        if succeeded(workspace().merges.unmerge, merge_id):
            done(f"Merge #{merge_id} undone: profile #{int(row['secondary_id'])} is back.")
