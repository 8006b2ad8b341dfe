"""User text is text, in a real browser: on a study whose names, file names, randomization numbers,
query texts, AE terms and lock reason hold Markdown and HTML links and images (tests/hostile.py),
served by ``trial serve``, no page holds a link or an image to the attacker's site, and the browser
never asks that site for anything. The Upload page logs a rejected file, and says so."""

from __future__ import annotations

from urllib.parse import quote, urlparse

import pytest
from browsing import DESKTOP, go, open_page, screenshot, serve, settle, sign_in
from hostile import MARKDOWN, PASSWORD, hostile_store

EVIL = "evil.example"
# every attribute of every element (SVG's xlink:href too) that points at the attacker's site
POINTING = """() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
    .filter(a => /^(href|src|xlink:href|srcset|action|data|poster)$/i.test(a.name) && a.value.includes('evil.example'))
    .map(a => `<${e.tagName.toLowerCase()} ${a.name}="${a.value}">`))"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-browser")
    db = hostile_store(folder)
    process, url = serve(db, folder / "server.log")
    yield url
    process.terminate()
    process.wait(timeout=20)


def _text(locator) -> str:
    """What a person reads (ui.plain puts an invisible word joiner after each ":" of a bare address)."""
    return locator.inner_text().replace("\u2060", "")


def _watch(page) -> list[str]:
    asked = []
    page.on("request", lambda request: asked.append(request.url) if EVIL in request.url else None)
    return asked


def _no_link_or_image(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, where
    assert page.evaluate(POINTING) == [], where
    tabs = page.locator('[data-baseweb="tab"]')
    for n in range(tabs.count()):  # what the other tabs hold
        tabs.nth(n).click()
        page.wait_for_timeout(400)
        assert page.evaluate(POINTING) == [], (where, n)


def _nav_paths(page) -> list[str]:
    hrefs = page.locator('[data-testid="stSidebarNav"] a').evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [urlparse(href).path.strip("/") for href in hrefs]


@pytest.mark.slow
@pytest.mark.parametrize("who", ["ada", "stat"])
def test_no_page_links_to_or_loads_from_the_attackers_site(browser, hostile_server, who):
    page = sign_in(browser, hostile_server, who, PASSWORD)
    asked = _watch(page)
    try:
        if who == "ada":  # the account whose full name is the Markdown
            assert "Welcome, [x](http://evil.example)" in _text(page.locator("h1").first)
        seen = []
        for path in _nav_paths(page):
            if seen:
                go(page, f"{hostile_server}/{path}")
            _no_link_or_image(page, f"{who} {path or 'home'}")
            screenshot(page, f"hostile-{who}-{path or 'home'}")
            seen.append(path)
        assert len(seen) >= 2
        assert asked == []
    finally:
        page.close()


@pytest.mark.slow
def test_the_subject_parameter_and_a_randomization_number_are_text(browser, hostile_server):
    page = open_page(browser, f"{hostile_server}/subject?subject={quote(MARKDOWN)}", DESKTOP)
    asked = _watch(page)
    try:  # the sign-in form answers at the page's address, then the page itself runs
        page.get_by_label("User name").fill("stat")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("There is no subject").wait_for(timeout=60_000)
        settle(page)
        assert MARKDOWN.upper() in _text(page.get_by_text("There is no subject"))  # said back as typed
        _no_link_or_image(page, "subject ?subject=")
        page.locator('[data-testid="stSelectbox"]').nth(1).click()
        page.get_by_role("option", name="S01-003").first.click()
        page.wait_for_timeout(500)
        settle(page)
        assert f"randomization no. {MARKDOWN}" in _text(page.locator('[data-testid="stMain"]'))
        _no_link_or_image(page, "subject S01-003")
        screenshot(page, "hostile-subject-randomization-number")
        assert asked == []
    finally:
        page.close()


@pytest.mark.slow
def test_a_file_rejected_on_the_upload_page_is_logged_and_shown_on_the_overview(browser, hostile_server):
    page = sign_in(browser, hostile_server, "sam", PASSWORD)
    asked = _watch(page)
    try:
        go(page, f"{hostile_server}/upload")
        name = f"{MARKDOWN}.csv"
        header = "site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted"
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            [{"name": name, "mimeType": "text/csv", "buffer": f"{header}\nS01,S01-001,WEEK_99,2024-04-03,VERTEX,60,2\n".encode()}])
        page.wait_for_timeout(500)
        settle(page)
        page.get_by_text("nothing is recorded until you press Upload").wait_for(timeout=60_000)
        _no_link_or_image(page, "upload, checked")
        screenshot(page, "upload-checked-rejected")
        page.get_by_role("button", name="Upload 1 file(s)").click()
        page.get_by_text("Uploaded 1 file(s); none loaded.").wait_for(timeout=60_000)
        page.get_by_role("button", name="Upload 1 file(s)").wait_for(state="detached", timeout=60_000)  # the checked batch's parts
        settle(page)
        outcome = _text(page.locator('[data-testid="stAlert"]').first)
        assert f"{name}: rejected, and recorded as upload" in outcome
        _no_link_or_image(page, "upload, uploaded")
        screenshot(page, "upload-after-rejected")
        go(page, f"{hostile_server}/overview")
        page.get_by_text("the site your account sees").wait_for(timeout=60_000)  # the page drawn past its picker
        assert "Showing site S01, the site your account sees" in _text(page.locator('[data-testid="stMain"]'))
        page.get_by_role("tab", name="Data quality").click()
        page.get_by_text("Errors of rejected uploads, by rule").wait_for(timeout=60_000)
        assert "No upload has been rejected" not in _text(page.locator('[data-testid="stMain"]'))
        screenshot(page, "overview-site-user")
        assert asked == []
    finally:
        page.close()
