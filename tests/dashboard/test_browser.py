"""The real thing end to end: `kith serve` on loopback and every screen in headless Chromium.
Logged in as an admin, no screen shows a Streamlit exception box (a screenshot of each lands
under tests/artifacts/); without a session every URL shows the login page and no data; an agent
sees Import / Export only once an admin allowed it; nothing is fetched from beyond the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Workspace
from tests.dashboard.browser import (
    ARTIFACTS,
    add_users,
    chromium,
    log_in,
    new_page,
    serving,
    settle,
)

SCREENS = {
    "overview": "",
    "people": "people",
    "profile": "profile?id={profile}",
    "segments": "segments",
    "events": "events",
    "funnels": "funnels",
    "goals": "goals",
    "trends": "trends",
    "retention": "retention",
    "rules": "rules",
    "consent": "consent",
    "properties": "properties",
    "transfer": "transfer",
    "settings": "settings",
}

pytestmark = pytest.mark.xdist_group("dashboard")


@pytest.fixture(scope="module")
def served(
    seeded_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The base URL of a running `kith serve` on a copy of the seeded workspace (with an admin
    and an agent), and one of its profiles."""
    db = tmp_path_factory.mktemp("browser") / "kith.duckdb"
    db.write_bytes(seeded_file.read_bytes())
    add_users(db)
    with Workspace.open(db) as ws:
        profile = ws.profiles.list(limit=1).rows.iloc[0].to_dict()
    with serving(db) as base:
        yield base, profile


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def admin_page(served: tuple[str, dict[str, Any]], browser: Any) -> Any:
    """The admin's page; every request it makes beyond the server is refused and recorded
    (`page.elsewhere`): the dashboard works offline."""
    page = new_page(browser)
    page.elsewhere = []
    page.context.route(lambda url: not url.startswith(served[0]), lambda r: _refuse(page, r))
    log_in(page, served[0], "admin")
    return page


def _refuse(page: Any, route: Any) -> None:
    page.elsewhere.append(route.request.url)
    route.abort()


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_renders_without_exception(
    name: str, served: tuple[str, dict[str, Any]], admin_page: Any
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base, profile = served
    admin_page.goto(base + SCREENS[name].format(profile=profile["id"]), wait_until="load")
    settle(admin_page)
    admin_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert admin_page.locator('[data-testid="stException"]').count() == 0
    assert admin_page.locator("h1").first.inner_text().strip()
    assert admin_page.elsewhere == []  # no CDN: icons, fonts and scripts are served locally


def test_without_a_session_every_url_shows_the_login_page(
    served: tuple[str, dict[str, Any]], browser: Any
) -> None:
    base, profile = served
    page = new_page(browser)
    for name, path in SCREENS.items():
        page.goto(base + path.format(profile=profile["id"]), wait_until="load")
        assert page.url.startswith(base + "login?next="), name
        assert page.locator("form#login").is_visible()
        html = page.content()
        assert "stApp" not in html and str(profile["email"]) not in html, name
    page.screenshot(path=str(ARTIFACTS / "login.png"), full_page=True)
    page.context.close()


def _transfer_screen(page: Any, base: str) -> bool:
    """Whether the Import / Export screen is there for this user (the menu collapses its long
    list behind "View more", so the screen's own URL is asked instead)."""
    page.goto(base + "transfer", wait_until="load")
    settle(page)
    return page.get_by_text("Profiles CSV").count() > 0


def test_agent_sees_import_export_only_once_an_admin_allows_it(
    served: tuple[str, dict[str, Any]], admin_page: Any, browser: Any
) -> None:
    base, _ = served
    agent = new_page(browser)
    log_in(agent, base, "agent")
    assert not _transfer_screen(agent, base)
    admin_page.goto(base + "settings", wait_until="load")
    settle(admin_page)
    admin_page.get_by_role("tab", name="Team").click()
    admin_page.get_by_text("Agent can import & export customer data").click()
    admin_page.get_by_text("Agents may now import and export.").wait_for(timeout=30_000)
    assert _transfer_screen(agent, base)
    agent.screenshot(path=str(ARTIFACTS / "agent-transfer.png"), full_page=True)
    agent.context.close()
