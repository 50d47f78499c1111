"""Dashboard server time on the benchmark workspace: the engine calls the People, Profile and
Segments screens make, and the whole screen scripts (those and Overview, Goals, Funnels,
Events, Consent, Rules) run through Streamlit's AppTest (what the server spends per rerun,
without the browser). The Overview's goal rates and consent violations are measured first, as
the server's clock does after the data changes (job `at_a_glance`, timed on its own line);
"first load" figures time a screen's first run with the dashboard's caches empty, the others a
rerun.

Run: .venv/bin/python -m bench.dashboard [--db PATH] [--repeat N]
(default: the 1M-profile demo workspace of bench.workspace, built when missing)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import state
from app.scheduler import AtAGlanceJob
from app.ui import views
from bench.workspace import DEFAULT_DB, ensure
from engine import Workspace
from engine.access.policy import Actor
from engine.clock import utcnow
from engine.profiles.service import ProfileFilter

ROOT = Path(__file__).resolve().parents[1]
SEGMENT = 'did purchase in last 30 days and country = "ID"'
# editors that are custom components (AppTest cannot type into them: their text is set in the
# session state, as the component's typing does), not one-line inputs
COMPONENT_EDITORS = {"seg_text"}
BENCH_ADMIN = Actor(name="bench:dashboard", role="admin")


def _median(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm: first-use imports and DuckDB caches
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _busiest_profile(ws: Workspace) -> int:
    """A profile with a long history (the slowest kind of detail page)."""
    page = ws.profiles.list(ProfileFilter(lifecycle="customer"), sort="last_seen", limit=1)
    return int(page.rows["id"].iloc[0])


def engine_calls(ws: Workspace, pid: int) -> dict[str, Callable[[], Any]]:
    acting = ws.acting_as(BENCH_ADMIN)  # as the screens see it
    return {
        "people: list page 1 + total": lambda: ws.profiles.list(limit=50),
        "people: search 'maria'": lambda: ws.profiles.list(ProfileFilter(text="maria"), limit=50),
        "people: lifecycle AND channel": lambda: ws.profiles.list(
            ProfileFilter(lifecycle="customer", channel="whatsapp"), limit=50
        ),
        "people: channel web (has channel)": lambda: ws.profiles.list(
            ProfileFilter(channel="web"), limit=50
        ),
        "people: ranked search 'maria' (20)": lambda: ws.profiles.search("maria"),
        "people: filter options": lambda: views.filter_options(acting),
        "profile: engagement summary": lambda: ws.profiles.engagement(pid),
        "profile: duplicate suggestions": lambda: ws.profiles.duplicates(pid),
        "profile: detail view": lambda: views.profile_detail(acting, pid),
        "segments: live count + 20 members": lambda: views.segment_draft(acting, SEGMENT),
        "overview: 30-day report": lambda: ws.overview.report(30),
        "overview: report + goals + violations": lambda: views.overview_screen(acting, 30),
        "clock: at_a_glance job (background)": lambda: AtAGlanceJob(ws)(utcnow()),
        "segments: list (share, 7 days)": lambda: ws.segments.list(),
    }


def _screen(
    page: str, query: dict[str, str], typed: dict[str, str], *, cold: bool = False
) -> Callable[[], Any]:
    """A rerun of the screen; `cold`: with the dashboard's caches emptied first (a first load)."""
    at = AppTest.from_file(ROOT / "app" / "main.py", default_timeout=120)
    at.run()
    at.switch_page(str(ROOT / "pages" / f"{page}.py"))
    at.query_params.update(query)
    at.run()
    for key, text in typed.items():
        if key in COMPONENT_EDITORS:
            at.session_state[key] = text
        else:
            at.text_input(key=key).input(text)

    def rerun() -> None:
        if cold:
            st.cache_data.clear()
        at.run()
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].message}")

    return rerun


def screens(pid: int, only: str = "") -> dict[str, Callable[[], Any]]:
    """The whole-screen reruns whose name starts with `only` (each is set up only if asked)."""
    wanted = {
        "screen: People": ("people", {}, {}),
        "screen: Profile": ("profile", {"id": str(pid)}, {}),
        "screen: Segments, typed expression": ("segments", {}, {"seg_text": SEGMENT}),
        "screen: Overview": ("overview", {}, {}),
        "screen: Goals": ("goals", {}, {}),
        "screen: Funnels": ("funnels", {}, {}),
        "screen: Events (people by name)": ("events", {}, {}),
        "screen: Consent (violations by name)": ("consent", {}, {}),
        "screen: Rules": ("rules", {}, {}),
    }
    chosen = {name: how for name, how in wanted.items() if name.startswith(only)}
    reruns = {name: _screen(*how) for name, how in chosen.items()}
    first = {f"{name} (first load)": _screen(*how, cold=True) for name, how in chosen.items()}
    return reruns | first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--db", type=Path, default=None, help="default: the 1M demo workspace")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--only", metavar="PREFIX", help="only the figures whose name starts with it (people...)"
    )
    args = parser.parse_args(argv)
    db = args.db or ensure(DEFAULT_DB)
    with Workspace.open(db) as ws:
        state.set_workspace(ws)
        state.set_local_actor(BENCH_ADMIN)  # the screens act for a logged-in admin
        profiles = ws.profiles.list(limit=1).total
        pid = _busiest_profile(ws)
        AtAGlanceJob(ws)(utcnow())  # as the server's clock does after a change
        only = args.only or ""
        calls = {k: f for k, f in engine_calls(ws, pid).items() if k.startswith(only)}
        calls.update(screens(pid, only))
        rows = [
            {"what": k, "median_s": round(_median(f, args.repeat), 3)} for k, f in calls.items()
        ]
        state.set_local_actor(None)
        state.set_workspace(None)
    print(f"workspace {db} ({profiles:,} profiles), profile #{pid}, repeat {args.repeat}")
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
