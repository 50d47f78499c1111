"""Properties: the built-in and custom profile properties, and defining new ones."""

from __future__ import annotations

import streamlit as st

from app import ui

TYPES = ["string", "number", "boolean", "date"]


def _table() -> None:
    props = ui.attempt(ui.workspace().catalog.properties)
    if props is None:
        return
    custom = props[~props["builtin"]]
    ui.kpis([ui.Kpi("Built-in", int(props["builtin"].sum())), ui.Kpi("Custom", len(custom))])
    shown = props.drop(columns=["created_at"], errors="ignore")
    st.dataframe(shown, hide_index=True, width="stretch")
    if custom.empty:
        st.caption("No custom properties yet: define one below and segments can use it at once.")


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


ui.header("Properties", "What a profile can hold: built-in fields and your own, with validation.")
_table()
_define()
