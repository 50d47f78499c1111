"""Properties: the built-in and custom profile properties, defining new ones and editing them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import ui

TYPES = ["string", "number", "boolean", "date"]


def _table() -> pd.DataFrame | None:
    props = ui.attempt(ui.workspace().catalog.properties)
    if props is None:
        return None
    custom = props[~props["builtin"]]
    ui.kpis([ui.Kpi("Built-in", int(props["builtin"].sum())), ui.Kpi("Custom", len(custom))])
    shown = props.drop(columns=["created_at"], errors="ignore")
    st.dataframe(shown, hide_index=True, width="stretch")
    if custom.empty:
        st.caption("No custom properties yet: define one below and segments can use it at once.")
    return custom


def _enum(text: str) -> list[str] | None:
    values = [v.strip() for v in text.split(",") if v.strip()]
    return values or None


def _define() -> None:
    with st.form("define_property", clear_on_submit=False):
        st.markdown("**Define a custom property**")
        left, right = st.columns(2)
        name = left.text_input(
            "Name", placeholder="lifetime_value", help="lowercase_with_underscores", key="prop_name"
        )
        kind = right.selectbox("Type", TYPES)
        description = st.text_input("Description")
        enum = st.text_input(
            "Allowed values (comma-separated, optional)", placeholder="free, pro, team"
        )
        cols = st.columns(3)
        pattern = cols[0].text_input("Pattern (regex, optional)")
        low = cols[1].number_input("Minimum", value=None)
        high = cols[2].number_input("Maximum", value=None)
        required = st.checkbox("Required on every profile")
        if st.form_submit_button("Define property", type="primary", key="prop_define"):
            made = ui.attempt(
                ui.workspace().catalog.define_property,
                name.strip(),
                kind,
                description=description or None,
                enum=_enum(enum),
                pattern=pattern or None,
                min=low,
                max=high,
                required=required,
                actor="dashboard",
            )
            if made is not None:
                ui.invalidate()
                st.success(f"Defined {made.name} ({made.type}); it is now a typed column.")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _edit(custom: pd.DataFrame) -> None:
    """Edit the description and rules of one custom property; its name and type stay."""
    if custom.empty:
        return
    st.markdown("**Edit a custom property**")
    name = st.selectbox("Property", custom["name"].tolist(), key="edit_prop")
    row = custom.set_index("name").loc[name]
    enum = row["enum_values"]
    with st.form(f"edit_property_{name}"):
        st.caption(f"Type: {row['type']} (a property's type cannot change)")
        description = st.text_input("Description", _text(row["description"]), key=f"ed_{name}")
        allowed = ", ".join(map(str, enum)) if isinstance(enum, list) else ""
        values = st.text_input("Allowed values (comma-separated)", allowed, key=f"ee_{name}")
        cols = st.columns(3)
        pattern = cols[0].text_input("Pattern (regex)", _text(row["pattern"]), key=f"ep_{name}")
        low = cols[1].number_input("Minimum", value=_number(row["min_value"]), key=f"el_{name}")
        high = cols[2].number_input("Maximum", value=_number(row["max_value"]), key=f"eh_{name}")
        required = st.checkbox("Required on every profile", bool(row["required"]), key=f"er_{name}")
        if st.form_submit_button("Save changes", type="primary", key="prop_update"):
            saved = ui.attempt(
                ui.workspace().catalog.update_property,
                name,
                description=description or None,
                enum=_enum(values),
                pattern=pattern or None,
                min=low,
                max=high,
                required=required,
                actor="dashboard",
            )
            if saved is not None:
                ui.invalidate()
                st.toast(f"Saved {saved.name}.")
                st.rerun()


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


ui.header("Properties", "What a profile can hold: built-in fields and your own, with validation.")
custom = _table()
_define()
if custom is not None:
    _edit(custom)
