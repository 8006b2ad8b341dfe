"""Page parts every page shares: the heading, guidance instead of errors on an empty database,
arm labels, downloads, and :func:`plain` for every stored or typed value put into Markdown. Pages
lay out widgets and call the core; this keeps them short."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboards import data
from trial.csv_safe import write_csv
from trial.errors import TrialError
from trial.reports.formats import visit_label
from trial.store import Store
from trial.governance.trail import record_export

PLOTLY_CONFIG = {"displaylogo": False}  # every chart: no Plotly logo in its toolbar

UPLOAD_PAGE = "views/upload.py"
# What starts a Markdown construct anywhere in a line: links and images ([ ]), HTML and autolinks
# (< >), emphasis, strikethrough and code (* _ ~ `), headings, tables, entities (# | &), Streamlit's
# $math$ and :colour[…]/:emoji: directives ($ :), and the backslash itself. CommonMark lets each be
# escaped with a backslash; other punctuation (. , - ( ) % + …) is left as it is, so sentences read
# as they are written.
_MARKDOWN_SIGNS = re.compile(r"([\\`*_\[\]<>#|~$:&])")
# What starts a list only at the start of a line: "- ", "+ ", "12. " or "12) ".
_LIST_MARKER = re.compile(r"^(?:([-+])|(\d+)([.)]))")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
# GitHub's bare links ("http://…", "www.…", "name@host.org", "mailto:…") are found in the text after
# the escapes are undone, so they are broken with an invisible word joiner instead: after the ":"
# of "…://", "mailto:" and "xmpp:", after the "@" of an address, and between "www" and its ".".
_BARE_LINKS = re.compile(r"\\:(?=//)|(?<=mailto\\:)|(?<=xmpp\\:)|(?<=[\w.+-])@(?=[\w-])|(?<![^\W_])www(?=\.)",
                         re.IGNORECASE)
WORD_JOINER = "\u2060"


def plain(value: object) -> str:
    """A stored or typed value (a person's name, a file name, a reason, a query's text, a value of
    the data, an address parameter, an error quoting one), to put into the Markdown of a title,
    caption, message, label or ``st.table`` cell: escaped, so that it shows as the characters it
    holds and never as a link, an image, HTML or formatting (a bare address gets an invisible word
    joiner after its "://" colon or "@"). Line breaks become spaces (a blank line would end the bold or the list
    item it stands in), and spaces around the value go (four of them would start a code block).
    ``st.dataframe``, ``st.text``, ``st.code`` and the options of a selectbox or multiselect show
    text as text already: they take the value itself."""
    text = _LINE_BREAKS.sub(" ", str(value)).strip()
    text = _MARKDOWN_SIGNS.sub(r"\\\1", text)
    text = _LIST_MARKER.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)
    return _BARE_LINKS.sub(lambda m: m[0] + WORD_JOINER, text)


NARROW = 640  # px: a phone held upright (390 px) or a small tablet; a wider screen gets each table whole

# The pages' own style, sent once a run (``house_style``): on a narrow screen the HTML tables
# (``st.table``) are set smaller and tighter so that a table of two arms fits a phone, and of a
# table shown two ways (``wide_or_stacked``) the screen keeps the way that suits it; an HTML table
# wider than its place shows a shadow at the edge it scrolls towards (the shadows are painted behind
# the table and covered by its ends as they come into view).
STYLE = f"""<style>
@media (max-width: {NARROW}px) {{
  [data-testid="stTable"] table {{ font-size: 0.8rem; }}
  [data-testid="stTable"] th, [data-testid="stTable"] td {{ padding: 3px 4px; }}
  [class*="st-key-wide-"] {{ display: none; }}
}}
@media (min-width: {NARROW + 1}px) {{
  [class*="st-key-stacked-"] {{ display: none; }}
}}
[data-testid="stTable"] > div {{
  background:
    linear-gradient(to right, #fff 30%, rgba(255, 255, 255, 0)) left center / 32px 100% no-repeat local,
    linear-gradient(to left, #fff 30%, rgba(255, 255, 255, 0)) right center / 32px 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(0, 0, 0, 0.2), rgba(0, 0, 0, 0)) left center / 12px 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(0, 0, 0, 0.2), rgba(0, 0, 0, 0)) right center / 12px 100% no-repeat scroll;
}}
</style>"""


def house_style() -> None:
    st.html(STYLE)


def wide_or_stacked(key: str, wide: Callable[[], None], stacked: Callable[[], None]) -> None:
    """A table two ways: ``wide`` (every arm side by side) on a wider screen, ``stacked`` (each arm a
    small table of its own, one under another) on a phone, where the wide one would show one arm at a
    time. Both are sent; the screen's width chooses (``STYLE``)."""
    with st.container(key=f"wide-{key}"):
        wide()
    with st.container(key=f"stacked-{key}"):
        stacked()


def heading(title: str, caption: str | None = None) -> None:
    st.title(title)
    if caption:
        st.caption(caption)


def require_store() -> Store:
    """The store, or guidance on how to create the database (and the page stops)."""
    try:
        current = data.store()
    except TrialError as exc:  # held by another program, or not a trial database
        st.error(plain(exc), icon=":material/error:")
        st.stop()
    if current is None:
        path = data.db_path()
        st.info(
            f"There is no study database at **{plain(path)}** yet.\n\n"
            f"Create one with `trial init --db {path}` (then upload the site files here), "
            "or build the demonstration study with `trial demo`."
        )
        st.stop()
    return current


def require_subjects(what: str) -> Store:
    """The store when it holds subjects; otherwise say what to upload first (and the page stops).

    ``what`` completes the sentence "Nothing to show yet: …", e.g. "the efficacy charts need
    hair counts".
    """
    current = require_store()
    if not data.has_subjects():
        st.info(
            f"Nothing to show yet: {what}. The database holds no subjects so far.\n\n"
            "Upload the site files on the Upload page: subjects first, then randomization, "
            "then the visit files (hair counts, pull tests, global assessments, procedures, adverse events, disposition)."
        )
        st.page_link(UPLOAD_PAGE, label="Go to Upload", icon=":material/upload:")
        st.stop()
    return current


def arm_labels() -> dict[str, str]:
    """Arm code → the label people read (``MINOX_MN`` → ``Minoxidil 5 % + microneedling``)."""
    return {arm.code: arm.label for arm in data.study().arms}


def visit_labels() -> dict[str, str]:
    """Visit code → label, in protocol order (``WEEK_12`` → ``Week 12``)."""
    return {code: visit_label(code) for code in data.study().visit_codes}


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download as CSV", *, key: str | None = None) -> None:
    """A download button whose CSV is written only when it is clicked (not on every rerun); the
    export is noted in the audit trail."""
    note = export_recorder()

    def csv() -> bytes:
        note(file_name, f"{len(frame):,} rows")
        return write_csv(frame).encode("utf-8")

    st.download_button(label, csv, file_name=file_name, mime="text/csv", icon=":material/download:", key=key, on_click="ignore")


def export_recorder() -> Callable[..., None]:
    """``note(what, detail=None)``: records in the audit trail that the signed-in user took ``what``
    out of the system. Made while the page runs; called when a download is clicked, which happens
    outside the page's run, where the browser session (and so the user) is no longer known."""
    store, who = data.store(), data.user().user_name
    return lambda what, detail=None: record_export(store, who, what, detail)

