"""The real thing end to end: `kith serve` on loopback, every screen in headless Chromium, no
Streamlit exception box anywhere, and a screenshot of each screen under tests/artifacts/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine import Workspace

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kith serve exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise TimeoutError(f"kith serve did not answer at {url}")


def _some_profile(db: Path) -> int:
    with Workspace.open(db) as ws:
        return int(ws.profiles.list(limit=1).rows["id"].iloc[0])


@pytest.fixture(scope="module")
def server(
    seeded_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """The base URL of a running `kith serve` on a copy of the seeded workspace, and the id of
    one of its profiles."""
    db = tmp_path_factory.mktemp("browser") / "kith.duckdb"
    db.write_bytes(seeded_file.read_bytes())
    profile = _some_profile(db)
    port = _free_port()
    kith = Path(sys.executable).with_name("kith")
    cmd = [str(kith), "serve", "--db", str(db), "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "KITH_DB": str(db)})
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(base, proc)
        yield base, profile
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    profile_dir = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 2000},
        )
        yield context.new_page()
        context.close()


def _settle(page: object, seconds: float = 45) -> None:
    """Wait until the screen stopped changing: a title is shown, no element is still a loading
    skeleton (charts and tables load lazily), and the page has looked the same for ~1.2 s."""
    page.wait_for_selector("h1", timeout=30_000)
    deadline = time.monotonic() + seconds
    last, calm = None, 0
    while calm < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(400)
        shape = page.evaluate(
            "() => [document.querySelectorAll('[data-testid]').length,"
            " document.querySelectorAll('[data-testid=\"stSkeleton\"]').length]"
        )
        calm = calm + 1 if shape == last and shape[1] == 0 else 0
        last = shape
    assert calm >= 3, f"the page kept changing for {seconds} s: {last}"


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_renders_without_exception(
    name: str, server: tuple[str, int], browser_page: object
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base, profile = server
    url = base + SCREENS[name].format(profile=profile)
    browser_page.goto(url, wait_until="domcontentloaded")
    _settle(browser_page)
    browser_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert browser_page.locator('[data-testid="stException"]').count() == 0
    assert browser_page.locator("h1").first.inner_text().strip()
