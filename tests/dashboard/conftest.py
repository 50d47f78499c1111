"""A small seeded workspace built once per test session (per xdist worker) with the demo
generator, copied for each test so screens that change data never disturb each other; and a
helper that runs a dashboard screen through Streamlit's AppTest on it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app import state
from engine import Workspace
from engine.access.policy import Actor
from engine.demo.load import build
from engine.demo.spec import DemoSpec

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "app" / "main.py"
SEED_PROFILES = 200
# AppTest sends no cookie: the screens act for this admin, as if logged in
TEST_ADMIN = Actor(name="test-admin", role="admin")


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace (200 profiles, 30 days) built once; tests use copies of it."""
    path = tmp_path_factory.mktemp("seed") / "seed.duckdb"
    with Workspace.open(path) as ws:
        build(ws, DemoSpec(profiles=SEED_PROFILES, days=30))
    return path


@pytest.fixture
def seeded(
    seeded_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    """A private copy of the seeded workspace, installed as the process's workspace."""
    path = tmp_path / "kith.duckdb"
    shutil.copy(seeded_file, path)
    monkeypatch.setenv("KITH_DB", str(path))
    ws = Workspace.open(path)
    state.set_workspace(ws)
    state.set_local_actor(TEST_ADMIN)
    yield ws
    state.set_local_actor(None)
    state.set_workspace(None)
    ws.close()


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A fresh, empty workspace installed as the process's workspace."""
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("KITH_DB", str(path))
    ws = Workspace.open(path)
    state.set_workspace(ws)
    state.set_local_actor(TEST_ADMIN)
    yield ws
    state.set_local_actor(None)
    state.set_workspace(None)
    ws.close()


Screen = Callable[..., AppTest]


@pytest.fixture
def screen() -> Screen:
    """`screen("people", id="7")` runs pages/people.py with those query parameters and returns
    the AppTest after the run. With `via_main=True` it runs app/main.py first and switches to
    the page, so navigation between screens (st.switch_page) works as in the app; that costs a
    render of the Overview, so only tests that navigate ask for it."""

    def run(page: str, *, via_main: bool = False, **query: str) -> AppTest:
        script = ROOT / "pages" / f"{page}.py"
        at = AppTest.from_file(MAIN if via_main else script, default_timeout=60)
        if via_main:
            at.run()
            at.switch_page(str(script))
        at.query_params.update(query)
        return at.run()

    return run


def shown(markdown: str) -> str:
    """The text a reader sees for Markdown made by `app.ui.literal` (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def no_errors(at: AppTest) -> None:
    """The run raised nothing and showed no error callout."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# ---- the segment editor ---------------------------------------------------------------------
# The editor is a custom component whose JavaScript runs only in a browser (the typing itself is
# tested in headless Chromium: tests/dashboard/test_walk.py). AppTest cannot drive it, so these
# helpers do what its typing does: put the text in `st.session_state["seg_text"]`, where the
# page reads the editor's text, and run the script again.

EDITOR = "seg_text"


def write_expression(at: AppTest, text: str) -> AppTest:
    """Type `text` into the Segments screen's editor (see above) and rerun."""
    at.session_state[EDITOR] = text
    return at.run()


def expression(at: AppTest) -> str:
    """The editor's text."""
    return str(at.session_state[EDITOR])


def editor_data(at: AppTest) -> dict[str, Any]:
    """What the page handed the editor component to draw: text, completions..."""
    component = next(
        e for e in at.get("bidi_component") if e.proto.id.endswith(EDITOR + "_component")
    )
    return dict(json.loads(component.proto.json))
