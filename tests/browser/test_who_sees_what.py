"""Who sees what, in a real browser: nobody sees a page before signing in; each blinded role opens
every page it can reach and downloads every export there, and finds no arm code, arm label or
per-arm statistic anywhere; a site-S01 user never receives a site-S02 subject."""

from __future__ import annotations

import re

import pytest
from browsing import DESKTOP, go, open_page, screenshot, settle, sign_in, visit_every_page
from helpers import TEAM_PASSWORD

ARM_WORDS = re.compile(r"\bMINOX(_MN)?\b|Topical minoxidil 5 %(?! with or without)|Minoxidil 5 % \+ microneedling|\bMICRONEEDLING\b|"
                       r"[Rr]isk difference|ANCOVA|[Dd]ifference between arms")
# (the arm labels; the control's is also the start of the study's title, which everyone may read)
OTHER_SITE = re.compile(r"\bS02-\d+")


@pytest.fixture(params=["duckdb", "postgresql"])
def served(request):
    """The team's study served from each engine: the embedded file, and PostgreSQL (acting as each
    signed-in account's role)."""
    return request.getfixturevalue("team_server" if request.param == "duckdb" else "team_server_on_postgresql")


@pytest.mark.slow
def test_nothing_shows_before_sign_in_and_a_wrong_password_gets_a_sentence(browser, served):
    url, _ = served
    page = open_page(browser, f"{url}/efficacy", DESKTOP)
    try:
        assert page.locator("h1").first.inner_text().strip() == "Sign in"
        assert not ARM_WORDS.search(page.content()) and "S01-" not in page.content()
        page.get_by_label("User name").fill("mona")
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("The name or the password is wrong.").wait_for(timeout=30_000)
        screenshot(page, "sign-in-refused")
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("who", ["mona", "eve"])
def test_a_blinded_role_finds_no_arm_on_any_page_or_download(browser, served, who):
    url, _ = served
    page = sign_in(browser, url, who, TEAM_PASSWORD)
    try:
        seen = visit_every_page(page, url, who)
        expected = {"mona": {"home", "subject", "queries", "overview", "tolerability", "efficacy", "assessments"},
                    "eve": {"home", "upload", "queries", "efficacy", "assessments"}}[who]
        assert set(seen) == expected
        for path, text in seen.items():
            found = ARM_WORDS.search(text)
            assert found is None, f"{who} sees {found.group(0)!r} on {path}"
        if who == "eve":  # an evaluator of site S02 sees none of S01's subjects either
            assert not any(re.search(r"\bS01-\d+", text) for text in seen.values())
    finally:
        page.close()


@pytest.mark.slow
def test_a_site_user_never_receives_another_sites_subject(browser, served):
    url, _ = served
    page = sign_in(browser, url, "sam", TEAM_PASSWORD)
    try:
        seen = visit_every_page(page, url, "sam")
        assert {"upload", "subject", "overview"} <= set(seen) and "reports" not in seen and "admin" not in seen
        for path, text in seen.items():
            found = OTHER_SITE.search(text)
            assert found is None, f"sam (S01) receives {found.group(0)} on {path}"
        assert re.search(r"\bS01-\d+", seen["subject"])  # their own subjects are there
    finally:
        page.close()


@pytest.mark.slow
def test_the_statistician_sees_the_arms_and_their_download_in_the_trail_and_signs_out(browser, served):
    url, _ = served
    page = sign_in(browser, url, "stat", TEAM_PASSWORD)
    try:
        go(page, f"{url}/efficacy")
        # the page waits for the ARD the sign-in started computing (no status widget shows meanwhile)
        page.get_by_text("Primary endpoint").first.wait_for(timeout=120_000)
        assert "Minoxidil 5 % + microneedling" in page.content()
        with page.expect_download(timeout=60_000):
            page.locator('[data-testid="stDownloadButton"] button').first.click()
        go(page, f"{url}/admin")  # the download is in the audit trail
        page.locator('[role="gridcell"]').first.wait_for(state="attached")
        cells = page.locator('[role="gridcell"]').all_inner_texts()
        assert "EXPORT" in cells
        screenshot(page, "stat-admin")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_timeout(500)
        settle(page)
        assert page.locator("h1").first.inner_text().strip() == "Sign in"
    finally:
        page.close()
