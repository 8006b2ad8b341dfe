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


def serve(db: Path | str, log: Path):
    """Start ``trial serve`` on ``db`` (a file, or a PostgreSQL study's URL); returns the process and
    base URL once the server answers."""
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


def nav_paths(page) -> list[str]:
    """The url paths of the pages in the signed-in person's navigation, Home ("") first."""
    hrefs = page.locator('[data-testid="stSidebarNav"] a').evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [urlparse(href).path.strip("/") for href in hrefs]


def everything(page) -> str:
    """The page as the person receives it: its text and charts in every tab, the cells of its tables
    (drawn on a canvas; the grid's accessible cells hold the rows shown), and every download."""
    parts = [page.content(), *page.locator('[role="gridcell"]').all_inner_texts()]
    tabs = page.locator('[data-baseweb="tab"]')
    for tab in [None, *(tabs.nth(n) for n in range(tabs.count()))]:
        if tab is not None:
            tab.click()
            page.wait_for_timeout(400)
            settle(page)  # a tab that reruns the page (bound to the address) draws once the run is over
            parts += [page.content(), *page.locator('[role="gridcell"]').all_inner_texts()]
        buttons = page.locator('[data-testid="stDownloadButton"] button')
        for number in range(buttons.count()):
            if not buttons.nth(number).is_visible():
                continue  # in another tab: downloaded there
            parts.append(download_of(page, buttons.nth(number)).read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def download_of(page, button, tries: int = 3) -> Path:
    """The file a download button gives. A deferred download's bytes are made when the browser asks for
    them, by the page run that drew the button: a click that lands while the page runs again (a tab
    that reruns it, on a loaded machine) asks a run that is gone, and no file comes. Then the page is
    let settle and the button, drawn anew, clicked again; the third miss fails, naming the button."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, tries + 1):
        try:
            with page.expect_download(timeout=60_000) as download:  # it writes its audit row first; CI machines are slow
                button.click()
            return Path(download.value.path())
        except PlaywrightTimeout:
            if attempt == tries:
                raise AssertionError(f"no file came from the download button {button.inner_text()!r} on {page.url} "
                                     f"after {tries} clicks") from None
            settle(page)
    raise AssertionError("unreachable")


def visit_every_page(page, url: str, who: str) -> dict[str, str]:
    """Every page of the signed-in tab's navigation, through the navigation: url path (home for
    Home) → :func:`everything` on it. A screenshot of each is kept."""
    seen = {}
    for path in nav_paths(page):
        if seen:  # the first link is Home, where signing in lands
            go(page, f"{url}/{path}")
        assert page.locator('[data-testid="stException"]').count() == 0, (who, path)
        seen[path or "home"] = everything(page)
        screenshot(page, f"{who}-{path or 'home'}")
    return seen


def choose_files(page, files: list[tuple[str, bytes]]) -> None:
    """Put ``files`` (name, bytes) in the Upload page's file picker, and wait for the check."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [{"name": name, "mimeType": "text/csv", "buffer": content} for name, content in files]
    )
    page.wait_for_timeout(500)
    settle(page)
