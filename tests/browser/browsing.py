"""Helpers of the browser tests: the real server (``trial serve``) driven by Playwright in Debian's Chromium.

Chromium comes from Debian (`.ci/run` installs it); Playwright never downloads a browser here.
Screenshots of every page are written to ``test-output/screenshots/`` (not committed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("TRIAL_SCREENSHOTS", ROOT / "test-output" / "screenshots"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = {  # url path → the page's title (Home is the default page, at the root)
    "": "Welcome, browser",
    "upload": "Upload site files",
    "subject": "Subject profile",
    "queries": "Data queries",
    "overview": "Study overview",
    "tolerability": "Tolerability",
    "efficacy": "Efficacy",
    "assessments": "Pull test & global assessment",
    "reports": "Reports",
    "admin": "Administration",
}
DESKTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: Path, log: Path):
    """Start ``trial serve`` on ``db``; returns the process and base URL once the server answers."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "trial.cli", "serve", "--db", str(db), "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "TRIAL_USER": "browser"})
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            raise RuntimeError(f"trial serve stopped: {log.read_text(errors='replace')[-2000:]}")
    else:
        process.kill()
        raise RuntimeError(f"trial serve did not answer within 90 s: {log.read_text(errors='replace')[-2000:]}")
    return process, url


def open_page(browser, url: str, viewport: dict):
    """A new tab at ``url``, returned once Streamlit has finished running the page."""
    page = browser.new_page(viewport=viewport)
    page.goto(url, wait_until="domcontentloaded")
    settle(page)
    return page


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the app has drawn a title and is no longer running the script."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=timeout,
    )
    page.wait_for_timeout(600)  # charts draw after the script has finished


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its own container, so the viewport is made as tall
    as the content before the picture is taken."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }"
    )
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(max(int(height), 600), 12000)})
    page.wait_for_timeout(400)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(browser, url: str, user_name: str, password: str, viewport: dict | None = None):
    """A new tab signed in as ``user_name`` (on the sign-in page every address shows), at Home."""
    page = open_page(browser, url, viewport or DESKTOP)
    page.get_by_label("User name").fill(user_name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Welcome").first.wait_for(timeout=60_000)
    settle(page)
    return page


def go(page, url: str) -> None:
    """Move a signed-in tab to another page through the app's navigation (a new address would
    start a new browser session, which signs out)."""
    path = urlparse(url).path.strip("/")
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click()
    page.wait_for_timeout(300)
    settle(page)
