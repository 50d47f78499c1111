"""People by name wherever a person appears (events, consent violations, rule dry runs, funnel
drill-downs, merges): the name, else the email, else the phone, with the id small beside it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.data import cached
from app.ui.text import literal

PERSON = "person"
NO_NAME = "(no name)"


def names_of(ids: Iterable[int]) -> dict[int, str]:
    """What each of these people is called; ids without a name are left out. Cached like the
    screens' other reads (a rerun of a long table asks again for the same people)."""
    wanted = tuple(sorted({int(i) for i in ids if not pd.isna(i)}))
    return dict(cached("profiles.names", wanted)) if wanted else {}


def with_names(frame: pd.DataFrame, id_column: str = "profile_id") -> pd.DataFrame:
    """`frame` with a `person` column (the name of the profile in `id_column`) just before
    that column; show it with `person_columns(id_column)`."""
    if frame.empty or id_column not in frame:
        return frame
    names = names_of(frame[id_column].dropna().unique())
    shown = frame.copy()
    position = int(shown.columns.get_loc(id_column))
    shown.insert(position, PERSON, [_called(names, pid) for pid in frame[id_column]])
    return shown


def person_columns(id_column: str = "profile_id") -> dict[str, Any]:
    """Column settings for a table from `with_names`: the name, the id narrow beside it."""
    return {
        PERSON: st.column_config.TextColumn("Person"),
        id_column: st.column_config.NumberColumn("#", width="small", format="%d"),
    }


def person_label(profile_id: int, name: str | None) -> str:
    """A person for Markdown contexts: the name (literally), the id small and grey."""
    return f"{literal(name or NO_NAME)} :small[:gray[#{int(profile_id)}]]"


def named(profile_id: int) -> str:
    """`person_label` of one profile, its name looked up."""
    return person_label(profile_id, names_of([profile_id]).get(int(profile_id)))


def person_choice(names: dict[int, str]) -> Any:
    """A `format_func` for a picker of profile ids: 'Ana Lima · #12'."""
    return lambda pid: f"{names.get(int(pid), NO_NAME)} · #{int(pid)}"


def _called(names: dict[int, str], pid: Any) -> str:
    if pid is None or pd.isna(pid):
        return ""
    return names.get(int(pid), NO_NAME)
