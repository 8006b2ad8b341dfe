"""User text is text: a stored or typed value shown on a page never becomes a link, an image, HTML or
formatting. The study of tests/hostile.py holds ``[x](http://evil.example) ![i](…/p.png) <b>b</b>``
as an account's full name, a randomization number, a file name, a query's text and (here) a lock
reason; the address carries it as ``?subject=``. Every element whose body Streamlit reads as Markdown
must hold it escaped (``ui.plain``), and no body may hold a live link, image or tag."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import signed_in_app
from hostile import CORRECTION_FILE, MARKDOWN, PASSWORD, hostile_store
from streamlit.testing.v1 import AppTest

from dashboards.ui import plain
from trial.governance.lock import lock
from trial.governance.users import sign_in, start_session
from trial.store import Store

ESCAPED = plain(MARKDOWN)
# what a link, an image or a tag needs (an unescaped "[" or "<"), and a bare address
LIVE = re.compile(r"(?<!\\)[\[<]|https?://|www\.evil|@evil")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    db = hostile_store(tmp_path_factory.mktemp("hostile-text"))
    with Store.open(db) as store:
        tokens = {name: start_session(store, sign_in(store, name, PASSWORD)) for name in ("ada", "stat", "mona", "sam")}
    return db, tokens


def _opener(db: Path, tokens: dict, monkeypatch):
    monkeypatch.setenv("TRIAL_DB", str(db))

    def open_as(who: str, page: str | None = None, **query) -> AppTest:
        return signed_in_app(tokens[who], page, **query)

    return open_as


@pytest.fixture
def open_as(hostile, monkeypatch):
    return _opener(*hostile, monkeypatch)


def bodies(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown: titles, text, captions, alerts,
    labels of metrics, buttons, tabs and expanders, and the cells of ``st.table``."""
    texts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
                                       "success", "toast") for e in getattr(at, kind)]
    texts += [e.label for kind in ("metric", "button", "tabs", "expander", "text_input", "text_area", "selectbox",
                                   "multiselect", "checkbox") for e in getattr(at, kind)]
    texts += [str(cell) for table in at.table for cell in table.value.to_numpy().ravel()]
    return texts


def assert_shown_as_text(at: AppTest, where: str) -> None:
    texts = bodies(at)
    assert any(ESCAPED in t for t in texts), f"{where}: the hostile text is not on the page"
    live = [t for t in texts if LIVE.search(t)]
    assert live == [], f"{where}: {live}"


def test_an_accounts_full_name_is_text_on_home_and_in_the_sidebar(open_as):
    at = open_as("ada")
    assert at.title[0].value == f"Welcome, {ESCAPED}"
    assert any(f"Signed in as **{ESCAPED}**" in c.value for c in at.sidebar.caption)
    assert_shown_as_text(at, "home")


def test_a_randomization_number_is_text_on_the_subject_profile(open_as):
    at = open_as("stat", "views/subject.py", subject="S01-003")
    assert any(plain(f"randomization no. {MARKDOWN}") in m.value for m in at.markdown)
    assert_shown_as_text(at, "subject profile")


@pytest.mark.parametrize("page", ["views/subject.py", "views/queries.py"])
def test_the_subject_parameter_of_the_address_is_never_markdown(open_as, page):
    at = open_as("stat", page, subject=MARKDOWN)
    texts = bodies(at)
    assert [t for t in texts if LIVE.search(t)] == []
    if page == "views/subject.py":  # said back, escaped (upper case, as subject numbers are)
        assert any(f"There is no subject **{plain(MARKDOWN.upper())}**" in w.value for w in at.warning)


def test_a_query_text_and_a_cited_file_name_are_text_in_the_querys_history(open_as):
    at = open_as("mona", "views/queries.py", query="1")
    [history] = at.table
    assert ESCAPED in history.value["Text"].tolist() and plain(CORRECTION_FILE) in history.value["File"].tolist()
    assert_shown_as_text(at, "queries")


def test_a_file_name_is_text_on_the_upload_page_before_and_after_the_upload(open_as):
    at = open_as("sam", "views/upload.py")
    picker = next(iter(at.get("file_uploader")))
    name = MARKDOWN + " (2).csv"
    picker.upload(name, b"site_id,subject_id\nS01,S01-001\n", "text/csv")
    at = picker.run()
    assert any(f"**{plain(name)}**" in m.value for m in at.markdown)
    assert_shown_as_text(at, "upload, checked")
    at = next(b for b in at.button if b.label.startswith("Upload")).click().run()
    assert not at.exception
    assert f"**{plain(name)}**: rejected" in at.warning[0].value
    assert_shown_as_text(at, "upload, uploaded")


def test_a_lock_reason_is_text_wherever_the_lock_is_told(hostile, tmp_path, monkeypatch):
    db, tokens = hostile
    copy = tmp_path / "locked.duckdb"
    shutil.copy(db, copy)
    with Store.open(copy) as store:
        lock(store, user="stat", reason=MARKDOWN)
    open_as = _opener(copy, tokens, monkeypatch)
    for who, page in (("ada", None), ("ada", "views/admin.py"), ("sam", "views/upload.py"), ("mona", "views/queries.py")):
        at = open_as(who, page)
        assert any(ESCAPED in w.value for w in at.warning), (who, page)
        assert_shown_as_text(at, page or "home")


@pytest.mark.parametrize(("page", "query"), [("views/subject.py", {"subject": "S01-002"}),
                                             ("views/tolerability.py", {"tab": "By preferred term"})])
def test_a_term_as_uploaded_is_text_in_the_charts(open_as, page, query):
    """Plotly reads <a href>, <b>… in a chart's text as markup: the AE terms are escaped for it."""
    import json

    specs = [json.dumps(json.loads(chart.proto.spec)) for chart in open_as("stat", page, **query).get("plotly_chart")]
    assert any("&lt;b&gt;b&lt;/b&gt;" in spec for spec in specs)
    assert not any("<b>b</b>" in spec for spec in specs)
