"""The query workflow end to end in a real browser, each person in a browser session of their own
(``browser.new_page`` opens a new context each time): the monitor opens a query on an S01 subject's
hair count through the page's form, site staff of S01 see it and answer it, the monitor sees it
answered and closes it; the page shows the status at each step and the history of all three.

The server holds the database file read-write for the whole test session, so the outcome is read
where a person reads it: on the page."""

from __future__ import annotations

import re

import pytest
from browsing import go, screenshot, settle, sign_in
from helpers import TEAM_PASSWORD

QUESTION = "Far above baseline: please check the source sheet."
ANSWER = "Checked against the source sheet: the count is right."


def _within(page, key: str):
    """The element made with ``key`` (Streamlit marks its container with the class ``st-key-<key>``)."""
    return page.locator(f".st-key-{key}")


def _choose(page, key: str, typed: str, option: str | re.Pattern | None = None) -> str:
    """Pick in the select box ``key``: type ``typed`` to narrow its list, then take the first option
    (or the first matching ``option``); returns the option's text."""
    box = _within(page, key).get_by_role("combobox")
    box.click()
    box.fill(typed)
    options = page.get_by_role("listbox").get_by_role("option")
    if option is not None:
        options = options.filter(has_text=option)
    chosen = options.first
    chosen.wait_for(timeout=10_000)
    text = chosen.inner_text().strip()
    chosen.click()
    settle(page)
    return text


def _press(page, button: str, then: str | re.Pattern) -> str:
    """Press ``button`` and wait for the sentence ``then`` and for the page to finish; returns the sentence."""
    page.get_by_role("button", name=button).click()
    said = page.get_by_text(then).first
    said.wait_for(timeout=60_000)
    page.wait_for_timeout(300)  # the page runs again after the write: wait for that run too
    settle(page)
    return said.inner_text().strip()


def _heading(page) -> str:
    """The heading of the query shown (``Query 3 · Open: waiting for the site``)."""
    return page.get_by_role("heading", name=re.compile(r"^Query \d+ · ")).first.inner_text().strip()


def _history(page) -> list[list[str]]:
    """The history table's rows: #, when, who, step, text, upload cited, file."""
    rows = _within(page, "query_history").locator("tbody tr")
    rows.first.wait_for(timeout=30_000)
    return [[cell.strip() for cell in rows.nth(n).locator("td, th").all_inner_texts()] for n in range(rows.count())]


def _show_query(page, query_id: int) -> None:
    """Pick the query in the page's list of queries (the newest query is not always the first)."""
    _choose(page, "query_pick", f"{query_id} ·", re.compile(rf"^{query_id} · "))


@pytest.mark.slow
def test_monitor_opens_site_answers_monitor_closes(browser, team_server):
    url, _ = team_server
    mona = sign_in(browser, url, "mona", TEAM_PASSWORD)
    sam = None
    try:
        # the monitor picks the data point step by step: subject, table, record, column
        go(mona, f"{url}/queries")
        subject = _choose(mona, "new_subject", "S01-0")
        assert re.fullmatch(r"S01-\d+", subject)
        _choose(mona, "new_table", "hair", "hair_counts")
        record = _choose(mona, "new_record", "WEEK_4 / TARGET").split("—")[0].strip()
        assert record == f"{subject} / WEEK_4 / TARGET"
        value = _choose(mona, "new_column", "hair_count =", re.compile(r"^hair_count = ")).split("=")[1].strip()
        _within(mona, "new_text").locator("textarea").fill(QUESTION)
        screenshot(mona, "queries-1-monitor-form")
        opened = _press(mona, "Open the query", re.compile(r"^Opened query \d+ on "))
        assert opened.endswith(f"on {record} · hair_count; site S01 answers it.")
        query_id = int(re.search(r"query (\d+)", opened).group(1))
        assert _heading(mona) == f"Query {query_id} · Open: waiting for the site"
        [first] = _history(mona)
        assert first[:1] + first[2:] == ["1", "mona", "OPEN", QUESTION]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", first[1])
        assert mona.get_by_role("button", name="Send the answer").count() == 0  # a monitor never answers
        assert _within(mona, "new_text").locator("textarea").input_value() == ""  # emptied for the next query
        screenshot(mona, "queries-2-monitor-opened")

        # site staff of S01, in a browser session of their own, find it waiting and answer it
        sam = sign_in(browser, url, "sam", TEAM_PASSWORD)
        go(sam, f"{url}/queries")
        _show_query(sam, query_id)
        assert _heading(sam) == f"Query {query_id} · Open: waiting for the site"
        point = sam.locator('[data-testid="stMarkdownContainer"] p').filter(has_text="Value when opened").first.inner_text()
        assert f"{subject} (site S01)" in point and f"Value when opened: {value} · now: {value}" in point
        assert sam.get_by_role("heading", name="Open a query").count() == 0  # site staff do not raise queries
        assert sam.get_by_role("button", name="Close the query").count() == 0
        _within(sam, f"answer_text_{query_id}").locator("textarea").fill(ANSWER)
        screenshot(sam, "queries-3-site-answering")
        assert _press(sam, "Send the answer", f"Query {query_id} is answered") == (
            f"Query {query_id} is answered; a monitor will close or re-open it.")
        assert _heading(sam) == f"Query {query_id} · Answered: waiting for the monitor"
        screenshot(sam, "queries-4-site-answered")

        # the monitor comes back to the page through the navigation, finds it answered and closes it
        go(mona, f"{url}/overview")
        go(mona, f"{url}/queries")
        _show_query(mona, query_id)
        assert _heading(mona) == f"Query {query_id} · Answered: waiting for the monitor"
        assert [row[2:5] for row in _history(mona)] == [["mona", "OPEN", QUESTION], ["sam", "ANSWER", ANSWER]]
        screenshot(mona, "queries-5-monitor-reviewing")
        assert _press(mona, "Close the query", f"Query {query_id} is closed.") == f"Query {query_id} is closed."
        # still shown although the list showed only the queries not closed: the filter widened to all
        assert _heading(mona) == f"Query {query_id} · Closed"
        assert [row[2:4] for row in _history(mona)] == [["mona", "OPEN"], ["sam", "ANSWER"], ["mona", "CLOSE"]]
        assert mona.get_by_role("button", name="Re-open the query").count() == 1
        screenshot(mona, "queries-6-monitor-closed")

        # and the site sees it closed too
        go(sam, f"{url}/overview")
        go(sam, f"{url}/queries")
        sam.get_by_text("No query matches these filters.").wait_for(timeout=30_000)  # the list starts with those not closed
        _within(sam, "queries_status").get_by_role("radio", name="All", exact=True).click()
        sam.wait_for_timeout(300)
        settle(sam)
        _show_query(sam, query_id)
        assert _heading(sam) == f"Query {query_id} · Closed"
        assert [row[2:4] for row in _history(sam)] == [["mona", "OPEN"], ["sam", "ANSWER"], ["mona", "CLOSE"]]
    finally:
        mona.close()
        if sam is not None:
            sam.close()
