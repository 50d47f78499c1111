"""What the browser tests share: `kith serve` on a workspace file, headless Chromium, logging in
through the login form, and waiting until a Streamlit screen has settled."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

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
# the people of every browser test workspace: username -> (role, password)
USERS = {
    "admin": ("admin", "admin-password-1"),
    "agent": ("agent", "agent-password-1"),
}


def add_users(db: Path) -> None:
    with Workspace.open(db) as ws:
        for username, (role, password) in USERS.items():
            ws.users.create(username, role, password)


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
            if httpx.get(url + "api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise TimeoutError(f"kith serve did not answer at {url}")


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """`kith serve` on `db`; yields its base URL (ending in /)."""
    port = _free_port()
    kith = Path(sys.executable).with_name("kith")
    cmd = [str(kith), "serve", "--db", str(db), "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "KITH_DB": str(db)})
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (playwright's Browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    return context.new_page()


def log_in(page: Any, base: str, username: str) -> None:
    """Log in through the login form as one of USERS."""
    page.goto(base + "login", wait_until="domcontentloaded")
    page.fill("#username", username)
    page.fill("#password", USERS[username][1])
    page.click("button[type=submit]")
    page.wait_for_url(base, timeout=30_000)


def settle(page: Any, seconds: float = 45) -> None:
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
