"""Every page in a real browser: it opens with no exception shown, at desktop and phone sizes, and
an upload through the page loads a good file and shows the bad line of a bad one."""

from __future__ import annotations

import pytest
from browsing import DESKTOP, PAGES, PHONE, choose_files, open_page, screenshot, settle
from helpers import (
    RANDOMIZATION_HEADER,
    RANDOMIZATION_ROWS,
    SUBJECTS_HEADER,
    SUBJECTS_ROWS,
    csv_bytes,
)


@pytest.mark.slow
@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p or "home")
def test_every_page_opens_without_an_exception(browser, demo_server, path):
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_page(browser, f"{demo_server}/{path}", viewport)
        try:
            assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()
            assert page.locator("h1").first.inner_text().strip() == PAGES[path]
            if size == "desktop":  # opened by its own link, the page still runs inside the app and its navigation
                assert "Pull test & global assessment" in page.locator('[data-testid="stSidebarNav"]').inner_text()
            screenshot(page, f"{path or 'home'}-{size}")
        finally:
            page.close()


@pytest.mark.slow
def test_a_good_file_loads_and_a_bad_file_shows_its_line(browser, empty_server):
    url, _ = empty_server
    page = open_page(browser, f"{url}/upload", DESKTOP)
    try:
        rows = list(SUBJECTS_ROWS)
        rows[2] = rows[2].replace(",26,", ",260,")  # line 4: an age no one has
        choose_files(page, [("subjects-bad.csv", csv_bytes(SUBJECTS_HEADER, rows))])
        page.get_by_text("Rejected:").first.wait_for()
        page.locator('[role="gridcell"]').first.wait_for(state="attached")
        cells = page.locator('[role="gridcell"]').all_inner_texts()  # the grid's accessible cells
        assert cells[:3] == ["4", "age", "260"]  # line, column, value
        assert any("outside the allowed range" in cell for cell in cells)
        screenshot(page, "upload-rejected")

        page.goto(f"{url}/upload", wait_until="domcontentloaded")  # a fresh picker
        settle(page)
        choose_files(page, [("randomization.csv", csv_bytes(RANDOMIZATION_HEADER, RANDOMIZATION_ROWS)),
                             ("subjects.csv", csv_bytes(SUBJECTS_HEADER, SUBJECTS_ROWS))])
        page.get_by_text("Ready to load").first.wait_for()
        screenshot(page, "upload-ready")
        page.get_by_role("button", name="Upload 2 file(s)").click()
        outcome = page.get_by_text("Loaded 2 of 2 file(s)")
        outcome.wait_for(timeout=60_000)
        screenshot(page, "upload-loaded")
        text = page.locator('[data-testid="stAlert"]').first.inner_text()
        assert f"{len(SUBJECTS_ROWS)} new" in text and f"{len(RANDOMIZATION_ROWS)} new" in text
    finally:
        page.close()
