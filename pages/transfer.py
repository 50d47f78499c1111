"""Import / Export: profiles in from CSV (its columns mapped to Kith's, by hand or with a saved
mapping) with a per-row report before anything is stored, and profiles out as CSV or Parquet."""

from __future__ import annotations

import streamlit as st

from app import ui
from engine.profiles.service import ProfileFilter

SEPARATORS = {"Detect": None, "Comma ,": ",", "Semicolon ;": ";", "Tab": "\t"}
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
BY_HAND = "Map by hand"


def _template() -> None:
    template = ui.attempt(ui.workspace().transfer.template_csv)
    if template is not None:
        st.download_button(
            "Download the CSV template",
            template,
            "kith-profiles-template.csv",
            "text/csv",
            icon=":material/download:",
        )


def _import() -> None:
    upload = st.file_uploader("Profiles CSV", type=["csv", "txt"], key="upload")
    sep = SEPARATORS[st.radio("Separator", list(SEPARATORS), horizontal=True, key="sep")]
    if upload is None:
        st.caption("Nothing is stored until you confirm, after seeing every row's problems.")
        return
    if st.session_state.get("imported") == upload.file_id:  # done: no second confirm
        st.caption("This file is imported. Upload another one to import more.")
        return
    data = upload.getvalue()
    mapping = _mapping(data, sep)
    if mapping is None:
        return
    preview = ui.attempt(ui.workspace().transfer.preview_import, data, sep=sep, mapping=mapping)
    if preview is None:
        return
    ui.kpis(
        [
            ui.Kpi("Rows ready", preview.valid_rows),
            ui.Kpi("Rows with errors", preview.errors["row"].nunique()),
        ]
    )
    if not preview.errors.empty:
        st.warning("These rows will be skipped; fix them in the file and upload again to add them.")
        st.dataframe(preview.errors, hide_index=True, width="stretch")
    st.dataframe(preview.sample, hide_index=True, width="stretch")
    if st.button(
        f"Import {preview.valid_rows:,} row{'s' if preview.valid_rows != 1 else ''}",
        type="primary",
        disabled=preview.valid_rows == 0,
    ):
        run = ui.workspace().transfer.import_profiles
        report = ui.with_progress("Importing", run, data, sep=sep, mapping=mapping)
        if report is not None:
            st.session_state["imported"] = upload.file_id
            ui.done(
                f"Imported: {report.created:,} created, {report.updated:,} updated, "
                f"{len(report.errors):,} skipped, {report.consent:,} consent changes recorded."
            )


def _mapping(data: bytes, sep: str | None) -> dict[str, str] | None:
    """The mapping step: a saved mapping, or each of the file's headers mapped by hand (and
    saved under a name if wanted). None while the file cannot be read."""
    columns = ui.attempt(ui.workspace().transfer.columns, data, sep=sep)
    saved = ui.attempt(ui.workspace().transfer.mappings)
    if columns is None or saved is None:
        return None
    choice = st.selectbox("Column mapping", [BY_HAND, *saved], key="map_saved")
    if choice != BY_HAND:
        st.dataframe(
            {"file column": list(saved[choice]), "Kith column": list(saved[choice].values())},
            hide_index=True,
        )
        return saved[choice]
    with st.expander("Map the file's columns", expanded=True):
        mapping = {
            header: st.selectbox(
                ui.literal(header),
                columns.targets,
                index=columns.targets.index(columns.guess[header]),
                key=f"map_col_{header}",
            )
            for header in columns.headers
        }
        name = st.text_input("Save this mapping as", key="map_save_as")
        save = st.button("Save mapping", key="map_save", disabled=not name.strip())
        if save and ui.attempt(ui.workspace().transfer.save_mapping, name, mapping) is not None:
            st.success(f"Saved the mapping {ui.literal(name.strip())}.")
    return mapping


def _export() -> None:
    current = st.session_state.get("people_filter")
    scope = st.radio(
        "Who",
        ["Everyone", "The People screen's current filter"],
        horizontal=True,
        key="exp_scope",
        disabled=current is None,
    )
    fmt = st.radio("Format", ["csv", "parquet"], horizontal=True, key="exp_fmt")
    if st.button("Prepare export", icon=":material/upload_file:"):
        filters = current if scope != "Everyone" and current is not None else ProfileFilter()
        data = ui.with_progress("Exporting", ui.workspace().transfer.export_profiles, filters, fmt)
        if data is not None:
            st.download_button(f"Download profiles.{fmt}", data, f"profiles.{fmt}", MIME[fmt])


ui.header("Import / Export", "Bring profiles in from a spreadsheet, or take them out.")
ui.flash()
incoming, outgoing = st.tabs(["Import", "Export"])
with incoming:
    _template()
    _import()
with outgoing:
    _export()
