"""Properties: the built-in and custom profile properties, defining new ones and editing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app import ui
from engine.models import PropertyType

TYPES: list[PropertyType] = ["string", "number", "boolean", "date"]


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
            "Name",
            placeholder="lifetime_value",
            help="lowercase_with_underscores, and not a word of the segment language "
            "(did, count, last...), which segments could not use",
            key="prop_name",
        )
        kind = right.selectbox("Type", TYPES)
        rules = _rule_inputs(None, lambda _: None)
        if st.form_submit_button("Define property", type="primary", key="prop_define"):
            made = ui.attempt(
                ui.workspace().catalog.define_property,
                name.strip(),
                kind,
                **rules,
            )
            if made is not None:
                ui.invalidate()
                st.success(
                    f"Defined {ui.literal(made.name)} ({made.type}); it is now a typed column."
                )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _edit(custom: pd.DataFrame) -> None:
    """Edit the description and rules of one custom property; its name and type stay."""
    if custom.empty:
        return
    st.markdown("**Edit a custom property**")
    name = st.selectbox("Property", custom["name"].tolist(), key="edit_prop")
    row = custom.set_index("name").loc[name]
    with st.form(f"edit_property_{name}"):
        st.caption(f"Type: {row['type']} (a property's type cannot change)")
        rules = _rule_inputs(row, lambda field: f"e{field}_{name}")
        if st.form_submit_button("Save changes", type="primary", key="prop_update"):
            saved = ui.attempt(
                ui.workspace().catalog.update_property,
                name,
                **rules,
            )
            if saved is not None:
                ui.invalidate()
                st.toast(f"Saved {ui.literal(saved.name)}.")
                st.rerun()


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _rule_inputs(current: pd.Series | None, key: Callable[[str], str | None]) -> dict[str, Any]:
    """A property's description and validation rules as `define_property` and
    `update_property` take them, prefilled from `current` when editing one."""

    def now(field: str) -> Any:
        return None if current is None else current[field]

    description = st.text_input("Description", _text(now("description")), key=key("d"))
    enum = now("enum_values")
    listed = ", ".join(map(str, enum)) if isinstance(enum, list) else ""
    allowed = st.text_input(
        "Allowed values (comma-separated, optional)",
        listed,
        placeholder="free, pro, team",
        key=key("e"),
    )
    cols = st.columns(3)
    pattern = cols[0].text_input("Pattern (regex, optional)", _text(now("pattern")), key=key("p"))
    low = cols[1].number_input("Minimum", value=_number(now("min_value")), key=key("l"))
    high = cols[2].number_input("Maximum", value=_number(now("max_value")), key=key("h"))
    required = st.checkbox("Required on every profile", bool(now("required")), key=key("r"))
    return {
        "description": description or None,
        "enum": _enum(allowed),
        "pattern": pattern or None,
        "min": low,
        "max": high,
        "required": required,
    }


ui.header("Properties", "What a profile can hold: built-in fields and your own, with validation.")
custom = _table()
_define()
if custom is not None:
    _edit(custom)
