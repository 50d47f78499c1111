"""The browser walk (issue 16): each user's main task done end to end in headless Chromium on
`kith serve`, logged in with their own role, a screenshot after every step under
tests/artifacts/walk-<who>-<n>-<step>.png, and on every screen no Streamlit exception, no script
error and no 404 (item 8: a direct link to a page probes no `/<page>/_stcore/health`).

A walk is a list of steps; a step is one function `(page, world)` that acts like the person
would and checks what the screen then shows. A task that is not on the dashboard yet is one
function to add to its walk."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine import Workspace
from engine.catalog.vocab import SYSTEM_PROPERTIES
from tests.dashboard.browser import ARTIFACTS, chromium, new_page, serving, settle

pytestmark = pytest.mark.xdist_group("dashboard")

PASSWORD = "walk-password-1"
PEOPLE = {"agent": "agent", "marketer": "marketer", "analyst": "analyst", "manager": "viewer"}
ROW = 35  # the height of a table row (and of its header) in Streamlit's data grid, in pixels


@dataclass
class World:
    """What the walks know about the workspace before they start."""

    base: str
    person: dict[str, Any]  # someone the agent looks up
    duplicate: int  # a second profile of that person
    fields: list[str]  # the Properties tab's fields, in order
    drop: Path  # the directory of the file-drop destination the marketer syncs to
    buyers: int  # how many people `did purchase` matches
    problems: list[str] = field(default_factory=list)  # 404s and script errors seen


@pytest.fixture(scope="module")
def world(seeded_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    db = tmp_path_factory.mktemp("walk") / "kith.duckdb"
    db.write_bytes(seeded_file.read_bytes())
    with Workspace.open(db) as ws:
        for username, role in PEOPLE.items():
            ws.users.create(username, role, PASSWORD)
        person = ws.profiles.list(limit=1).rows.iloc[0].to_dict()
        twin = ws.profiles.create(
            {"email": "second.address@example.com"}, {"name": person["name"]}, actor="test"
        )
        fields = [n for n in ws.catalog.properties()["name"] if n not in SYSTEM_PROPERTIES]
        for goal in ws.goals.list()["name"]:  # the manager reads goals against their targets
            ws.goals.set_target(goal, 0.3)
        drop = tmp_path_factory.mktemp("drop")  # an admin made the destination the marketer uses
        ws.activation.create_destination("drop", "file", {"directory": str(drop), "format": "csv"})
        buyers = ws.segments.count("did purchase")
    with serving(db) as base:
        yield World(base, person, twin.id, fields, drop, buyers)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def _watch(page: Any, world: World) -> None:
    page.on("pageerror", lambda err: world.problems.append(f"script error: {err}"))
    page.on(
        "response",
        lambda r: r.status == 404 and world.problems.append(f"404: {r.url}"),
    )


def _log_in(page: Any, world: World, username: str) -> None:
    page.goto(world.base + "login", wait_until="domcontentloaded")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(world.base, timeout=30_000)


def _shown(page: Any, text: str | re.Pattern[str], timeout: float = 30_000) -> None:
    page.get_by_text(text).first.wait_for(timeout=timeout)


def _grid(page: Any, index: int = 0) -> Any:
    return page.locator('[data-testid="stDataFrame"]').nth(index)


def _cell(grid: Any, row: int, x: float) -> tuple[float, float]:
    """Where a row of a data grid is drawn, `x` pixels from the left (from the right when
    negative): the grid is a canvas under a header row."""
    box = grid.locator("canvas").first.bounding_box()
    left = box["x"] + (x if x >= 0 else box["width"] + x)
    return left, box["y"] + ROW * (row + 1) + ROW / 2


def _click_row(page: Any, grid: Any, row: int, x: float) -> None:
    page.mouse.click(*_cell(grid, row, x))


# ---- the agent ---------------------------------------------------------------------------------


def find_a_person(page: Any, world: World) -> None:
    page.goto(world.base + "people", wait_until="load")
    settle(page)
    page.get_by_placeholder("Search by name").fill(str(world.person["email"]))
    page.keyboard.press("Enter")
    _shown(page, "people match")
    settle(page)
    _click_row(page, _grid(page), 0, 120)  # a click on the person's name opens them
    page.wait_for_url(re.compile(r"/profile\?id="), timeout=30_000)
    settle(page)
    assert page.locator("h1").first.inner_text().strip() == world.person["name"]


def fix_a_field(page: Any, world: World) -> None:
    city = _cell(_grid(page), world.fields.index("city"), -40)  # the value column is last
    page.mouse.dblclick(*city)  # opens the cell's editor
    editor = page.locator('[data-testid="glide-cell-editor"] textarea, #portal textarea')
    editor.first.wait_for(timeout=10_000)
    editor.first.fill("Porto")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)  # the grid hands the edit to its form a moment later
    page.get_by_role("button", name="Save changes").click()
    _shown(page, "Saved city")
    settle(page)


def merge_a_duplicate(page: Any, world: World) -> None:
    page.get_by_role("tab", name="Merge").click()
    settle(page)
    search = page.get_by_label("Find the profile to merge into this one")
    search.fill("second.address@example.com")  # the duplicate's other address
    search.press("Enter")  # the search runs; its one result is the profile picked to merge
    settle(page)
    page.get_by_role("button", name="Preview merge").click()
    page.get_by_role("button", name="Merge", exact=True).click()
    _shown(page, "Merged")
    settle(page)
    assert page.get_by_role("button", name="Unmerge").is_visible()


def add_a_note(page: Any, world: World) -> None:
    page.get_by_role("tab", name="Notes").click()
    settle(page)
    page.get_by_label("New note").fill("Called back about the order; prefers WhatsApp.")
    page.get_by_role("button", name="Add note").click()
    settle(page)
    assert page.get_by_text("prefers WhatsApp", exact=False).first.is_visible()


# ---- the marketer ------------------------------------------------------------------------------


def _editor(page: Any) -> Any:
    return page.get_by_role("textbox", name="Segment expression")


def write_a_segment(page: Any, world: World) -> None:
    """Letters only, no key to apply: the completion and the count follow the typing."""
    page.goto(world.base + "segments", wait_until="load")
    settle(page)
    page.get_by_role("tab", name="Editor").click()
    _editor(page).click()
    page.keyboard.type("did pur", delay=60)
    page.get_by_role("button", name="purchase", exact=True).click()  # offered while typing
    _shown(page, "Matching people right now")
    settle(page)
    assert _editor(page).input_value() == "did purchase "
    assert page.get_by_text(f"{world.buyers:,}", exact=True).first.is_visible()


def save_the_segment(page: Any, world: World) -> None:
    page.get_by_role("textbox", name="Name", exact=True).first.fill("recent_buyers")
    page.get_by_role("button", name="Save segment").click()
    _shown(page, "Saved segment")
    settle(page)


def sync_the_segment(page: Any, world: World) -> None:
    """Sync it to the file drop from Destinations; the server's clock delivers a snapshot."""
    page.goto(world.base + "destinations", wait_until="load")
    settle(page)
    page.get_by_role("tab", name="Syncs").click()
    _pick(page, "Segment", "recent_buyers")
    _pick(page, "Destination", "drop")
    page.get_by_role("button", name="Start syncing").click()
    _shown(page, "Syncing recent_buyers to drop")
    settle(page)
    delivered = _delivered(world.drop)
    assert len(delivered) == world.buyers, delivered[:3]
    page.reload(wait_until="load")  # the screenshot shows the sync after its delivery
    settle(page)
    page.get_by_role("tab", name="Syncs").click()
    settle(page)


def _pick(page: Any, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=re.compile(f"^{label}"))
    box.first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _delivered(directory: Path, seconds: float = 30) -> list[str]:
    """The rows of the first file the destination wrote (waits for the clock's next run)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        files = sorted(directory.glob("*-snapshot.csv"))
        if files:
            return files[0].read_text().splitlines()[1:]
        time.sleep(0.5)
    raise AssertionError(f"nothing was delivered to {directory} in {seconds} s")


# ---- the analyst -------------------------------------------------------------------------------


def build_a_campaign_funnel(page: Any, world: World) -> None:
    page.goto(world.base + "funnels", wait_until="load")
    settle(page)
    page.get_by_role("button", name="Campaign preset").click()
    settle(page)
    _shown(page, "Funnel by breakdown")  # the preset's four steps, by campaign
    assert page.locator('[data-testid="stPlotlyChart"]').first.is_visible()
    assert page.get_by_text("link_clicked").count() > 0  # the fourth step


def drill_down(page: Any, world: World) -> None:
    page.get_by_role("button", name="Show people").click()
    _shown(page, re.compile(r"^[\d,]+ people$"))
    settle(page)
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Open profile")
    chosen = picker.locator("input").first.input_value()
    assert re.search(r" · #\d+$", chosen), chosen  # people by name, the id beside
    page.get_by_test_id("stBaseButton-secondary").filter(has_text=re.compile(r"Open$")).click()
    page.wait_for_url(re.compile(r"/profile\?id="), timeout=30_000)
    settle(page)


# ---- the manager -------------------------------------------------------------------------------


def check_goals_against_targets(page: Any, world: World) -> None:
    page.goto(world.base + "goals", wait_until="load")
    settle(page)
    _shown(page, "of the target reached")
    _shown(page, "pts vs target")


def audit_consent(page: Any, world: World) -> None:
    page.goto(world.base + "consent", wait_until="load")
    settle(page)
    _shown(page, "Violations")


Step = Callable[[Any, World], None]
WALKS: dict[str, list[Step]] = {
    "agent": [find_a_person, fix_a_field, merge_a_duplicate, add_a_note],
    "marketer": [write_a_segment, save_the_segment, sync_the_segment],
    "analyst": [build_a_campaign_funnel, drill_down],
    "manager": [check_goals_against_targets, audit_consent],
}


@pytest.mark.parametrize("who", list(WALKS))
def test_walk(who: str, world: World, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = new_page(browser)
    _watch(page, world)
    _log_in(page, world, who)
    for number, step in enumerate(WALKS[who], start=1):
        shot = ARTIFACTS / f"walk-{who}-{number}-{step.__name__}.png"
        try:
            step(page, world)
        finally:  # a failed step's screen is kept too: it shows what went wrong
            page.screenshot(path=str(shot), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0, step.__name__
        assert world.problems == [], step.__name__
    page.context.close()


def test_a_direct_link_to_every_page_probes_nothing(world: World, browser: Any) -> None:
    page = new_page(browser)
    _watch(page, world)
    _log_in(page, world, "agent")
    for path in ("people", "events", "consent", "rules", f"profile?id={world.person['id']}"):
        page.goto(world.base + path, wait_until="load")
        settle(page)
        assert world.problems == [], path
    page.context.close()
