"""Shared pieces of the dashboard: layout, errors, formatting, charts, navigation, engine access.

Pages import from here and from `engine`; nothing here runs SQL."""

from app.ui import charts, fmt
from app.ui.data import cached, fresh, invalidate, workspace
from app.ui.errors import attempt, guard, show_error, succeeded
from app.ui.feedback import done, flash, with_progress
from app.ui.layout import (
    Kpi,
    empty_state,
    header,
    kpis,
    members_table,
    page_offset,
    pager,
    pick_event,
)
from app.ui.merging import merge_preview, unmerge_picker
from app.ui.nav import inbox_title, open_people, open_profile, selected_profile
from app.ui.persons import named, names_of, person_choice, person_columns, person_label, with_names
from app.ui.tables import readable
from app.ui.text import chart_text, literal

__all__ = [
    "Kpi",
    "attempt",
    "cached",
    "chart_text",
    "charts",
    "done",
    "empty_state",
    "flash",
    "fmt",
    "fresh",
    "guard",
    "header",
    "inbox_title",
    "invalidate",
    "kpis",
    "literal",
    "members_table",
    "merge_preview",
    "named",
    "names_of",
    "open_people",
    "open_profile",
    "page_offset",
    "pager",
    "person_choice",
    "person_columns",
    "person_label",
    "pick_event",
    "readable",
    "selected_profile",
    "show_error",
    "succeeded",
    "unmerge_picker",
    "with_names",
    "with_progress",
    "workspace",
]
