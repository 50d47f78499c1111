"""Stored text is text: a workspace whose every user-controlled field holds Markdown, HTML,
`:red[...]` and bracket-breaking values renders, on every screen in headless Chromium, no link,
no image and no styled text made from that data, and the browser fetches nothing from the site
the data points at. Screenshots land under tests/artifacts/hostile-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from engine import Workspace
from engine.demo.load import build
from engine.demo.spec import DemoSpec
from tests.dashboard.browser import (
    ARTIFACTS,
    add_users,
    chromium,
    log_in,
    new_page,
    serving,
    settle,
)

pytestmark = pytest.mark.xdist_group("dashboard")

LINK = "[pwnlink](https://evil.example/login)"
IMAGE = "![pwnimg](https://evil.example/t.png)"
HOSTILE = f"{LINK} {IMAGE} **pwnbold** :red[pwnred] <b>pwnhtml</b> ]["
# each marker word is shown only with the markup that would have styled it still around it
MARKERS = {"pwnlink": "[", "pwnimg": "![", "pwnbold": "**", "pwnred": ":red[", "pwnhtml": "<b>"}
LABELS = [LINK, ":red[pwnred] **pwnbold** ][", "<b>pwnhtml</b> " + IMAGE[:30]]


def _hostile_people(ws: Workspace) -> list[int]:
    ws.catalog.define_property("note", "string", description=HOSTILE)
    made = [
        ws.profiles.create(
            {"email": f"hostile{i}@example.com", "user_id": f"{HOSTILE} {i}"},
            {"name": f"{HOSTILE} {i}", "company": HOSTILE, "city": HOSTILE, "note": HOSTILE},
            actor="test",
        ).id
        for i in (1, 2)
    ]
    for label in LABELS:
        ws.labels.add(made, label, actor="test")
    ws.consent.set(made[0], "email", "granted", source=HOSTILE, actor="test")
    return made


def _hostile_definitions(ws: Workspace) -> None:
    ws.segments.save(
        "hostile seg", kind="dynamic", expression=f'company = "{HOSTILE}"', description=HOSTILE
    )
    ws.rules.add(HOSTILE, f'when purchase then add label "{LABELS[0]}"')
    ws.goals.define(f'goal "{HOSTILE}": start page_view target signup')
    ws.catalog.register_event_type("x_y", display_name=HOSTILE, description=HOSTILE, properties={})
    message = {"type": "track", "userId": f"{HOSTILE} 1", "properties": {"campaign": HOSTILE}}
    # event names are normalised to identifiers on the way in; their payloads are kept as sent
    ws.ingest.messages([{**message, "event": "purchase"}, {**message, "event": "page_view"}])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[int]]]:
    db = tmp_path_factory.mktemp("hostile") / "kith.duckdb"
    with Workspace.open(db) as ws:
        build(ws, DemoSpec(profiles=20, days=7))
        people = _hostile_people(ws)
        _hostile_definitions(ws)
    add_users(db)
    with serving(db) as base:
        yield base, people


@pytest.fixture(scope="module")
def page(hostile: tuple[str, list[int]]) -> Iterator[Any]:
    with chromium() as browser:
        opened = new_page(browser)
        fetched: list[str] = []
        opened.context.route("**/*evil.example*", lambda route: _refuse(route, fetched))
        opened.fetched = fetched
        log_in(opened, hostile[0], "admin")
        yield opened


def _refuse(route: Any, fetched: list[str]) -> None:
    fetched.append(route.request.url)
    route.abort()


def _shown_literally(page: Any, screen: str) -> int:
    """Assert the page holds no link or image from the data and every marker word sits inside
    its own literal markup; returns how many marker words were found."""
    found = page.evaluate(
        "() => ({text: document.body.textContent,"
        " links: [...document.querySelectorAll('a[href*=\"evil\"]')].map(a => a.outerHTML),"
        " images: [...document.querySelectorAll('img[src*=\"evil\"]')].map(i => i.outerHTML)})"
    )
    assert found["links"] == [] and found["images"] == [], (screen, found["links"])
    text, count = found["text"], 0
    for word, markup in MARKERS.items():
        start = text.find(word)
        while start != -1:
            assert text[start - len(markup) : start] == markup, (
                screen,
                text[start - 40 : start + 40],
            )
            count += 1
            start = text.find(word, start + 1)
    assert page.locator('[data-testid="stException"]').count() == 0, screen
    return count


SCREENS = {
    "overview": "",
    "people": "people",
    "segments": "segments",
    "events": "events",
    "funnels": "funnels",
    "goals": "goals",
    "consent": "consent",
    "properties": "properties",
    "transfer": "transfer",
    "settings": "settings",
}
# screens that show stored text outside tables: the markers must appear there
SHOWS_TEXT = {"overview", "segments", "goals", "profile", "rules", "merge"}


def _visit(page: Any, url: str, name: str) -> int:
    page.goto(url, wait_until="load")
    settle(page)
    count = _shown_literally(page, name)
    page.screenshot(path=str(ARTIFACTS / f"hostile-{name}.png"), full_page=True)
    return count


def test_every_screen_shows_stored_text_literally(
    page: Any, hostile: tuple[str, list[int]]
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base, people = hostile
    counts = {name: _visit(page, base + path, name) for name, path in SCREENS.items()}
    counts["profile"] = _visit(page, f"{base}profile?id={people[0]}", "profile")
    page.get_by_role("tab", name="Merge").click()
    search = page.get_by_label("Find the profile to merge into this one")
    search.fill("hostile2@example.com")
    search.press("Enter")  # the search runs; its one result is the profile picked to merge
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "hostile-merge-search.png"), full_page=True)
    page.get_by_role("button", name="Preview merge").click()
    # the preview names both people (their hostile names, literally) above the Merge button
    page.get_by_role("button", name="Merge", exact=True).wait_for(timeout=30_000)
    counts["merge"] = _shown_literally(page, "merge")
    page.screenshot(path=str(ARTIFACTS / "hostile-merge.png"), full_page=True)
    page.goto(base + "rules", wait_until="load")
    settle(page)
    page.get_by_role("button", name="Delete").first.click()
    page.wait_for_selector("text=Its log stays", timeout=30_000)
    counts["rules"] = _shown_literally(page, "rules")
    page.screenshot(path=str(ARTIFACTS / "hostile-rules.png"), full_page=True)
    assert all(counts[name] > 0 for name in SHOWS_TEXT), counts
    assert page.fetched == []


def test_the_segment_editor_offers_stored_names_as_text(page: Any, hostile: Any) -> None:
    """The editor component draws completions itself (as text nodes, never markup)."""
    page.goto(hostile[0] + "segments", wait_until="load")
    settle(page)
    page.get_by_role("tab", name="Editor").click()
    page.get_by_role("textbox", name="Segment expression").click()
    page.keyboard.type('has label "')
    offered = page.locator(".kith-completions button")
    offered.first.wait_for(timeout=30_000)
    labels = offered.all_inner_texts()
    assert "<b>pwnhtml</b> " + IMAGE[:30] in labels and LINK in labels, labels
    for tag in ("a", "b", "img"):
        assert page.locator(f".kith-completions {tag}").count() == 0, tag
    page.screenshot(path=str(ARTIFACTS / "hostile-segment-editor.png"), full_page=True)
    assert page.fetched == []
